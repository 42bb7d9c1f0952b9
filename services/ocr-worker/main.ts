/**
 * `npm run ocr-worker`: the GPU OCR worker process. Configuration from the environment:
 * REDIS_URL, STORAGE_DIR, OCR_CONCURRENCY (default 1, one per GPU), OCR_PROVIDER (auto | cpu | cuda),
 * PORT (health and metrics, default 9090), OCR_LOCK_DURATION_MS and OCR_STALLED_INTERVAL_MS (how soon
 * a killed worker's job goes to another, default 30 s each), ECS_AGENT_URI (set by ECS: task
 * scale-in protection while a job runs). SIGTERM: stop taking jobs, finish the running one, exit 0.
 */
import { Redis } from 'ioredis';
import { jsonLogger } from '../../controller/log.ts';
import { TaskProtection } from '../../controller/scaler/task-protection.ts';
import { redactUrl } from '../../controller/source/redact-url.ts';
import { LocalDirectoryStorage } from '../shared/storage.ts';
import { createOcrEngine } from './engine/ocr-engine.ts';
import { startWorkerHttp, WorkerMetrics } from './http.ts';
import { OcrWorker } from './worker.ts';

const env = process.env;
const log = jsonLogger({ level: env.LOG_LEVEL === 'debug' ? 'debug' : 'info' });
const number = (name: string, fallback: number, min: number): number => {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isInteger(value) || value < min) {
    log('error', `${name} must be a whole number of ${min} or more`, { value: env[name] });
    process.exit(2);
  }
  return value;
};
const provider = env.OCR_PROVIDER ?? 'auto';
if (provider !== 'auto' && provider !== 'cpu' && provider !== 'cuda') {
  log('error', 'OCR_PROVIDER must be auto, cpu or cuda', { value: provider });
  process.exit(2);
}
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const settings = {
  storageDir: env.STORAGE_DIR ?? '.data/documents',
  concurrency: number('OCR_CONCURRENCY', 1, 1),
  port: number('PORT', 9090, 0),
  lockDurationMs: number('OCR_LOCK_DURATION_MS', 30_000, 1000),
  stalledIntervalMs: number('OCR_STALLED_INTERVAL_MS', 30_000, 500),
};
log('info', 'ocr worker starting', { ...settings, provider, redisUrl: redactUrl(redisUrl), ecsAgent: env.ECS_AGENT_URI ? 'set' : 'not set' });

const metrics = new WorkerMetrics();
const engine = await createOcrEngine({ provider, log: (event) => log('info', 'ocr engine', { ...event }) });
metrics.setProvider(engine.provider);
log('info', 'execution provider', { provider: engine.provider });
const protection = new TaskProtection({ log });
const worker = new OcrWorker({ redisUrl, storage: new LocalDirectoryStorage(settings.storageDir), engine, log, metrics, protection, concurrency: settings.concurrency, lockDurationMs: settings.lockDurationMs, stalledIntervalMs: settings.stalledIntervalMs });
const probe = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
probe.on('error', () => undefined);
const http = await startWorkerHttp(settings.port, metrics, async () => {
  const redis = await Promise.race([probe.ping().then(() => 'connected' as const), new Promise<'error'>((resolve) => setTimeout(() => resolve('error'), 1000))]).catch(() => 'error' as const);
  return { ok: redis === 'connected', body: { status: redis === 'connected' ? 'ok' : 'degraded', redis, provider: engine.provider, protection: protection.state() } };
});
await worker.start();
log('info', 'ocr worker ready', { port: http.port, queue: 'ocr-gpu' });

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log('info', 'stopping: finishing the running job', { signal });
  void (async () => {
    await worker.close();
    await Promise.allSettled([engine.close(), http.close()]);
    probe.disconnect();
    log('info', 'stopped');
    process.exit(0);
  })();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
