/**
 * What `berth run` costs and how fast it reacts: webhook latency on the small stack, and the cost
 * of one change, of a full resync and of memory with N services.
 *
 *   npm run bench:controller [-- --services 1000 --commits 20 --runs 3 --aws-rate 1000 --no-check]
 *
 * The controller runs as a child process (`node bin/berth.js run`, as in production), so the RSS it
 * reports in `/metrics` is its own; the simulator runs in this process (real clock at 100x, so
 * Fargate tasks start fast) and its call log (every call, with its arrival wall time and the access
 * key that signed it) is what the calls are counted from. Each scenario gets a fresh simulator, a
 * fresh git repository (a local path as BERTH_SOURCE) and a fresh controller. BERTH_AWS_RATE is set
 * high (--aws-rate, default 1000 calls/s; the controller's own default is 20) so that the global
 * rate limit does not stand in for what is being measured.
 *
 * 1. latency: this repository's manifests/ (14 resources; the simulator's default seed holds the
 *    group the stack adopts), BERTH_INTERVAL=1h (so only the webhook can bring a commit). Once every
 *    resource is Synced (and Healthy), --commits commits each change the backend image tag, and each
 *    is announced with a signed `POST /hooks/git`. Measured: webhook sent → first mutating AWS call
 *    (operation not Describe/List/Get) in the call log; the next commit waits until
 *    Service/filot-backend-service shows lastAppliedRevision = that commit. Goal: p95 ≤ 1 s.
 * 2. scale: --services Fargate services in one cluster (and the Cluster manifest), BERTH_RESYNC=1h,
 *    BERTH_INTERVAL=1h. The initial apply (time and calls) is informative; then, once every resource
 *    is Synced and Healthy and the call log is quiet:
 *    a. one service's image changed in a commit + webhook (--runs times, a different service each):
 *       webhook sent → its status shows lastAppliedRevision = that commit, and the calls in between.
 *       Goals: median ≤ 2 s; every run ≤ 3 mutating calls.
 *    b. `POST /api/v1/reconcile` (a fetch, then every resource queued) with nothing changed
 *       (--runs times): the calls from the trigger until every resource's lastReconciledAt is newer
 *       than it and the call log has been quiet for 1 s. Goals: every run ≤ ⌈N/10⌉ + ⌈N/100⌉ + 10
 *       read calls and no mutating call.
 *    c. the controller's RSS after those resyncs (`process_resident_memory_bytes` of its /metrics).
 *       Goal: ≤ 150 MB.
 * Prints the figures and, per goal, "goal met yes/no"; exits 1 if any goal is missed (after
 * printing everything) unless --no-check. Child processes and temporary directories are removed on
 * exit, failure and Ctrl-C.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ControllerStatus, ResourceStatus } from '../controller/engine/status.ts';
import { signBody } from '../controller/http/webhook.ts';
import { validateSources } from '../controller/manifests/validate.ts';
import type { CallLogEntry, Simulator } from '../sim/simulator.ts';
import { startSimulator } from '../sim/simulator.ts';
import { eventually, getJson } from '../test/controller/helpers.ts';
import { ACCOUNT, clusterDocument, fargateServiceDocument, REGION } from './fargate-stack.ts';
import { median, percentile } from './stats.ts';

/** The controller's NODE_OPTIONS in production: read from its own manifest, manifests/berth.yaml. */
function productionNodeOptions(): string {
  const file = join(import.meta.dirname, '..', 'manifests', 'berth.yaml');
  const { manifests } = validateSources([{ path: file, text: readFileSync(file, 'utf8') }]);
  for (const { manifest } of manifests) {
    if (manifest.kind !== 'Service') continue;
    const env = manifest.spec.taskDefinition.containerDefinitions.flatMap((c) => c.environment ?? []);
    const value = env.find((e) => e.name === 'NODE_OPTIONS')?.value;
    if (value !== undefined) return value;
  }
  return '';
}
const PRODUCTION_NODE_OPTIONS = productionNodeOptions();

