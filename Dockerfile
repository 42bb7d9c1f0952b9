# Placeholder until the packaging issue: the multi-stage build (controller, api, ocr-worker-gpu)
# lands there. This stage only runs `berth validate` on the repository's manifests.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --omit=dev
COPY bin ./bin
COPY controller ./controller
COPY schemas ./schemas
COPY manifests ./manifests
USER node
ENTRYPOINT ["node", "bin/berth.js"]
CMD ["validate", "manifests"]
