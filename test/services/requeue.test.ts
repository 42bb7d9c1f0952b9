/**
 * `npm run ocr-requeue`: lists stalled (worker gone, lock expired) and failed jobs; `--dry-run`
 * changes nothing; without it the stalled job goes back to waiting and the failed one is retried.
 * A real Redis and real BullMQ jobs.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCR_QUEUE } from '../../services/shared/ocr-job.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

const root = join(import.meta.dirname, '..', '..');
let redis: RedisServer;
let queue: Queue;

beforeAll(async () => {
  redis = await startRedis();
  queue = new Queue(OCR_QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
}, 30_000);
afterAll(async () => {
  await queue.close();
  await redis.stop();
});

const requeue = async (...args: string[]): Promise<string> =>
  (await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/ocr-worker/requeue-stuck.ts', ...args], { cwd: root, env: { ...process.env, REDIS_URL: redis.url } })).stdout;

describe('ocr-requeue', () => {
  it('requeues a stalled and a failed job, and --dry-run only lists them', async () => {
    await queue.add('ocr', { n: 1 }, { jobId: 'stalled-job' });
    await queue.add('ocr', { n: 2 }, { jobId: 'failed-job' });
    // A worker takes both by hand: one it fails, the other it abandons (its lock lapses, as when killed).
    const worker = new Worker(OCR_QUEUE, null, { connection: { host: '127.0.0.1', port: redis.port }, lockDuration: 500 });
    const first = await worker.getNextJob('t1');
    const second = await worker.getNextJob('t2');
    const failed = [first, second].find((j) => j?.id === 'failed-job');
    await failed?.moveToFailed(new Error('CUDA out of memory'), failed.id === first?.id ? 't1' : 't2', false);
    await worker.close(true);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await queue.getJobState('stalled-job')).toBe('active');
    expect(await queue.getJobState('failed-job')).toBe('failed');

    const listed = await requeue('--dry-run');
    expect(listed).toMatch(/^stalled +stalled-job .*lock expired$/m);
    expect(listed).toMatch(/^failed +failed-job +after \d+ attempts: CUDA out of memory$/m);
    expect(listed).toContain('dry run: would requeue 1 stalled and 1 failed jobs');
    expect(await queue.getJobState('stalled-job')).toBe('active');
    expect(await queue.getJobState('failed-job')).toBe('failed');

    const done = await requeue();
    expect(done).toContain('requeued 1 stalled and 1 failed jobs');
    expect(await queue.getJobState('stalled-job')).toBe('waiting');
    expect(await queue.getJobState('failed-job')).toBe('waiting');
  }, 60_000);
});