const { values } = parseArgs({
  options: {
    /** Fargate services of the scale scenario. */
    services: { type: 'string', default: '1000' },
    /** Commits of the latency scenario. */
    commits: { type: 'string', default: '20' },
    /** Repetitions of the scale scenario's one-change and resync measurements. */
    runs: { type: 'string', default: '3' },
    /** BERTH_AWS_RATE of the controller: AWS calls per second, all services together. */
    'aws-rate': { type: 'string', default: '1000' },
    /** Print the figures only; exit 0 whatever they are. */
    'no-check': { type: 'boolean', default: false },
    /** What runs the controller: `dist` (the production build, `npm run build` first) or `source` (bin/berth.js, TypeScript at run time). */
    entry: { type: 'string', default: 'dist' },
    /** NODE_OPTIONS of the controller process: by default the heap limits manifests/berth.yaml gives it in production. */
    'node-options': { type: 'string', default: PRODUCTION_NODE_OPTIONS },
  },
});
const serviceCount = Number(values.services);
const commitCount = Number(values.commits);
const runs = Number(values.runs);
const awsRate = Number(values['aws-rate']);
const check = !values['no-check'];
if (values.entry !== 'dist' && values.entry !== 'source') throw new RangeError(`--entry must be dist or source, got ${values.entry}`);
/** The controller's entry script, relative to the repository. */
const entryScript = values.entry === 'dist' ? 'dist/controller/main.js' : 'bin/berth.js';
if (!Number.isInteger(serviceCount) || serviceCount < 1) throw new RangeError(`--services must be a whole number of 1 or more, got ${values.services}`);
if (!Number.isInteger(commitCount) || commitCount < 1) throw new RangeError(`--commits must be a whole number of 1 or more, got ${values.commits}`);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs must be a whole number of 1 or more, got ${values.runs}`);
if (!(awsRate > 0)) throw new RangeError(`--aws-rate must be a positive number, got ${values['aws-rate']}`);

const root = join(import.meta.dirname, '..');
const CALLER = 'AKIDBENCHCONTROLLER';
const SECRET = 'bench-webhook-secret';
const TOKEN = 'bench-api-token';
const SIM_SPEED = 100;
/** How many calls the simulator's call log keeps (sim/simulator.ts). */
const CALL_LOG_LIMIT = 50_000;

// ---------------------------------------------------------------------------------------------
// Cleanup: child processes and temporary directories, on every way out.

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Last resort (synchronous): SIGKILL what still runs, remove what is left. */
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping\n`);
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const ms = (x: number): string => `${Math.round(x)} ms`;
const seconds = (x: number): string => `${(x / 1000).toFixed(2)} s`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const isRead = (operation: string): boolean => /^(Describe|List|Get)/.test(operation);

/** The controller's calls in [from, to] (wall ms), from the simulator's call log. */
function callsBetween(sim: Simulator, from: number, to = Infinity): CallLogEntry[] {
  const log = sim.callLog();
  if (log.length >= CALL_LOG_LIMIT && (log[0]?.time ?? 0) > from) throw new Error(`the simulator's call log (${CALL_LOG_LIMIT} calls) no longer holds the calls since ${new Date(from).toISOString()}: use fewer --services`);
  return log.filter((c) => c.caller === CALLER && c.time >= from && c.time <= to);
}

type Calls = Record<string, number>;

