/**
 * The Dockerfile and .dockerignore, checked without a Docker engine (the development machines and CI
 * have none). A small parser reads the Dockerfile into stages the way Docker does: continuation lines
 * are joined, comments dropped, global ARGs substituted into FROM, and ENV, USER, WORKDIR,
 * ENTRYPOINT, CMD, HEALTHCHECK and EXPOSE are inherited from the stage a stage starts from. The checks
 * below would otherwise fail only at `docker build` or on ECS:
 * - the targets exist, and `controller` is the default (the last stage);
 * - each target is non-root, has NODE_ENV=production, a health check and tini, and its entry files
 *   exist in a real production build (built here as test/build.test.ts does);
 * - the health checks really run: each one against a local server, with the image's environment and
 *   then the task definition's. Their port matches EXPOSE and the container's port in manifests/;
 * - every path copied from the build context exists and is not left out by .dockerignore;
 * - npm never runs install scripts, except onnxruntime-node's CUDA 12 download in the GPU stage. Its
 *   flags go through the installed script's own parser;
 * - the runtime images get production dependencies only. The packages the Dockerfile removes from an
 *   image are used by neither the code it runs nor any package it keeps.
 *
 * hadolint is not run. Debian does not package it, and its npm wrappers download a binary at install
 * time, which this project does not allow. The hadolint rules that matter here are checked below:
 * DL3002 (last USER not root), DL3006/DL3007 (base images tagged, not `latest`), DL3009 (apt lists
 * removed), DL3015 (--no-install-recommends), DL3022 (COPY --from an earlier stage), DL3025 (JSON
 * form for CMD and ENTRYPOINT).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBuiltin } from 'node:module';
import { dirname, join, posix } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

// ---- A Dockerfile parser: just enough of Docker's rules for this repository's file.

interface Instruction {
  /** Upper case: FROM, RUN, COPY … */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  readonly args: string;
  /** The line the instruction starts on (1-based). */
  readonly line: number;
}

interface Stage {
  readonly index: number;
  /** The `AS` name, lower case as Docker keeps it. */
  readonly name: string | undefined;
  /** The FROM image after ARG substitution: an earlier stage's name or an image reference. */
  readonly image: string;
  /** The earlier stage this one starts from, if it does. */
  readonly parent: Stage | undefined;
  readonly instructions: Instruction[];
}

interface Dockerfile {
  readonly args: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

/** Instructions with continuation lines joined. Comment lines are dropped, also inside a continued instruction (as Docker does). */
function instructionsOf(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: { line: number; text: string } | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(current.text.trim());
    if (match) out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: current.line });
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) return;
    if (trimmed === '') return; // Blank lines neither start nor end an instruction.
    current ??= { line: i + 1, text: '' };
    if (trimmed.endsWith('\\')) {
      current.text += `${trimmed.slice(0, -1)} `;
    } else {
      current.text += trimmed;
      finish();
    }
  });
  finish();
  return out;
}

/** `${NAME}` and `$NAME` from the global ARGs (the only substitution FROM gets). */
function substitute(value: string, args: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => args.get(braced ?? bare ?? '') ?? '');
}

