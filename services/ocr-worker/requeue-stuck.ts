/**
 * `npm run ocr-requeue -- [--dry-run] [--active-older-than 15m] [--no-failed]`: what the deployment
 * notes' requeue_stuck_jobs.sh did, through BullMQ's own API instead of raw Redis keys.
 * - Stalled jobs (active, but their worker's lock has expired: the worker died) go back to waiting,
 *   by BullMQ's own stalled-job check.
 * - Failed jobs are retried (Job.retry).
 * - Jobs active for longer than the threshold whose lock is still held are listed: a worker is
 *   still on them, and taking them away would run them twice.
 * `--dry-run` lists and changes nothing. REDIS_URL names the Redis.
 */
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { OCR_QUEUE } from '../shared/ocr-job.ts';

const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, 'active-older-than': { type: 'string', default: '15m' }, 'no-failed': { type: 'boolean', default: false }, queue: { type: 'string', default: OCR_QUEUE }, prefix: { type: 'string', default: 'bull' } } });
const match = /^(\d+)(s|m|h)$/.exec(values['active-older-than']);
if (!match) {
  console.error(`--active-older-than ${values['active-older-than']}: write e.g. 90s, 15m or 2h`);
  process.exit(2);
}
const olderThanMs = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
const dryRun = values['dry-run'];
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const queue = new Queue(values.queue, { connection, prefix: values.prefix });

try {
  const now = Date.now();
  const active = await queue.getJobs(['active']);
  let stalled = 0;
  for (const job of active) {
    const locked = (await connection.exists(`${values.prefix}:${values.queue}:${job.id ?? ''}:lock`)) === 1;
    const age = now - (job.processedOn ?? now);
    if (!locked) {
      stalled++;
      console.log(`stalled   ${job.id ?? '?'}  active ${Math.round(age / 1000)} s, its worker's lock expired${dryRun ? '' : ': back to waiting'}`);
    } else if (age > olderThanMs) {
      console.log(`long      ${job.id ?? '?'}  active ${Math.round(age / 1000)} s, still locked by a worker: left alone`);
    }
  }
  if (stalled > 0 && !dryRun) {
    // BullMQ's own stalled check moves them (or fails those stalled too often), as a worker would.
    const checkerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const checker = new Worker(values.queue, null, { connection: checkerConnection, prefix: values.prefix, autorun: false, stalledInterval: 500 });
    await checker.startStalledCheckTimer();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await checker.close();
    checkerConnection.disconnect();
  }
  let retried = 0;
  if (!values['no-failed']) {
    for (const job of await queue.getJobs(['failed'])) {
      console.log(`failed    ${job.id ?? '?'}  after ${job.attemptsMade} attempts: ${job.failedReason}${dryRun ? '' : ': retried'}`);
      if (!dryRun) await job.retry('failed');
      retried++;
    }
  }
  console.log(`${dryRun ? 'dry run: would requeue' : 'requeued'} ${stalled} stalled and ${retried} failed ${stalled + retried === 1 ? 'job' : 'jobs'}`);
} finally {
  await queue.close();
  connection.disconnect();
}