function byOperation(calls: readonly CallLogEntry[]): Calls {
  const counts: Calls = {};
  for (const c of calls) {
    const key = `${c.service}:${c.operation}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const formatCalls = (calls: Calls): string =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

function split(calls: readonly CallLogEntry[]): { reads: CallLogEntry[]; writes: CallLogEntry[] } {
  return { reads: calls.filter((c) => isRead(c.operation)), writes: calls.filter((c) => !isRead(c.operation)) };
}

/** Waits until the controller has made no AWS call for `quietMs`; resolves to when its last call was. */
async function quiet(sim: Simulator, quietMs: number, timeoutMs: number): Promise<number> {
  return eventually(
    `${quietMs} ms without an AWS call`,
    () => {
      const log = sim.callLog();
      let last = 0;
      for (let i = log.length - 1; i >= 0; i--) {
        const c = log[i];
        if (c?.caller === CALLER) {
          last = c.time;
          break;
        }
      }
      return Date.now() - last >= quietMs ? last : undefined;
    },
    timeoutMs,
    100,
  );
}

// ---------------------------------------------------------------------------------------------
// A git repository of manifests.

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: gitEnv }).trim();

interface Repo {
  readonly dir: string;
  /** Rewrites `file` with `edit` (which must change it) and commits; returns the new commit's SHA. */
  commit(file: string, edit: (text: string) => string, message: string): string;
  head(): string;
}

function makeRepo(fill: (manifestsDir: string) => void): Repo {
  const dir = tempDir('berth-bench-repo-');
  git(dir, 'init', '-q', '-b', 'main');
  fill(join(dir, 'manifests'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'manifests');
  return {
    dir,
    commit(file, edit, message) {
      const path = join(dir, file);
      const before = readFileSync(path, 'utf8');
      const after = edit(before);
      if (after === before) throw new Error(`the edit of ${file} changed nothing`);
      writeFileSync(path, after);
      git(dir, 'commit', '-q', '-am', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
    head: () => git(dir, 'rev-parse', 'HEAD'),
  };
}

// ---------------------------------------------------------------------------------------------
// The controller as a child process.

interface Berth {
  readonly url: string;
  readonly pid: number;
  readonly spawnedAt: number;
  readonly listeningAt: number;
  /** The last lines it wrote (stdout and stderr), for a failure report. */
  tail(lines?: number): string;
  status(): Promise<ControllerStatus>;
  resource(kind: string, name: string): Promise<ResourceStatus>;
  metrics(): Promise<string>;
  webhook(): Promise<number>;
  reconcile(): Promise<number>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; removes its work directory. */
  stop(): Promise<void>;
}

async function startBerth(source: string, endpoint: string, env: Record<string, string>): Promise<Berth> {
  const workDir = tempDir('berth-bench-work-');
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [entryScript, 'run', '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: CALLER,
      AWS_SECRET_ACCESS_KEY: 'sim',
      AWS_REGION: REGION,
      BERTH_SOURCE: source,
      BERTH_BRANCH: 'main',
      BERTH_PATH: 'manifests',
      BERTH_AWS_ENDPOINT: endpoint,
      BERTH_AWS_RATE: String(awsRate),
      BERTH_WORK_DIR: workDir,
      BERTH_WEBHOOK_SECRET: SECRET,
      BERTH_API_TOKEN: TOKEN,
      BERTH_DRAIN_TIMEOUT: '2s',
      BERTH_LOG_LEVEL: 'info',
      NODE_OPTIONS: values['node-options'],
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  let partial = '';
  let url: string | undefined;
  let listeningAt = 0;
  const onData = (d: Buffer): void => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (url === undefined && line.includes('"msg":"listening"')) {
        url = (JSON.parse(line) as { url: string }).url;
        listeningAt = Date.now();
      }
      lines.push(line);
      if (lines.length > 400) lines.splice(0, lines.length - 200);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = (n = 30): string => [...lines, partial].filter((l) => l !== '').slice(-n).join('\n');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    children.delete(child);
    removeTempDir(workDir);
  };
  try {
    const base = await eventually(
      'the controller to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`berth run exited with ${child.exitCode}:\n${tail()}`);
        return url;
      },
      30_000,
      20,
    );
    const post = (path: string, headers: Record<string, string>, body: string): Promise<number> =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      });
    return {
      url: base,
      pid: child.pid ?? 0,
      spawnedAt,
      listeningAt,
      tail,
      status: () => getJson<ControllerStatus>(`${base}/api/v1/status`),
      resource: (kind, name) => getJson<ResourceStatus>(`${base}/api/v1/resources/${kind}/${name}`),
      metrics: async () => (await fetch(`${base}/metrics`)).text(),
      webhook: () => {
        const body = JSON.stringify({ ref: 'refs/heads/main' });
        return post('/hooks/git', { 'x-github-event': 'push', 'x-hub-signature-256': signBody(body, SECRET) }, body);
      },
      reconcile: () => post('/api/v1/reconcile', { authorization: `Bearer ${TOKEN}` }, '{}'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A gauge's value in Prometheus text. */
function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} is not in /metrics`);
  return Number(line.split(' ')[1]);
}

