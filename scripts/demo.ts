/**
 * `npm run demo`: the whole system on one machine, for real but for AWS. A local Redis, the AWS
 * simulator in real-time mode (seeded with the deployment's g5.xlarge group `filot-ocr-gpu-asg`
 * joining `filot-ocr-gpu-cluster`), `berth run` on this repository's manifests/, the document API
 * and a CPU OCR worker standing in for the GPU fleet's workers (it takes jobs only while the
 * simulated GPU service has a task placed); then it submits sample documents so the queue scaler
 * wakes the (simulated) GPU fleet, which works through them and goes back to sleep. Ctrl-C stops
 * everything it started.
 *
 *   npm run demo [-- --speed 10] [-- --for 120]   (--for: stop by itself after that many seconds)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import type { ControllerStatus } from '../controller/engine/status.ts';
import { jsonLogger } from '../controller/log.ts';
import type { Logger } from '../controller/log.ts';
import { startController } from '../controller/run.ts';
import { createApiApp } from '../services/api/app.ts';
import type { OcrQueue } from '../services/api/app.ts';
import { createRedisConnection } from '../services/api/redis.ts';
import { startHttpServer } from '../controller/http/server.ts';
import { createOcrEngine } from '../services/ocr-worker/engine/ocr-engine.ts';
import { OcrWorker } from '../services/ocr-worker/worker.ts';
import { OCR_QUEUE } from '../services/shared/ocr-job.ts';
import { LocalDirectoryStorage } from '../services/shared/storage.ts';
import { startSimulator } from '../sim/simulator.ts';
import { startRedis } from './local-redis.ts';

const { values } = parseArgs({
  options: {
    /** Simulated seconds per real second: 10 boots a g5 instance (180 s) in 18 s. */
    speed: { type: 'string', default: '10' },
    /** Stop by itself after this many real seconds (headless runs); 0: until Ctrl-C. */
    for: { type: 'string', default: '0' },
    /** Sample documents to submit. */
    documents: { type: 'string', default: '24' },
    port: { type: 'string', default: '8080' },
  },
});
const speed = Number(values.speed);
const runFor = Number(values.for);
const documents = Number(values.documents);
const port = Number(values.port);
const root = join(import.meta.dirname, '..');
const tty = process.stdout.isTTY;
const quiet: Logger = jsonLogger({ level: 'error', write: (line) => void process.stderr.write(line) });
const say = (text: string): void => void process.stdout.write(`${text}\n`);

