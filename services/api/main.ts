/**
 * The document API process: reads the environment, wires Redis, the OCR queue, storage and the app
 * together, serves until SIGTERM or SIGINT, then stops in order: stop accepting, let requests in
 * flight finish (bounded), close the queue, close Redis, exit 0. Logs are JSON lines on stdout and
 * never carry a secret, a token or the Redis URL's credentials.
 *
 *   JWT_SECRET=… REDIS_URL=redis://127.0.0.1:6379 npm run api
 */
import { Queue } from 'bullmq';
import { OCR_QUEUE } from '../shared/ocr-job.ts';
import { LocalDirectoryStorage } from '../shared/storage.ts';
import { createApiApp } from './app.ts';
import type { OcrQueue } from './app.ts';
import { ConfigError, MIN_JWT_SECRET_BYTES, readApiConfig } from './config.ts';
import type { ApiConfig } from './config.ts';
import { errorText } from './errors.ts';
import { jsonLogger } from '../../controller/log.ts';
import { ApiMetrics } from './metrics.ts';
import { createRedisConnection, redactedRedisUrl } from './redis.ts';
import { startHttpServer } from '../../controller/http/server.ts';

/** How long SIGTERM lets requests in flight finish (an upload of 10 MiB on a slow link); under ECS's 30 s stopTimeout. */
const DRAIN_TIMEOUT_MS = 20_000;
/** How long closing the queue and Redis may take once requests are done. */
const CLOSE_TIMEOUT_MS = 2_000;

const log = jsonLogger();

let config: ApiConfig;
try {
  config = readApiConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  log('error', `configuration: ${error.message}`);
  process.exit(2);
}

if (Buffer.byteLength(config.jwtSecret) < MIN_JWT_SECRET_BYTES) {
  log('warn', `JWT_SECRET is shorter than ${MIN_JWT_SECRET_BYTES} bytes: tokens signed with it are easier to forge; use a longer random secret`);
}
if (config.serviceKey === undefined) log('info', 'SERVICE_KEY is not set: /internal/* answers 503');

// Redis: one connection for the queue and the health probe; its state changes are logged once each, not every retry.
const redis = createRedisConnection(config.redisUrl);
let redisUp: boolean | undefined;
redis.on('ready', () => {
  if (redisUp !== true) log('info', 'redis connected', { redis: redactedRedisUrl(config.redisUrl) });
  redisUp = true;
});
redis.on('error', (error: Error) => {
  if (redisUp !== false) log('warn', 'redis unavailable; retrying', { redis: redactedRedisUrl(config.redisUrl), error: errorText(error) });
  redisUp = false;
});

const queue: OcrQueue = new Queue(OCR_QUEUE, { connection: redis });
queue.on('error', () => undefined); // The connection's own listener reports it.

const app = createApiApp({
  queue,
  storage: new LocalDirectoryStorage(config.storageDir),
  jwtSecret: config.jwtSecret,
  serviceKey: config.serviceKey,
  maxUploadBytes: config.maxUploadBytes,
  metrics: new ApiMetrics(),
  pingRedis: () => redis.ping(),
  log,
});

const server = await startHttpServer(app, config.port, { closeTimeoutMs: DRAIN_TIMEOUT_MS });
log('info', 'listening', { port: server.port, url: server.url, queue: OCR_QUEUE, storageDir: config.storageDir, maxUploadBytes: config.maxUploadBytes });

/** `promise`, or nothing after `ms`: a step of the shutdown that hangs must not keep the process alive. */
const bounded = (promise: Promise<unknown>, ms: number): Promise<unknown> =>
  Promise.race([promise.catch((error: unknown) => log('warn', 'shutdown step failed', { error: errorText(error) })), new Promise((resolve) => setTimeout(resolve, ms).unref())]);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    log('warn', `second ${signal}: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  log('info', 'stopping', { signal });
  // Each step runs even if the one before failed or hung.
  await bounded(server.close(), DRAIN_TIMEOUT_MS + 1_000);
  await bounded(queue.close(), CLOSE_TIMEOUT_MS);
  await bounded(redis.quit(), CLOSE_TIMEOUT_MS);
  redis.disconnect();
  log('info', 'stopped');
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (s: NodeJS.Signals) => void shutdown(s));