/** The V8 heap (used / total), external memory and, per V8 space, its size, from /metrics. */
function memoryBreakdown(text: string): string {
  const spaces = text
    .split('\n')
    .filter((l) => l.startsWith('nodejs_heap_space_size_total_bytes{'))
    .map((l) => ({ space: /space="([^"]+)"/.exec(l)?.[1] ?? '?', bytes: Number(l.split(' ').at(-1)) }))
    .filter((x) => x.bytes >= 1024 * 1024)
    .map((x) => `${x.space} ${mb(x.bytes)}`);
  return `V8 heap used ${mb(gauge(text, 'nodejs_heap_size_used_bytes'))} of ${mb(gauge(text, 'nodejs_heap_size_total_bytes'))} (${spaces.join(', ')}), external ${mb(gauge(text, 'nodejs_external_memory_bytes'))}`;
}

/** Threads of a process (Linux only). */
function threads(pid: number): number | undefined {
  try {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/** Peak RSS of a process so far (Linux only). */
function peakRss(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Every resource Synced at `revision` (and every non-Alarm Healthy, if asked); `count` of them. */
async function allSynced(berth: Berth, count: number, revision: string, timeoutMs: number, healthy = false): Promise<ControllerStatus> {
  return eventually(
    `${count} resources Synced at ${revision.slice(0, 8)}${healthy ? ' and Healthy' : ''}`,
    async () => {
      const st = await berth.status();
      // The QueueScaler is reported beside the resources, not applied from the revision.
      const resources = st.resources.filter((r) => r.kind !== 'QueueScaler');
      const ok = resources.length === count && resources.every((r) => r.syncStatus === 'Synced' && r.lastAppliedRevision === revision && (!healthy || r.kind === 'Alarm' || r.health.status === 'Healthy'));
      return ok ? st : undefined;
    },
    timeoutMs,
    200,
  );
}

// ---------------------------------------------------------------------------------------------
// Goals.

interface GoalRow {
  readonly goal: string;
  readonly figure: string;
  readonly met: boolean;
}
const goals: GoalRow[] = [];
/** The small stack's controller memory, printed beside the large one's. */
let smallStackMemory = 'not measured';

function goal(row: GoalRow): void {
  goals.push(row);
  console.log(`  goal: ${row.goal} — ${row.figure} — goal met ${row.met ? 'yes' : 'no'}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Latency: webhook → first mutating call, on the small stack.

async function latencyScenario(): Promise<void> {
  console.log(`\n1. latency: webhook → first mutating AWS call (this repository's manifests/, ${commitCount} commits)`);
  const { sim, endpoint, close } = await startSimulator({ clock: 'real', speed: SIM_SPEED });
  let berth: Berth | undefined;
  const repo = makeRepo((dir) => cpSync(join(root, 'manifests'), dir, { recursive: true }));
  try {
    berth = await startBerth(repo.dir, endpoint, { BERTH_INTERVAL: '1h', BERTH_RESYNC: '1h' });
    const head = repo.head();
    await allSynced(berth, 14, head, 60_000);
    const syncedAt = Date.now();
    console.log(`  controller listening ${ms(berth.listeningAt - berth.spawnedAt)} after spawn; 14 resources Synced ${seconds(syncedAt - berth.spawnedAt)} after spawn`);
    const initial = byOperation(callsBetween(sim, 0));
    console.log(`  initial apply calls: ${formatCalls(initial)}`);
    // Let the rollouts finish and their follow-up looks happen, so each commit meets an idle controller.
    await allSynced(berth, 14, head, 60_000, true);
    await quiet(sim, 1000, 30_000);
    console.log(`  every resource Healthy and no AWS call for 1 s at ${seconds(Date.now() - berth.spawnedAt)} after spawn`);

    const latencies: number[] = [];
    const applied: number[] = [];
    const writeOps: Calls = {};
    let tag = '2024-12-01';
    for (let i = 1; i <= commitCount; i++) {
      const next = `2025-01-${String(i).padStart(2, '0')}`;
      const from = `filot-backend:${tag}`;
      const sha = repo.commit('manifests/backend.yaml', (t) => t.replace(from, `filot-backend:${next}`), `backend ${next}`);
      tag = next;
      const sent = Date.now();
      const code = await berth.webhook();
      if (code !== 202) throw new Error(`webhook answered ${code}`);
      const b = berth;
      await eventually(`Service/filot-backend-service applied at ${sha.slice(0, 8)}`, async () => ((await b.resource('Service', 'filot-backend-service')).lastAppliedRevision === sha ? true : undefined), 30_000, 10);
      const done = Date.now();
      const calls = callsBetween(sim, sent, done);
      const { writes } = split(calls);
      const first = writes[0];
      if (first === undefined) throw new Error(`commit ${i} (${sha.slice(0, 8)}) was applied without a mutating call`);
      latencies.push(first.time - sent);
      applied.push(done - sent);
      for (const [k, n] of Object.entries(byOperation(writes))) writeOps[k] = (writeOps[k] ?? 0) + n;
    }
    const row = (name: string, xs: readonly number[]): string => `  ${name.padEnd(44)} p50 ${ms(percentile(xs, 50)).padStart(7)}  p95 ${ms(percentile(xs, 95)).padStart(7)}  max ${ms(Math.max(...xs)).padStart(7)}`;
    console.log(row('webhook sent → first mutating call', latencies));
    console.log(row('webhook sent → lastAppliedRevision in status', applied));
    console.log(`  every sample (ms, webhook → first mutating call): ${latencies.map((x) => Math.round(x)).join(' ')}`);
    console.log(`  mutating calls over the ${commitCount} commits: ${formatCalls(writeOps)}`);
    const p95 = percentile(latencies, 95);
    goal({ goal: 'latency p95 ≤ 1 s (webhook → first mutating call)', figure: ms(p95), met: p95 <= 1000 });
    const text = await berth.metrics();
    const peak = peakRss(berth.pid);
    const threadCount = threads(berth.pid);
    smallStackMemory = `RSS ${mb(gauge(text, 'process_resident_memory_bytes'))}${peak === undefined ? '' : ` (peak ${mb(peak)})`}, ${memoryBreakdown(text)}${threadCount === undefined ? '' : `, ${threadCount} threads`}`;
    console.log(`  controller memory (informative): ${smallStackMemory}`);
  } catch (err) {
    if (berth) process.stderr.write(`controller output (last lines):\n${berth.tail()}\n`);
    throw err;
  } finally {
    await berth?.stop();
    await close();
    removeTempDir(repo.dir);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Scale: N Fargate services in one cluster.

const serviceName = (i: number): string => `svc-${String(i).padStart(4, '0')}`;


/** A Fargate API service with its own task-definition family (so the manifests are fully valid). */
function serviceDocument(i: number): string {
  return fargateServiceDocument(serviceName(i), serviceName(i), 1 + (i % 4));
}

async function scaleScenario(): Promise<void> {
  const n = serviceCount;
  const total = n + 1;
  console.log(`\n2. scale: ${n} Fargate services in one cluster (+ the Cluster manifest: ${total} resources), BERTH_RESYNC=1h, BERTH_INTERVAL=1h`);
  const servicesText = Array.from({ length: n }, (_, i) => serviceDocument(i)).join('---\n');
  const validation = validateSources([
    { path: 'manifests/cluster.yaml', text: clusterDocument },
    { path: 'manifests/services.yaml', text: servicesText },
  ]);
  if (!validation.valid || validation.manifests.length !== total) {
    throw new Error(`generated manifests are invalid:\n${JSON.stringify(validation.diagnostics.filter((d) => d.severity === 'error').slice(0, 3), null, 2)}`);
  }
  const repo = makeRepo((dir) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cluster.yaml'), clusterDocument);
    writeFileSync(join(dir, 'services.yaml'), servicesText);
  });
  const { sim, endpoint, close } = await startSimulator({ clock: 'real', speed: SIM_SPEED, seed: { accountId: ACCOUNT, region: REGION, autoScalingGroups: [] } });
  let berth: Berth | undefined;
  try {
    berth = await startBerth(repo.dir, endpoint, { BERTH_INTERVAL: '1h', BERTH_RESYNC: '1h' });
    const b = berth;
    const head = repo.head();
    await allSynced(b, total, head, 150_000);
    const syncedAt = Date.now();
    const initialCalls = callsBetween(sim, 0, syncedAt);
    console.log(`  initial apply: listening ${ms(b.listeningAt - b.spawnedAt)} after spawn; all ${total} Synced ${seconds(syncedAt - b.spawnedAt)} after spawn (${seconds(syncedAt - b.listeningAt)} after listening); ${initialCalls.length} calls: ${formatCalls(byOperation(initialCalls))}`);
    await allSynced(b, total, head, 90_000, true);
    await quiet(sim, 1000, 60_000);
    const settledAt = Date.now();
    console.log(`  settled (every service Healthy, no AWS call for 1 s) ${seconds(settledAt - syncedAt)} later; calls meanwhile: ${formatCalls(byOperation(callsBetween(sim, syncedAt + 1, settledAt)))}`);
    const rssSettled = gauge(await b.metrics(), 'process_resident_memory_bytes');

    // a. One service's image changed.
    console.log(`\n  a. one service's image changed + webhook (${runs} runs, a different service each)`);
    const changeTimes: number[] = [];
    const changed: string[] = [];
    let worstWrites = 0;
    for (let r = 0; r < runs; r++) {
      const name = serviceName((Math.floor(n / 2) + r) % n);
      const sha = repo.commit('manifests/services.yaml', (t) => t.replace(`/${name}:2024-12-01`, `/${name}:2025-01-0${r + 1}`), `${name} 2025-01-0${r + 1}`);
      const sent = Date.now();
      const code = await b.webhook();
      if (code !== 202) throw new Error(`webhook answered ${code}`);
      await eventually(`Service/${name} applied at ${sha.slice(0, 8)}`, async () => ((await b.resource('Service', name)).lastAppliedRevision === sha ? true : undefined), 60_000, 10);
      const done = Date.now();
      const { reads, writes } = split(callsBetween(sim, sent, done));
      changeTimes.push(done - sent);
      changed.push(name);
      worstWrites = Math.max(worstWrites, writes.length);
      const first = writes[0];
      console.log(
        `     run ${r + 1} ${name}: ${ms(done - sent)} webhook → applied in status (first mutating call at ${first === undefined ? '-' : ms(first.time - sent)}); mutating ${writes.length}: ${formatCalls(byOperation(writes))}; reads ${reads.length}: ${formatCalls(byOperation(reads))}`,
      );
      await quiet(sim, 300, 30_000);
    }
    const changeMedian = median(changeTimes);
    goal({ goal: 'one change: webhook → applied ≤ 2 s (median)', figure: `${ms(changeMedian)} (runs: ${changeTimes.map((x) => ms(x)).join(', ')})`, met: changeMedian <= 2000 });
    goal({ goal: 'one change: ≤ 3 mutating calls (every run)', figure: `${worstWrites} at most`, met: worstWrites <= 3 });

    // The changed services are looked at again once their rollout moves (progress requeue): let
    // that happen before the resync, so the resync counts a no-change pass only.
    await eventually(
      'the changed services Healthy',
      async () => {
        const all = await Promise.all(changed.map((name) => b.resource('Service', name)));
        return all.every((s) => s.health.status === 'Healthy') ? true : undefined;
      },
      60_000,
      200,
    );
    await quiet(sim, 1000, 30_000);

    // b. A full resync with nothing changed.
    const readGoal = Math.ceil(n / 10) + Math.ceil(n / 100) + 10;
    console.log(`\n  b. POST /api/v1/reconcile with nothing changed (${runs} runs); read goal ⌈N/10⌉ + ⌈N/100⌉ + 10 = ${readGoal}`);
    const passTimes: number[] = [];
    let worstReads = 0;
    let worstResyncWrites = 0;
    for (let r = 0; r < runs; r++) {
      const sent = Date.now();
      const code = await b.reconcile();
      if (code !== 202) throw new Error(`POST /api/v1/reconcile answered ${code}`);
      await eventually(
        'every resource reconciled after the trigger',
        async () => {
          const st = await b.status();
          const resources = st.resources.filter((r) => r.kind !== 'QueueScaler');
          return resources.length === total && resources.every((res) => res.lastReconciledAt !== undefined && Date.parse(res.lastReconciledAt) >= sent) ? true : undefined;
        },
        60_000,
        100,
      );
      const reconciledAt = Date.now();
      const lastCall = await quiet(sim, 1000, 30_000);
      const { reads, writes } = split(callsBetween(sim, sent));
      passTimes.push(reconciledAt - sent);
      worstReads = Math.max(worstReads, reads.length);
      worstResyncWrites = Math.max(worstResyncWrites, writes.length);
      console.log(
        `     run ${r + 1}: every resource reconciled ${ms(reconciledAt - sent)} after the trigger (last call at ${ms(lastCall - sent)}); reads ${reads.length}: ${formatCalls(byOperation(reads))}; mutating ${writes.length}${writes.length > 0 ? `: ${formatCalls(byOperation(writes))}` : ''}`,
      );
    }
    console.log(`     median pass time ${ms(median(passTimes))}`);
    goal({ goal: `resync: read calls ≤ ${readGoal} (every run)`, figure: `${worstReads} at most`, met: worstReads <= readGoal });
    goal({ goal: 'resync: 0 mutating calls (every run)', figure: `${worstResyncWrites} at most`, met: worstResyncWrites === 0 });

    // c. Memory.
    const text = await b.metrics();
    const rss = gauge(text, 'process_resident_memory_bytes');
    const peak = peakRss(b.pid);
    console.log(`\n  c. controller memory with ${n} services (its /metrics): RSS ${mb(rss)} after the resyncs (${mb(rssSettled)} when settled, before a.)${peak === undefined ? '' : `; peak RSS (VmHWM) ${mb(peak)}`}`);
    console.log(`     ${memoryBreakdown(text)}; for comparison, the small stack's controller: ${smallStackMemory}`);
    goal({ goal: 'controller RSS ≤ 150 MB after the resync', figure: mb(rss), met: rss <= 150 * 1024 * 1024 });
  } catch (err) {
    if (berth) process.stderr.write(`controller output (last lines):\n${berth.tail()}\n`);
    throw err;
  } finally {
    await berth?.stop();
    await close();
    removeTempDir(repo.dir);
  }
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
const cpuList = cpus();
console.log(`berth run benchmark — machine: ${cpuList.length} CPUs (${cpuList[0]?.model.trim() ?? 'unknown'}), ${mb(totalmem())} RAM, node ${process.version}, ${process.platform}/${process.arch}`);
if (values.entry === 'dist') {
  // The production build: what the images run.
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
console.log(`controller: child process \`node ${entryScript} run\` (NODE_OPTIONS="${values['node-options']}"); BERTH_AWS_RATE=${awsRate} (set high for the bench; default 20), BERTH_WORKERS default (4); simulator in this process, real clock at ${SIM_SPEED}x`);
let failed = false;
try {
  await latencyScenario();
  await scaleScenario();
} catch (err) {
  failed = true;
  process.stderr.write(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
console.log(`\nsummary (${seconds(Date.now() - started)} in all)`);
for (const g of goals) console.log(`  ${g.met ? 'yes' : 'NO '}  ${g.goal}: ${g.figure}`);
const missed = goals.filter((g) => !g.met).length;
console.log(failed ? '  the bench failed before measuring everything (see above)' : missed === 0 ? `  every goal met (${goals.length})` : `  ${missed} of ${goals.length} goals not met${check ? '' : ' (--no-check: exit 0)'}`);
process.exitCode = failed || (check && missed > 0) ? 1 : 0;
