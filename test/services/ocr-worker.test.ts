/**
 * The OCR worker with a real Redis, real BullMQ jobs and the real ONNX models on CPU: a document
 * is read; an undecodable one fails at once, without retries; a worker killed with SIGKILL mid-job
 * loses nothing (another worker completes the job); SIGTERM mid-job lets the job finish and exits 0.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../controller/log.ts';
import { OCR_QUEUE } from '../../services/shared/ocr-job.ts';
import type { OcrJobData, OcrJobResult } from '../../services/shared/ocr-job.ts';
import { LocalDirectoryStorage } from '../../services/shared/storage.ts';
import { createOcrEngine } from '../../services/ocr-worker/engine/ocr-engine.ts';
import { OcrWorker } from '../../services/ocr-worker/worker.ts';
import { eventually } from '../controller/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

const root = join(import.meta.dirname, '..', '..');
let redis: RedisServer;
let dir: string;
let storage: LocalDirectoryStorage;
let queue: Queue<OcrJobData, OcrJobResult>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'berth-ocr-'));
  storage = new LocalDirectoryStorage(dir);
  queue = new Queue<OcrJobData, OcrJobResult>(OCR_QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
}, 30_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await queue.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A white page with black text lines, as PNG. */
async function page(lines: readonly string[], width = 1240, lineHeight = 56): Promise<Buffer> {
  const height = Math.max(200, lines.length * lineHeight + 120);
  const text = lines.map((l, i) => `<text x="80" y="${100 + i * lineHeight}" font-family="DejaVu Sans" font-size="36" fill="#000">${l}</text>`).join('');
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`)).png().toBuffer();
}

/** Stores `image` and queues its job as the API does (content hash as job id). */
async function submit(image: Buffer, attempts = 3): Promise<string> {
  const id = createHash('sha256').update(image).digest('hex');
  await storage.put(`${id}.png`, image);
  await queue.add('ocr', { documentId: id, storageKey: `${id}.png`, imageType: 'png', bytes: image.length, uploadedAt: new Date().toISOString() }, { jobId: id, attempts, backoff: { type: 'exponential', delay: 200 } });
  return id;
}

/** `npm run ocr-worker` as a child process; resolves once it is ready. */
async function startWorkerProcess(name: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/ocr-worker/main.ts'], {
    cwd: root,
    env: { ...process.env, REDIS_URL: redis.url, STORAGE_DIR: dir, PORT: '0', OCR_PROVIDER: 'cpu', OCR_LOCK_DURATION_MS: '2000', OCR_STALLED_INTERVAL_MS: '1000', WORKER_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(`${name} ready`, () => (output.includes('"msg":"ocr worker ready"') ? true : undefined), 60_000, 50);
  return { child, output: () => output };
}

const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('OCR worker', () => {
  it('reads a document, and fails an undecodable one at once without retrying it', async () => {
    const engine = await createOcrEngine({ provider: 'cpu' });
    const worker = new OcrWorker({ redisUrl: redis.url, storage, engine, log: silentLogger });
    await worker.start();
    try {
      const id = await submit(await page(['INVOICE 2024', 'TOTAL 1234.56']));
      const job = await eventually('the job done', async () => ((await queue.getJob(id))?.finishedOn !== undefined ? queue.getJob(id) : undefined), 60_000, 100);
      expect(job?.returnvalue.text).toContain('INVOICE');
      expect(job?.returnvalue.text).toContain('1234.56');
      expect(job?.returnvalue.provider).toBe('cpu');

      const bad = Buffer.from('this is text, not an image');
      const badId = createHash('sha256').update(bad).digest('hex');
      await storage.put(`${badId}.png`, bad);
      await queue.add('ocr', { documentId: badId, storageKey: `${badId}.png`, imageType: 'png', bytes: bad.length, uploadedAt: new Date().toISOString() }, { jobId: badId, attempts: 3 });
      const failed = await eventually('the bad job failed', async () => ((await queue.getJobState(badId)) === 'failed' ? queue.getJob(badId) : undefined), 20_000, 100);
      expect(failed?.attemptsMade).toBe(1);
      expect(failed?.failedReason).toMatch(/decode/i);
    } finally {
      await worker.close();
      await engine.close();
    }
  }, 90_000);

  it('loses nothing when a worker is killed mid-job: another one completes it', async () => {
    const a = await startWorkerProcess('a');
    const id = await submit(await page(Array.from({ length: 28 }, (_, i) => `Line ${i + 1} of the killed job, TOTAL ${1000 + i}.50`)));
    await eventually('the job active on a', async () => ((await queue.getJobState(id)) === 'active' ? true : undefined), 30_000, 20);
    a.child.kill('SIGKILL');
    await exited(a.child);
    const b = await startWorkerProcess('b');
    const job = await eventually('the job completed by b', async () => ((await queue.getJobState(id)) === 'completed' ? queue.getJob(id) : undefined), 60_000, 100);
    expect(job?.returnvalue.text).toContain('killed job');
    expect(b.output()).toContain(`"job":"${id}"`);
    b.child.kill('SIGTERM');
    expect(await exited(b.child)).toBe(0);
  }, 150_000);

  it('finishes the running job on SIGTERM, then exits 0', async () => {
    const w = await startWorkerProcess('c');
    const id = await submit(await page(Array.from({ length: 28 }, (_, i) => `Line ${i + 1} of the terminated job, TOTAL ${2000 + i}.25`)));
    await eventually('the job active', async () => ((await queue.getJobState(id)) === 'active' ? true : undefined), 30_000, 20);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    expect(await queue.getJobState(id)).toBe('completed');
    expect(w.output()).toContain('"msg":"stopped"');
  }, 120_000);
});