function parseDockerfile(text: string): Dockerfile {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(splitFlags(instruction.args).rest);
      if (!match) throw new Error(`Dockerfile:${instruction.line}: cannot read FROM ${instruction.args}`);
      const image = substitute(match[1]!, args);
      const parent = stages.find((s) => s.name === image.toLowerCase());
      stages.push({ index: stages.length, name: match[2]?.toLowerCase(), image, parent, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage !== undefined) {
      stage.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      const [name, value] = instruction.args.split('=', 2);
      args.set(name!.trim(), (value ?? '').trim());
    } else {
      throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
  }
  return { args, stages };
}

/** Leading `--name=value` options (COPY --from, HEALTHCHECK --interval, RUN --mount …) and what follows. */
function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags.set(m[1]!, m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** The JSON (exec) form of CMD, ENTRYPOINT and HEALTHCHECK CMD; the shell form is refused (hadolint DL3025). */
function execForm(args: string, where: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    throw new Error(`${where}: not in JSON (exec) form: ${args}`);
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((v): v is string => typeof v === 'string')) {
    throw new Error(`${where}: expected a JSON array of strings: ${args}`);
  }
  return value;
}

/** `ENV A=1 B="two words"`, or the old `ENV A value` form. */
function envPairs(args: string): [string, string][] {
  if (!/^[\w.-]+=/.test(args)) {
    const match = /^(\S+)\s+([\s\S]*)$/.exec(args);
    return match ? [[match[1]!, match[2]!]] : [];
  }
  const pairs: [string, string][] = [];
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const raw = m[2]!;
    pairs.push([m[1]!, /^["']/.test(raw) ? raw.slice(1, -1) : raw]);
  }
  return pairs;
}

/** COPY's sources and destination (either form). */
function copyPaths(args: string, where: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const { flags, rest } = splitFlags(args);
  const parts = rest.startsWith('[') ? execForm(rest, where) : rest.split(/\s+/);
  if (parts.length < 2) throw new Error(`${where}: COPY needs a source and a destination`);
  return { flags, sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

/** What the image of a stage is made of and runs with, inherited through FROM <stage> as Docker does. */
interface StageConfig {
  readonly chain: readonly Stage[];
  readonly env: ReadonlyMap<string, string>;
  readonly user: string | undefined;
  readonly workdir: string;
  readonly entrypoint: readonly string[] | undefined;
  readonly cmd: readonly string[] | undefined;
  readonly healthcheck: readonly string[] | undefined;
  readonly expose: ReadonlySet<number>;
}

function configOf(stage: Stage): StageConfig {
  const base: StageConfig = stage.parent
    ? configOf(stage.parent)
    : { chain: [], env: new Map(), user: undefined, workdir: '/', entrypoint: undefined, cmd: undefined, healthcheck: undefined, expose: new Set() };
  const env = new Map(base.env);
  const expose = new Set(base.expose);
  let { user, workdir, entrypoint, cmd, healthcheck } = base;
  let cmdSet = false;
  for (const { keyword, args, line } of stage.instructions) {
    const where = `Dockerfile:${line}`;
    if (keyword === 'ENV') for (const [name, value] of envPairs(args)) env.set(name, value);
    else if (keyword === 'USER') user = args.trim();
    else if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args.trim());
    else if (keyword === 'EXPOSE') for (const port of args.split(/\s+/)) expose.add(Number(port.split('/')[0]));
    else if (keyword === 'CMD') {
      cmd = execForm(args, where);
      cmdSet = true;
    } else if (keyword === 'ENTRYPOINT') {
      entrypoint = execForm(args, where);
      // Docker: an ENTRYPOINT resets the CMD inherited from the base image.
      if (!cmdSet) cmd = undefined;
    } else if (keyword === 'HEALTHCHECK') {
      const { rest } = splitFlags(args);
      if (/^NONE$/i.test(rest)) healthcheck = undefined;
      else if (/^CMD\s/i.test(rest)) healthcheck = execForm(rest.slice(3).trim(), where);
      else throw new Error(`${where}: HEALTHCHECK ${args}`);
    }
  }
  return { chain: [...base.chain, stage], env, user, workdir, entrypoint, cmd, healthcheck, expose };
}

/** The shell commands of a RUN, split at `&&`, `||` and `;` (enough for this file, which quotes no operator). */
const shellCommands = (run: string): string[] =>
  splitFlags(run)
    .rest.split(/&&|\|\||;/)
    .map((c) => c.trim())
    .filter(Boolean);

const runsOf = (stages: readonly Stage[]): Instruction[] => stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN'));

// ---- .dockerignore, with Docker's rules (moby/patternmatcher): patterns are relative to the context
// root, `**` spans directories, a pattern that matches a directory leaves out all under it, `!`
// brings a path back, and the last pattern that matches decides.

interface IgnoreRule {
  readonly pattern: string;
  readonly negate: boolean;
  readonly regex: RegExp;
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      re += i === pattern.length - 1 ? '.*' : '(?:.*/)?';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function readDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize(negate ? line.slice(1).trim() : line).replace(/^\/+/, '').replace(/\/+$/, '');
      return { pattern: line, negate, regex: patternRegex(pattern) };
    });
}

function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = posix.normalize(path).replace(/^\.\/|\/+$/g, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negate;
  return ignored;
}

// ---- The repository's side: the manifests the images run under, the lock file, the built code.

/** Which container of which manifest runs each target's image. */
const TARGETS = {
  controller: { manifest: 'manifests/berth.yaml', container: 'berth' },
  api: { manifest: 'manifests/backend.yaml', container: 'filot-backend' },
  'ocr-worker-gpu': { manifest: 'manifests/ocr-gpu.yaml', container: 'filot-ocr-gpu-worker' },
} as const;
type Target = keyof typeof TARGETS;
const targetNames = Object.keys(TARGETS) as Target[];

interface ContainerDefinition {
  readonly name: string;
  readonly portMappings?: readonly { readonly containerPort: number }[];
  readonly environment?: readonly { readonly name: string; readonly value: string }[];
  readonly healthCheck?: { readonly command: readonly string[] };
}

function containerOf(target: Target): ContainerDefinition {
  const { manifest, container } = TARGETS[target];
  for (const doc of parseAllDocuments(read(manifest))) {
    const value = doc.toJS() as { kind?: string; spec?: { taskDefinition?: { containerDefinitions?: ContainerDefinition[] } } } | null;
    const found = value?.kind === 'Service' ? value.spec?.taskDefinition?.containerDefinitions?.find((c) => c.name === container) : undefined;
    if (found) return found;
  }
  throw new Error(`${manifest}: no container ${container}`);
}

interface LockPackage {
  readonly dev?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}
const lock = (JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> }).packages;
/** `node_modules/a/node_modules/@b/c` → `@b/c`. */
const lockName = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * The bare packages the built code reachable from `entry` loads: static and dynamic imports, followed
 * through relative ones, plus `require.resolve('pkg…')` (the OCR models are found that way).
 */
function packagesReachedFrom(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\.resolve\(\s*)(['"])([^'"\n]+)\1/g)) {
      const specifier = m[2]!;
      if (specifier.startsWith('.')) queue.push(join(dirname(file), specifier));
      else if (!isBuiltin(specifier)) packages.add(packageOf(specifier));
    }
  }
  return packages;
}

/** The packages a stage's `rm -rf node_modules/…` removes: names, or a whole `@scope`. */
function removedPackages(stages: readonly Stage[]): string[] {
  return runsOf(stages)
    .flatMap((run) => shellCommands(run.args))
    .filter((c) => /^rm\s+-rf\s/.test(c))
    .flatMap((c) => c.split(/\s+/).slice(2))
    .map((arg) => /^node_modules\/((?:@[^/]+)(?:\/[^/]+)?|[^./@][^/]*)$/.exec(arg)?.[1])
    .filter((name): name is string => name !== undefined);
}
const isRemoved = (removed: readonly string[], name: string): boolean => removed.some((r) => name === r || name.startsWith(`${r}/`));

/** Runs a HEALTHCHECK CMD's `node -e` script with `fetch` replaced by one that prints the URL it was given. */
function healthcheckUrl(command: readonly string[], env: ReadonlyMap<string, string>): URL {
  const stub = 'globalThis.fetch = (url) => { console.log(String(url)); return Promise.resolve({ ok: true }); };';
  const out = execFileSync(process.execPath, [`--import=data:text/javascript,${encodeURIComponent(stub)}`, ...command.slice(1)], {
    env: { PATH: process.env.PATH, ...Object.fromEntries(env) },
    encoding: 'utf8',
  });
  return new URL(out.trim());
}

/** The exit code of a HEALTHCHECK CMD run for real, with its port variables pointed at `port`. */
function runHealthcheck(command: readonly string[], env: ReadonlyMap<string, string>, port: number): Promise<number | null> {
  const portVariables = [...command.join(' ').matchAll(/process\.env\.(\w+)/g)].map((m): [string, string] => [m[1]!, String(port)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] === 'node' ? process.execPath : command[0]!, command.slice(1), {
      env: { PATH: process.env.PATH, ...Object.fromEntries(env), ...Object.fromEntries(portVariables) },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

// ---- The checks.

const dockerfile = parseDockerfile(read('Dockerfile'));
const dockerignore = readDockerignore(read('.dockerignore'));
const stageNamed = (name: string): Stage => {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`Dockerfile: no stage ${name}`);
  return stage;
};
const locate = (i: Instruction): string => `Dockerfile:${i.line}`;

let out: string;

beforeAll(async () => {
  // The production build as `npm run build` makes it (test/build.test.ts does the same), into a
  // temporary directory inside the repository so that node_modules resolves as it does from dist/.
  await mkdir(join(root, '.berth'), { recursive: true });
  out = await mkdtemp(join(root, '.berth', 'docker-build-'));
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'pipe' });
  execFileSync(process.execPath, ['scripts/finish-build.js', out], { cwd: root, stdio: 'pipe' });
}, 120_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('Dockerfile stages', () => {
  it('has the targets controller, api and ocr-worker-gpu, and controller is the default (the last stage)', () => {
    const names = dockerfile.stages.map((s) => s.name);
    for (const target of targetNames) expect(names).toContain(target);
    expect(dockerfile.stages.at(-1)?.name).toBe('controller');
    expect(new Set(names).size, 'stage names are unique').toBe(names.length);
  });

  it('starts every stage from an earlier stage or a pinned image, never from `latest` or an untagged one', () => {
    for (const stage of dockerfile.stages) {
      if (stage.parent) continue;
      expect(stage.image, `stage ${stage.name} FROM ${stage.image}`).toMatch(/^[\w./-]+:\d+\.\d+(\.\d+)?-[\w.-]+$/);
    }
    const node = dockerfile.stages.find((s) => !s.parent && s.image.startsWith('node:'));
    expect(Number(/^node:(\d+)\./.exec(node?.image ?? '')?.[1]), 'Node.js 22 or later (bin/berth.js, README)').toBeGreaterThanOrEqual(22);
    expect(stageNamed('ocr-worker-gpu').image, 'an NVIDIA CUDA 12 runtime image with cuDNN').toMatch(/^nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/);
  });

  it('copies --from earlier stages only (hadolint DL3022)', () => {
    for (const stage of dockerfile.stages) {
      const earlier = new Set(dockerfile.stages.slice(0, stage.index).map((s) => s.name));
      for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        const from = copyPaths(copy.args, locate(copy)).flags.get('from');
        if (from !== undefined) expect(earlier.has(from), `${locate(copy)}: --from=${from}`).toBe(true);
      }
    }
  });
});

describe.each(targetNames)('target %s', (target) => {
  const stage = stageNamed(target);
  const config = configOf(stage);
  const command = [...(config.entrypoint ?? []), ...(config.cmd ?? [])];

  it('runs as a non-root user that exists in the image (hadolint DL3002)', () => {
    expect(config.user, 'USER').toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(config.user);
    // The node image has the user; on another base a RUN must create it.
    if (!config.chain[0]!.image.startsWith('node:')) {
      const created = runsOf(config.chain).some((run) => new RegExp(`useradd\\b[^&;]*\\s${config.user}(\\s|$)`).test(run.args));
      expect(created, `a RUN creates the user ${config.user}`).toBe(true);
    }
  });

  it('sets NODE_ENV=production', () => {
    expect(config.env.get('NODE_ENV')).toBe('production');
  });

  it('runs node under tini, installed in the image, with JSON-form ENTRYPOINT and CMD', () => {
    expect(config.entrypoint?.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(command[2], 'tini starts node').toBe('node');
    const installed = runsOf(config.chain).some((run) => /apt-get\s+install\b[^&;]*\stini(\s|$)/.test(run.args));
    expect(installed, 'apt-get install … tini').toBe(true);
  });

  it('runs an entry file that the production build emits, under the dist/ copied from the build stage', () => {
    const entries = command.filter((arg) => arg.endsWith('.js'));
    expect(entries).toHaveLength(1);
    const inImage = posix.resolve(config.workdir, entries[0]!);
    // Where the build stage's dist/ lands in this image, and so which file of the local build it is.
    const build = configOf(stageNamed('build'));
    const distCopies = config.chain
      .flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY').map((i) => ({ i, copy: copyPaths(i.args, locate(i)), workdir: configOf(s).workdir })))
      .filter(({ copy }) => copy.flags.get('from') === 'build');
    const dist = distCopies.find(({ copy }) => copy.sources[0] === posix.join(build.workdir, 'dist'));
    expect(dist, 'COPY --from=build <build WORKDIR>/dist').toBeDefined();
    const distInImage = posix.resolve(dist!.workdir, dist!.copy.dest);
    expect(inImage.startsWith(`${distInImage}/`), `${inImage} is under ${distInImage}`).toBe(true);
    expect(existsSync(join(out, posix.relative(distInImage, inImage))), `${entries[0]} after npm run build`).toBe(true);
  });

  it('has a HEALTHCHECK on the exposed port, the port and path of its container in manifests/', () => {
    expect(config.healthcheck, 'HEALTHCHECK CMD').toBeDefined();
    const healthcheck = config.healthcheck!;
    expect(healthcheck.slice(0, 2), "Node's fetch: the images have neither curl nor wget").toEqual(['node', '-e']);
    const url = healthcheckUrl(healthcheck, config.env);
    expect(url.hostname).toBe('127.0.0.1');
    expect([...config.expose]).toContain(Number(url.port));
    expect(url.pathname).toBe(target === 'controller' ? '/healthz' : '/health');

    // Under ECS the container runs with its task definition's environment over the image's.
    const container = containerOf(target);
    const deployedEnv = new Map([...config.env, ...(container.environment ?? []).map((e): [string, string] => [e.name, e.value])]);
    const deployed = healthcheckUrl(healthcheck, deployedEnv);
    expect(deployed.href, `${TARGETS[target].manifest}: the environment moves the port away from EXPOSE`).toBe(url.href);
    const containerPorts = (container.portMappings ?? []).map((p) => p.containerPort);
    // The worker (bridge network, no inbound traffic) maps no port; the others map exactly what the image exposes.
    if (containerPorts.length > 0) expect(new Set(containerPorts)).toEqual(config.expose);
  });

  it('agrees with the health check of its task definition, which must run with what the image has', () => {
    const check = containerOf(target).healthCheck;
    if (check === undefined) return; // The GPU worker's task definition has none.
    const url = healthcheckUrl(config.healthcheck!, config.env);
    const [kind, ...rest] = check.command;
    const program = kind === 'CMD-SHELL' ? rest.join(' ').trim().split(/\s+/)[0] : rest[0];
    const where = `${TARGETS[target].manifest} healthCheck`;
    expect(program, `${where}: the image has node, not curl or wget (use node -e "fetch(…)" as manifests/berth.yaml does)`).toBe('node');
    const manifestUrl = /https?:\/\/[\w.:[\]-]+\/[\w/-]*/.exec(check.command.join(' '))?.[0];
    expect(manifestUrl, `${where}: the URL it fetches`).toBe(url.href);
  });

  it('runs its HEALTHCHECK for real: 0 when the server answers 200, 1 on 503 or when nothing listens', async () => {
    let status = 200;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await runHealthcheck(config.healthcheck!, config.env, port)).toBe(0);
      status = 503;
      expect(await runHealthcheck(config.healthcheck!, config.env, port)).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const path = target === 'controller' ? '/healthz' : '/health';
    expect(paths).toEqual([path, path]);
    expect(await runHealthcheck(config.healthcheck!, config.env, port)).toBe(1);
  });

  it('gets production dependencies only, and keeps every package its code loads', () => {
    const copies = config.chain.flatMap((s) =>
      s.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyPaths(i.args, locate(i))),
    );
    const modules = copies.filter((c) => c.dest.replace(/\/$/, '').endsWith('node_modules'));
    expect(modules, 'one COPY of node_modules').toHaveLength(1);
    const from = configOf(stageNamed(modules[0]!.flags.get('from') ?? ''));
    const installs = runsOf(from.chain).flatMap((run) => shellCommands(run.args)).filter((c) => /^npm\s+(ci|install|i)\b/.test(c));
    expect(installs, `npm ci in the chain of ${from.chain.at(-1)?.name}`).toHaveLength(1);
    expect(installs[0]).toContain('--omit=dev');

    const removed = removedPackages(from.chain);
    const production = new Set(
      Object.entries(lock)
        .filter(([path, p]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && p.dev !== true)
        .map(([path]) => lockName(path))
        .filter((name) => !isRemoved(removed, name)),
    );
    const entry = command.find((arg) => arg.endsWith('.js'))!;
    const used = [...packagesReachedFrom(join(out, entry.replace(/^dist\//, '')))];
    expect(used.length).toBeGreaterThan(2);
    expect(used.filter((name) => !production.has(name)), 'loaded by the built code but not in the image').toEqual([]);

    // No package left in the image depends on one the Dockerfile removed.
    const broken = Object.entries(lock)
      .filter(([path, p]) => path !== '' && p.dev !== true && !isRemoved(removed, lockName(path)) && !removed.some((r) => path.startsWith(`node_modules/${r}/`)))
      .flatMap(([path, p]) => Object.keys({ ...p.dependencies, ...p.optionalDependencies }).filter((d) => isRemoved(removed, d)).map((d) => `${path} → ${d}`));
    expect(broken).toEqual([]);
  });
});

describe('the build', () => {
  const build = stageNamed('build');
  const buildConfig = configOf(build);
  const copied = buildConfig.chain.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'COPY' && !splitFlags(i.args).flags.has('from')).flatMap((i) => copyPaths(i.args, locate(i)).sources),
  );

  it('runs `npm run build` with every source tsconfig.build.json compiles and the files the build script reads', () => {
    expect(runsOf([build]).flatMap((r) => shellCommands(r.args))).toContain('npm run build');
    const config = ts.readConfigFile(join(root, 'tsconfig.build.json'), (path) => ts.sys.readFile(path));
    const include = (config.config as { include?: string[] }).include ?? [];
    expect(include.length).toBeGreaterThan(0);
    // The services run from dist/ in their images, so the production build must compile them.
    expect(include).toEqual(expect.arrayContaining(['controller', 'services', 'sim']));
    for (const path of [...include, 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'schemas', 'scripts']) {
      expect(copied, `the build stage copies ${path}`).toContain(path);
    }
  });

  it('copies from the build context only paths that exist and that .dockerignore lets through', () => {
    // Every file git would commit (tracked or not ignored); what .gitignore leaves out is regenerated by the build.
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '' && existsSync(join(root, f)));
    const sources = dockerfile.stages.flatMap((s) =>
      s.instructions
        .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !splitFlags(i.args).flags.has('from'))
        .flatMap((i) => copyPaths(i.args, locate(i)).sources.map((source) => ({ source, where: locate(i) }))),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const { source, where } of sources) {
      expect(source, `${where}: a plain path`).toMatch(/^[\w.-]+(\/[\w.-]+)*\/?$/);
      expect(existsSync(join(root, source)), `${where}: ${source} exists`).toBe(true);
      expect(isIgnored(dockerignore, source), `${where}: ${source} is left out by .dockerignore`).toBe(false);
      const inside = files.filter((f) => f === source || f.startsWith(`${source.replace(/\/$/, '')}/`));
      expect(inside.length, `${where}: files under ${source}`).toBeGreaterThan(0);
      expect(inside.filter((f) => isIgnored(dockerignore, f)), `${where}: files under ${source} that .dockerignore leaves out`).toEqual([]);
    }
  });

  it('keeps local state, dependencies, build output and secrets out of the context', () => {
    for (const path of ['node_modules', 'dist', '.git', 'coverage', 'test-artifacts', '.berth', '.data', 'debug.log', 'services/api/npm-debug.log', '.env', 'services/.env.local']) {
      expect(isIgnored(dockerignore, path), path).toBe(true);
    }
    expect(isIgnored(dockerignore, 'controller/main.ts')).toBe(false);
  });
});

describe('npm install scripts', () => {
  const commands = dockerfile.stages.flatMap((stage) =>
    stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((run) => shellCommands(run.args).map((command) => ({ stage, command, where: locate(run) }))),
  );

  it('never runs an install script through npm (--ignore-scripts on every npm ci / npm install)', () => {
    const installs = commands.filter(({ command }) => /\bnpm\s+(ci|install|i)\b/.test(command));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const { command, where } of installs) expect(command, where).toContain('--ignore-scripts');
  });

  it("runs onnxruntime-node's install script only in ocr-worker-gpu, and its own parser reads the flags as CUDA 12", () => {
    const runs = commands.filter(({ command }) => /\bscript\/install(\.js)?\b/.test(command));
    expect(runs).toHaveLength(1);
    const { stage, command, where } = runs[0]!;
    expect(stage.name, where).toBe('ocr-worker-gpu');
    const match = /^((?:\w+=\S*\s+)*)node\s+script\/install(?:\.js)?((?:\s+\S+)*)$/.exec(command);
    expect(match, `${where}: [VAR=value …] node script/install.js [flags]`).not.toBeNull();
    const inline = envPairs(match![1]!.trim());
    const flags = match![2]!.trim().split(/\s+/).filter(Boolean);
    // The installed script's own flag parser, with the stage's environment, the inline variables and the flags.
    const script = join(root, 'node_modules', 'onnxruntime-node', 'script');
    const parsed = spawnSync(
      process.execPath,
      ['-e', 'console.log(JSON.stringify(require(process.argv[1]).parseInstallFlag() ?? null))', join(script, 'install-utils.js'), ...flags],
      { env: { PATH: process.env.PATH, ...Object.fromEntries(configOf(stage).env), ...Object.fromEntries(inline) }, encoding: 'utf8' },
    );
    expect(parsed.stderr).toBe('');
    expect(parsed.stdout.trim(), `${where}: the install script's choice`).toBe('"cuda12"');
    // …which its metadata knows for linux/x64, with the provider the RUN checks for.
    const metadata = JSON.parse(
      execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify(require(process.argv[1])))', join(script, 'install-metadata.js')], { encoding: 'utf8' }),
    ) as { manifests: Record<string, Record<string, unknown>> };
    const files = Object.keys(metadata.manifests['linux/x64:cuda12'] ?? {});
    expect(files).toContain('./libonnxruntime_providers_cuda.so');
    expect(runsOf([stage]).some((r) => r.args.includes('test -f bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'))).toBe(true);
  });

  it('sets OCR_PROVIDER=auto in the GPU image, so the worker uses CUDA where it loads and says so', () => {
    expect(configOf(stageNamed('ocr-worker-gpu')).env.get('OCR_PROVIDER')).toBe('auto');
  });

  it('installs Debian packages without recommends and removes the apt lists in the same layer (DL3015, DL3009)', () => {
    const aptRuns = dockerfile.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN' && /apt-get\s+install/.test(i.args));
    expect(aptRuns.length).toBeGreaterThanOrEqual(3);
    for (const run of aptRuns) {
      expect(run.args, locate(run)).toMatch(/apt-get\s+install\s+-y\s+--no-install-recommends\s/);
      expect(run.args, locate(run)).toContain('rm -rf /var/lib/apt/lists/*');
    }
    const controllerApt = runsOf(configOf(stageNamed('controller')).chain).map((r) => r.args).join(' ');
    expect(controllerApt, 'the controller mirrors its source with git').toMatch(/apt-get\s+install\b[^&;]*\sgit(\s|$)/);
    expect(controllerApt).toMatch(/\sca-certificates(\s|$)/);
  });
});

describe('the built services', () => {
  it('the API from dist/ starts far enough to refuse to run without JWT_SECRET (exit 2)', () => {
    const run = spawnSync(process.execPath, [join(out, 'services', 'api', 'main.js')], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('JWT_SECRET is not set');
  });
});