const cleanups: (() => Promise<unknown>)[] = [];
let stopping: Promise<void> | undefined;
/** Stops everything started, newest first, each step even if one before it fails. */
function stopAll(reason: string): Promise<void> {
  stopping ??= (async () => {
    if (tty) process.stdout.write('\n');
    say(`stopping (${reason}) …`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    say('stopped: nothing left running');
  })();
  return stopping;
}
process.on('SIGINT', () => void stopAll('Ctrl-C').then(() => process.exit(0)));
process.on('SIGTERM', () => void stopAll('SIGTERM').then(() => process.exit(0)));

try {
  say(`berth demo — simulated AWS at ${speed}x real time`);
  // Redis (a local redis-server on a free port, or REDIS_URL).
  const redis = await startRedis({ reuseEnv: true });
  cleanups.push(() => redis.stop());
  // The AWS simulator, real-time, with the deployment's own infrastructure.
  const sim = await startSimulator({ clock: 'real', speed });
  cleanups.push(() => sim.close());
  // The controller, on this repository's git history and manifests/.
  const workDir = await mkdtemp(join(tmpdir(), 'berth-demo-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'demo', AWS_SECRET_ACCESS_KEY: 'demo', AWS_REGION: 'ap-southeast-2', REDIS_URL: redis.url });
  const webhookSecret = randomBytes(16).toString('hex');
  const controller = await startController(
    {
      source: root,
      branch: (await import('node:child_process')).execFileSync('git', ['-C', root, 'rev-parse', '--abbrev-ref', 'HEAD'], { encoding: 'utf8' }).trim(),
      path: 'manifests',
      intervalMs: 10_000,
      watch: false,
      port,
      host: '127.0.0.1',
      resyncMs: 60_000,
      workers: 4,
      selfHeal: true,
      prune: false,
      instance: 'berth',
      endpoint: sim.endpoint,
      leaseTtlMs: 15_000,
      awsRate: 50,
      drainMs: 5000,
      workDir,
      logLevel: 'error',
      scalerClock: () => sim.sim.now(),
    },
    { webhookSecret },
    quiet,
  );
  cleanups.push(() => controller.stop());
  // The document API and the OCR worker, sharing a storage directory and the queue.
  const storageDir = await mkdtemp(join(tmpdir(), 'berth-demo-docs-'));
  cleanups.push(() => rm(storageDir, { recursive: true, force: true }));
  const storage = new LocalDirectoryStorage(storageDir);
  const connection = createRedisConnection(redis.url, 'demo-api');
  connection.on('error', () => undefined);
  const queue: OcrQueue = new Queue(OCR_QUEUE, { connection });
  const jwtSecret = randomBytes(32).toString('hex');
  const api = await startHttpServer(createApiApp({ queue, storage, jwtSecret, pingRedis: () => connection.ping() }), port + 1, { host: '127.0.0.1' });
  cleanups.push(async () => {
    await api.close();
    await queue.close();
    connection.disconnect();
  });
  // The CPU worker stands in for the GPU service's workers: it runs while the simulated service
  // has a task placed on an instance and stops when the scaler takes the last one away. So the jobs
  // wait for the (simulated) instance boot as they would in production, and the fleet, not this
  // process, decides when work is done.
  const engine = await createOcrEngine({ provider: 'cpu' });
  let worker: OcrWorker | undefined;
  let following: Promise<void> = Promise.resolve();
  const followFleet = (placed: number): void => {
    following = following
      .then(async () => {
        if (placed > 0 && !worker) {
          worker = new OcrWorker({ redisUrl: redis.url, storage, engine, log: quiet });
          await worker.start();
        } else if (placed === 0 && worker) {
          const stopping = worker;
          worker = undefined;
          await stopping.close();
        }
      })
      .catch((err: unknown) => say(`OCR worker: ${err instanceof Error ? err.message : String(err)}`));
  };
  cleanups.push(async () => {
    await following;
    await worker?.close();
    await engine.close();
  });

  const token = await new SignJWT({ sub: 'demo' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
  say('');
  say(`  status page   ${controller.url}/`);
  say(`  status API    ${controller.url}/api/v1/status`);
  say(`  metrics       ${controller.url}/metrics`);
  say(`  document API  ${api.url}/v1/documents   (Authorization: Bearer ${token.slice(0, 16)}…; the token is printed in full with --for 0 only)`);
  if (runFor === 0) say(`  token         ${token}`);
  say(`  simulator     ${sim.endpoint}/_sim/state`);
  say('');

  // A compact live line: revision, resources synced/healthy, backlog, tasks, instances.
  let last = '';
  const line = async (): Promise<void> => {
    const status = (await (await fetch(`${controller.url}/api/v1/status`)).json()) as ControllerStatus;
    const applied = status.resources.filter((r) => r.kind !== 'QueueScaler');
    const scaler = status.resources.find((r) => r.kind === 'QueueScaler');
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'completed');
    const state = sim.sim.dump() as {
      autoscaling: { groups: { name: string; desiredCapacity: number; instances: { lifecycleState: string }[] }[] };
      ecs: { services: { name: string; desiredCount: number }[]; containerInstances: { cluster: string; tasks: number }[] };
    };
    const group = state.autoscaling.groups.find((g) => g.name === 'filot-ocr-gpu-asg');
    const gpu = state.ecs.services.find((s) => s.name === 'filot-ocr-gpu-service');
    followFleet(state.ecs.containerInstances.filter((i) => i.cluster === 'filot-ocr-gpu-cluster').reduce((n, i) => n + i.tasks, 0));
    const text =
      `rev ${(status.source.revision ?? '…').slice(0, 7)} | ${applied.filter((r) => r.syncStatus === 'Synced').length}/${applied.length} synced, ` +
      `${applied.filter((r) => r.health.status === 'Healthy').length} healthy | backlog ${(counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.active ?? 0)}, done ${counts.completed ?? 0} | ` +
      `gpu tasks ${gpu?.desiredCount ?? 0} | instances ${group?.instances.filter((i) => i.lifecycleState === 'InService').length ?? 0} in service of ${group?.desiredCapacity ?? 0}` +
      `${scaler ? ` | scaler ${scaler.health.status}` : ''}`;
    if (tty) process.stdout.write(`\r${text.padEnd(last.length)}`);
    else if (text !== last) say(text);
    last = text;
  };
  const ticker = setInterval(() => void line().catch(() => undefined), 1000);
  cleanups.push(() => Promise.resolve(clearInterval(ticker)));

  // Once the stack is in sync, the work arrives: sample invoices through the API.
  const synced = async (): Promise<boolean> => {
    const status = (await (await fetch(`${controller.url}/api/v1/status`)).json()) as ControllerStatus;
    const applied = status.resources.filter((r) => r.kind !== 'QueueScaler');
    return applied.length > 0 && applied.every((r) => r.syncStatus === 'Synced');
  };
  while (!(await synced())) await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < documents; i++) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="300"><rect width="100%" height="100%" fill="#fff"/><text x="60" y="100" font-family="DejaVu Sans" font-size="40">INVOICE ${2024 + i}</text><text x="60" y="200" font-family="DejaVu Sans" font-size="40">TOTAL ${(1234.56 + i).toFixed(2)}</text></svg>`;
    const form = new FormData();
    form.append('file', new Blob([await sharp(Buffer.from(svg)).png().toBuffer()], { type: 'image/png' }), `invoice-${i}.png`);
    await fetch(`${api.url}/v1/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  }
  if (tty) process.stdout.write('\n');
  say(`submitted ${documents} sample invoices: watch the GPU fleet wake up, boot (180 s simulated), read them, and sleep once its workers have been idle for the scaler's 120 s window`);

  if (runFor > 0) {
    await new Promise((resolve) => setTimeout(resolve, runFor * 1000));
    await stopAll(`--for ${runFor}`);
    process.exit(0);
  }
} catch (err) {
  process.stderr.write(`berth demo: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll('error');
  process.exit(1);
}
