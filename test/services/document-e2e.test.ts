/**
 * The document API and the OCR worker together, end to end, with a real Redis, real BullMQ and the
 * real ONNX models: upload with a valid JWT → 202 → the worker reads it → GET returns the text; the
 * same upload again is the same document and no second job; bad uploads are refused and queue
 * nothing.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../controller/log.ts';
import { createApiApp } from '../../services/api/app.ts';
import type { OcrQueue } from '../../services/api/app.ts';
import { createRedisConnection } from '../../services/api/redis.ts';
import { startHttpServer } from '../../controller/http/server.ts';
import { createOcrEngine } from '../../services/ocr-worker/engine/ocr-engine.ts';
import type { OcrEngine } from '../../services/ocr-worker/engine/ocr-engine.ts';
import { OcrWorker } from '../../services/ocr-worker/worker.ts';
import { OCR_QUEUE } from '../../services/shared/ocr-job.ts';
import { LocalDirectoryStorage } from '../../services/shared/storage.ts';
import { eventually } from '../controller/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

const SECRET = 'document-e2e-secret-0123456789-abcdefghijkl';
let redis: RedisServer;
let storageDir: string;
let queue: OcrQueue;
let api: { url: string; close(): Promise<void> };
let engine: OcrEngine;
let worker: OcrWorker;
let connection: ReturnType<typeof createRedisConnection>;

beforeAll(async () => {
  redis = await startRedis();
  storageDir = await mkdtemp(join(tmpdir(), 'berth-docs-'));
  const storage = new LocalDirectoryStorage(storageDir);
  connection = createRedisConnection(redis.url, 'e2e');
  connection.on('error', () => undefined);
  queue = new Queue(OCR_QUEUE, { connection });
  api = await startHttpServer(createApiApp({ queue, storage, jwtSecret: SECRET, pingRedis: () => connection.ping() }), 0, { host: '127.0.0.1', closeTimeoutMs: 1000 });
  engine = await createOcrEngine({ provider: 'cpu' });
  worker = new OcrWorker({ redisUrl: redis.url, storage, engine, log: silentLogger });
  await worker.start();
}, 60_000);

afterAll(async () => {
  await worker.close();
  await engine.close();
  await api.close();
  await queue.close();
  connection.disconnect();
  await redis.stop();
  await rm(storageDir, { recursive: true, force: true });
});

const token = (): Promise<string> => new SignJWT({ sub: 'e2e' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

async function upload(body: Buffer, filename: string, auth?: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([body], { type: 'image/png' }), filename);
  return fetch(`${api.url}/v1/documents`, { method: 'POST', body: form, headers: auth === undefined ? {} : { authorization: `Bearer ${auth}` } });
}

const jobCount = async (): Promise<number> => Object.values(await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);
const fileCount = async (): Promise<number> => (await readdir(storageDir, { recursive: true })).filter((f) => f.endsWith('.png') || f.endsWith('.jpg')).length;

describe('documents end to end', () => {
  it('reads an uploaded invoice: 202, then done with its text; the same upload again is the same document and no second job', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="320"><rect width="100%" height="100%" fill="#fff"/>
      <text x="60" y="90" font-family="DejaVu Sans" font-size="40" fill="#000">INVOICE 2024</text>
      <text x="60" y="170" font-family="DejaVu Sans" font-size="36" fill="#000">Customer: ACME Corp</text>
      <text x="60" y="250" font-family="DejaVu Sans" font-size="40" fill="#000">TOTAL 1234.56</text></svg>`;
    const image = await sharp(Buffer.from(svg)).png().toBuffer();
    const jwt = await token();
    const first = await upload(image, 'invoice.png', jwt);
    expect(first.status).toBe(202);
    const { id, status } = (await first.json()) as { id: string; status: string };
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(['queued', 'processing']).toContain(status);

    const done = await eventually('the document read', async () => {
      const res = await fetch(`${api.url}/v1/documents/${id}`, { headers: { authorization: `Bearer ${jwt}` } });
      const body = (await res.json()) as { status: string; text: string | null; lines: { text: string; confidence: number }[] | null };
      return body.status === 'done' ? body : undefined;
    }, 60_000, 100);
    const words = (done.text ?? '').split(/\s+/);
    for (const word of ['INVOICE', '2024', 'TOTAL', '1234.56']) expect(words).toContain(word);
    expect(done.lines?.map((l) => l.text)).toEqual(['INVOICE 2024', 'Customer: ACME Corp', 'TOTAL 1234.56']);

    const again = await upload(image, 'copy-of-invoice.png', jwt);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id, status: 'done' });
    expect(await jobCount()).toBe(1);
  }, 90_000);

  it('refuses no token (401), a text file named .png (415) and 11 MB (413), queuing and storing nothing', async () => {
    const before = [await jobCount(), await fileCount()];
    const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#fff' } }).png().toBuffer();
    expect((await upload(png, 'a.png')).status).toBe(401);
    expect((await upload(Buffer.from('just some text, honestly'), 'notes.png', await token())).status).toBe(415);
    expect((await upload(Buffer.concat([png, Buffer.alloc(11 * 1024 * 1024)]), 'huge.png', await token())).status).toBe(413);
    expect([await jobCount(), await fileCount()]).toEqual(before);
  });
});
