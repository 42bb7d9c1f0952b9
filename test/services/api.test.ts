/**
 * The document API over real HTTP with a real redis-server, real BullMQ jobs and a real storage
 * directory (no mocks): uploads become one stored file and one job keyed by the document's sha256;
 * a BullMQ worker moves the job and GET follows it (queued, processing, done, failed); bad tokens
 * and bad uploads are refused and leave no job and no file; health follows Redis; internal routes
 * need the service key; metrics count it all. Then `services/api/main.ts` as its own process:
 * configuration, logs without secrets, an upload, and SIGTERM with a request in flight → exit 0.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { SignJWT, base64url } from 'jose';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, OCR_JOB_NAME } from '../../services/api/app.ts';
import type { ApiAppOptions, DocumentView, OcrQueue } from '../../services/api/app.ts';
import { createRedisConnection } from '../../services/api/redis.ts';
import { startHttpServer } from '../../controller/http/server.ts';
import { OCR_QUEUE } from '../../services/shared/ocr-job.ts';
import type { OcrJobData, OcrJobResult } from '../../services/shared/ocr-job.ts';
import { LocalDirectoryStorage } from '../../services/shared/storage.ts';
import { eventually } from '../controller/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

const root = join(import.meta.dirname, '..', '..');
const SECRET = 'api-test-secret-0123456789-abcdefghijklmnop';
const SERVICE_KEY = 'api-test-service-key';
const secretKey = new TextEncoder().encode(SECRET);

/** An app on a free port with a fresh, randomly named queue and an empty storage directory. */
interface TestApi {
  readonly url: string;
  readonly queue: OcrQueue;
  readonly storageDir: string;
  close(): Promise<void>;
}

const opened: TestApi[] = [];

async function startApi(redis: RedisServer, options: Partial<ApiAppOptions> = {}): Promise<TestApi> {
  const connection = createRedisConnection(redis.url, 'api-test');
  connection.on('error', () => undefined);
  const queue: OcrQueue = new Queue(`ocr-test-${randomBytes(4).toString('hex')}`, { connection });
  queue.on('error', () => undefined);
  const storageDir = await mkdtemp(join(tmpdir(), 'berth-api-'));
  const app = createApiApp({
    queue,
    storage: new LocalDirectoryStorage(storageDir),
    jwtSecret: SECRET,
    serviceKey: SERVICE_KEY,
    pingRedis: () => connection.ping(),
    ...options,
  });
  const server = await startHttpServer(app, 0, { host: '127.0.0.1', closeTimeoutMs: 1_000 });
  const api: TestApi = {
    url: server.url,
    queue,
    storageDir,
    async close() {
      await server.close();
      // With Redis stopped, closing the queue waits for a reconnect: bounded.
      await Promise.race([queue.obliterate({ force: true }).catch(() => undefined), sleep(1_000)]);
      await Promise.race([queue.close().catch(() => undefined), sleep(1_000)]);
      connection.disconnect();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
  opened.push(api);
  return api;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An HS256 token for `SECRET` (or `key`), valid for five minutes unless `exp` says otherwise. */
async function token(options: { readonly key?: Uint8Array; readonly exp?: number; readonly alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'documents' })
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject('client-1')
    .setIssuedAt(now - 600)
    .setExpirationTime(options.exp ?? now + 300)
    .sign(options.key ?? secretKey);
}

/** A token with `alg: none` and no signature, which must never be accepted. */
function unsignedToken(): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'client-1', exp: Math.floor(Date.now() / 1000) + 300 })}.`;
}

/** A small PNG, different for every colour. */
const png = (r: number, g = 120, b = 200): Promise<Buffer> => sharp({ create: { width: 16, height: 8, channels: 3, background: { r, g, b } } }).png().toBuffer();

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A multipart body with `data` in `field`. */
function form(data: Buffer, field = 'file', name = 'page.png', type = 'image/png'): FormData {
  const body = new FormData();
  body.append(field, new Blob([new Uint8Array(data)], { type }), name);
  return body;
}

interface Answer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

async function call<T = unknown>(url: string, init: RequestInit = {}): Promise<Answer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  return { status: res.status, headers: res.headers, body };
}

const bearer = async (): Promise<Record<string, string>> => ({ authorization: `Bearer ${await token()}` });

async function upload<T = { id: string; status: string }>(api: TestApi, body: RequestInit['body'], headers?: Record<string, string>): Promise<Answer<T>> {
  return call<T>(`${api.url}/v1/documents`, { method: 'POST', body, headers: headers ?? (await bearer()) });
}

async function getDocument<T = DocumentView>(api: TestApi, id: string): Promise<Answer<T>> {
  return call<T>(`${api.url}/v1/documents/${id}`, { headers: await bearer() });
}

/** Every job in the queue, whatever its state. */
async function jobCount(queue: OcrQueue): Promise<number> {
  const counts = await queue.getJobCounts();
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** The files under the storage directory, by name. */
async function storedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/** The value of the sample `name{labels}` in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const RESULT: OcrJobResult = {
  text: 'INVOICE 42\nTotal 17.50',
  lines: [
    { text: 'INVOICE 42', confidence: 0.98, box: [[1, 1], [10, 1], [10, 3], [1, 3]] },
    { text: 'Total 17.50', confidence: 0.95, box: [[1, 4], [12, 4], [12, 6], [1, 6]] },
  ],
  provider: 'cpu',
  durationMs: 12,
};

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/application\/json/);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) as unknown } });
}

afterEach(async () => {
  for (const api of opened.splice(0)) await api.close();
});

describe('document API', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** A BullMQ worker on the API's queue; `process` decides each job. */
  function worker(api: TestApi, process: (job: Job<OcrJobData, OcrJobResult>) => Promise<OcrJobResult>): Worker<OcrJobData, OcrJobResult> {
    const w = new Worker<OcrJobData, OcrJobResult>(api.queue.name, process, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
    w.on('error', () => undefined);
    return w;
  }

  it('accepts a PNG: 202 with its sha256 as id, one job with that id and data, the file in storage; the same upload again is the same job', async () => {
    const api = await startApi(redis);
    const image = await png(10);
    const id = sha256(image);

    const first = await upload(api, form(image));
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id, status: 'queued' });

    const job = await api.queue.getJob(id);
    expect(job?.id).toBe(id);
    expect(job?.name).toBe(OCR_JOB_NAME);
    expect(job?.data).toEqual({ documentId: id, storageKey: `${id}.png`, imageType: 'png', bytes: image.length, uploadedAt: expect.any(String) as unknown });
    expect(job?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 5000 } });
    expect(await new LocalDirectoryStorage(api.storageDir).get(`${id}.png`)).toEqual(image);

    // The same bytes under another name and content type: the same document.
    const again = await upload(api, form(image, 'file', 'scan-copy.PNG', 'application/octet-stream'));
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id, status: 'queued' });
    expect(await jobCount(api.queue)).toBe(1);
    expect(await storedFiles(api.storageDir)).toEqual([`${id}.png`]);
  });

  it('reports a document queued, then processing, then done with its text and lines; a re-upload of it answers done', async () => {
    const api = await startApi(redis);
    const image = await png(20);
    const { body } = await upload(api, form(image));
    const id = body.id;
    expect((await getDocument(api, id)).body).toEqual({ id, status: 'queued', text: null, lines: null, error: null });

    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const w = worker(api, async () => {
      await gate;
      return RESULT;
    });
    try {
      await eventually('processing', async () => ((await getDocument(api, id)).body.status === 'processing' ? true : undefined));
      release();
      const done = await eventually('done', async () => {
        const answer = await getDocument(api, id);
        return answer.body.status === 'done' ? answer : undefined;
      });
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ id, status: 'done', text: RESULT.text, lines: RESULT.lines, error: null });

      const again = await upload(api, form(image));
      expect(again.body).toEqual({ id, status: 'done' });
      expect(await jobCount(api.queue)).toBe(1);
    } finally {
      release();
      await w.close();
    }
  });

  it('reports a failed job as failed, with its error', async () => {
    const api = await startApi(redis);
    const { body } = await upload(api, form(await png(30)));
    const w = worker(api, () => Promise.reject(new UnrecoverableError('the image could not be decoded')));
    try {
      const failed = await eventually('failed', async () => {
        const answer = await getDocument(api, body.id);
        return answer.body.status === 'failed' ? answer : undefined;
      });
      expect(failed.body).toEqual({ id: body.id, status: 'failed', text: null, lines: null, error: 'the image could not be decoded' });
    } finally {
      await w.close();
    }
  });

  it('refuses requests without a valid HS256 JWT with 401 and WWW-Authenticate, and creates nothing', async () => {
    const api = await startApi(redis);
    const image = await png(40);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Record<string, string>, string][] = [
      ['no token', {}, 'Unauthorized'],
      ['not bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'Unauthorized'],
      ['malformed', { authorization: 'Bearer not-a-jwt' }, 'InvalidToken'],
      ['expired', { authorization: `Bearer ${await token({ exp: now - 60 })}` }, 'TokenExpired'],
      ['other secret', { authorization: `Bearer ${await token({ key: new TextEncoder().encode('another-secret-another-secret-another') })}` }, 'InvalidToken'],
      ['alg none', { authorization: `Bearer ${unsignedToken()}` }, 'InvalidToken'],
      ['HS512 with the right secret', { authorization: `Bearer ${await token({ alg: 'HS512' })}` }, 'InvalidToken'],
    ];
    for (const [what, headers, code] of cases) {
      const answer = await upload(api, form(image), headers);
      expectError(answer, 401, code);
      expect(answer.headers.get('www-authenticate'), what).toMatch(/^Bearer realm="berth-api"/);
      expectError(await call(`${api.url}/v1/documents/${sha256(image)}`, { headers }), 401, code);
    }
    expect(await jobCount(api.queue)).toBe(0);
    expect(await storedFiles(api.storageDir)).toEqual([]);
  });

  it('refuses uploads that are not one supported image, and none of them creates a job or a file', async () => {
    const api = await startApi(redis);
    const text = Buffer.from('Dear customer, this is a plain text file with a .png name.\n');
    expectError(await upload(api, form(text, 'file', 'invoice.png', 'image/png')), 415, 'UnsupportedMediaType');
    expectError(await upload(api, form(Buffer.from('GIF89a\x01\x00\x01\x00'), 'file', 'a.gif', 'image/gif')), 415, 'UnsupportedMediaType');
    expectError(await upload(api, form(Buffer.alloc(0))), 415, 'UnsupportedMediaType');

    // 11 MB that start like a PNG: refused for its size alone.
    const big = Buffer.alloc(11 * 1024 * 1024, 0x41);
    (await png(50)).copy(big);
    expectError(await upload(api, form(big)), 413, 'PayloadTooLarge');

    const image = await png(60);
    expectError(await upload(api, new FormData()), 400, 'FileMissing');
    expectError(await upload(api, JSON.stringify({ file: image.toString('base64') }), { ...(await bearer()), 'content-type': 'application/json' }), 400, 'FileMissing');
    expectError(await upload(api, image, { ...(await bearer()), 'content-type': 'image/png' }), 400, 'FileMissing');
    expectError(await upload(api, form(image, 'document')), 400, 'UnexpectedFile');
    const two = form(image);
    two.append('file', new Blob([new Uint8Array(await png(61))]), 'second.png');
    expectError(await upload(api, two), 400, 'UnexpectedFile');
    expectError(await upload(api, '--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG', { ...(await bearer()), 'content-type': 'multipart/form-data; boundary=x' }), 400, 'MalformedUpload');

    expect(await jobCount(api.queue)).toBe(0);
    expect(await storedFiles(api.storageDir)).toEqual([]);
  });

  it('answers 400 for a malformed id, 404 for an unknown document and for unknown routes, all JSON', async () => {
    const api = await startApi(redis);
    expectError(await getDocument(api, 'abc'), 400, 'InvalidDocumentId');
    expectError(await getDocument(api, `${'a'.repeat(63)}g`), 400, 'InvalidDocumentId');
    expectError(await getDocument(api, '..%2F..%2Fetc%2Fpasswd'), 400, 'InvalidDocumentId');
    expectError(await getDocument(api, 'f'.repeat(64)), 404, 'DocumentNotFound');
    expectError(await call(`${api.url}/v2/nothing`), 404, 'NotFound');
    expectError(await call(`${api.url}/v1/documents`, { method: 'DELETE', headers: await bearer() }), 404, 'NotFound');
  });

  it('guards /internal/* with the service key: none or a wrong one 401, the right one the queue counts; no key configured 503', async () => {
    const api = await startApi(redis);
    await upload(api, form(await png(70)));
    expectError(await call(`${api.url}/internal/queue`), 401, 'Unauthorized');
    expectError(await call(`${api.url}/internal/queue`, { headers: { 'x-service-key': 'wrong' } }), 401, 'Unauthorized');
    expectError(await call(`${api.url}/internal/queue`, { headers: { 'x-service-key': `${SERVICE_KEY}x` } }), 401, 'Unauthorized');
    expectError(await call(`${api.url}/internal/anything`), 401, 'Unauthorized');
    // A user's JWT is not a service key.
    expectError(await call(`${api.url}/internal/queue`, { headers: await bearer() }), 401, 'Unauthorized');

    const ok = await call(`${api.url}/internal/queue`, { headers: { 'x-service-key': SERVICE_KEY } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ queue: api.queue.name, counts: { waiting: 1, active: 0, failed: 0, delayed: 0, completed: 0 } });
    expectError(await call(`${api.url}/internal/anything`, { headers: { 'x-service-key': SERVICE_KEY } }), 404, 'NotFound');

    const keyless = await startApi(redis, { serviceKey: undefined });
    expectError(await call(`${keyless.url}/internal/queue`, { headers: { 'x-service-key': '' } }), 503, 'ServiceKeyNotConfigured');
  });

  it('serves Prometheus metrics: requests by route pattern, durations, enqueued and rejected documents', async () => {
    const api = await startApi(redis);
    const image = await png(80);
    await upload(api, form(image));
    await upload(api, form(image));
    await upload(api, form(Buffer.from('text')));
    await getDocument(api, sha256(image));
    await call(`${api.url}/nowhere`);

    const metrics = await call<string>(`${api.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = metrics.body;
    for (const name of ['api_http_requests_total', 'api_http_request_duration_seconds', 'api_documents_enqueued_total', 'api_documents_rejected_total', 'process_cpu_seconds_total']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(sample(text, 'api_http_requests_total', { method: 'POST', route: '/v1/documents', status: '202' })).toBe(2);
    expect(sample(text, 'api_http_requests_total', { method: 'POST', route: '/v1/documents', status: '415' })).toBe(1);
    expect(sample(text, 'api_http_requests_total', { method: 'GET', route: '/v1/documents/:id', status: '200' })).toBe(1);
    expect(sample(text, 'api_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'api_http_request_duration_seconds_count', { method: 'POST', route: '/v1/documents' })).toBe(3);
    for (const le of ['1.5', '2', '2.5']) expect(sample(text, 'api_http_request_duration_seconds_bucket', { le, method: 'POST', route: '/v1/documents' })).toBe(3);
    expect(sample(text, 'api_documents_enqueued_total')).toBe(1);
    expect(sample(text, 'api_documents_rejected_total', { reason: 'unsupported_type' })).toBe(1);
    expect(sample(text, 'api_documents_rejected_total', { reason: 'too_large' })).toBe(0);
    // Route labels are patterns: no document id ever becomes a label.
    expect(text).not.toContain(sha256(image));
  });
});

describe('document API health', () => {
  it('is 200 while Redis answers and 503 once it is stopped; uploads then answer 503 and store nothing', async () => {
    const redis = await startRedis();
    try {
      const api = await startApi(redis, { queueTimeoutMs: 1_000 });
      await upload(api, form(await png(90)));
      const healthy = await call(`${api.url}/health`);
      expect(healthy.status).toBe(200);
      expect(healthy.body).toEqual({ status: 'ok', redis: 'connected', queue: { waiting: 1, active: 0, failed: 0 } });

      await redis.stop();
      const started = performance.now();
      const degraded = await call(`${api.url}/health`);
      expect(degraded.status).toBe(503);
      expect(degraded.body).toEqual({ status: 'degraded', redis: 'error', queue: null });
      expect(performance.now() - started).toBeLessThan(2_500);

      const files = await storedFiles(api.storageDir);
      expectError(await upload(api, form(await png(91))), 503, 'QueueUnavailable');
      expect(await storedFiles(api.storageDir)).toEqual(files);
    } finally {
      await redis.stop();
    }
  });
});

describe('services/api/main.ts', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  interface Started {
    readonly child: ChildProcess;
    readonly output: () => string;
    readonly exited: Promise<number | null>;
  }

  function run(env: Record<string, string | undefined>): Started {
    const clean = { ...process.env };
    for (const name of ['PORT', 'REDIS_URL', 'JWT_SECRET', 'SERVICE_KEY', 'STORAGE_DIR', 'MAX_UPLOAD_BYTES']) delete clean[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/api/main.ts'], { cwd: root, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  const logLines = (output: string): Record<string, unknown>[] =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('refuses to start without JWT_SECRET, saying so', async () => {
    const started = run({ PORT: '0' });
    expect(await started.exited).toBe(2);
    expect(started.output()).toContain('JWT_SECRET is not set');
  });

  it('serves uploads into OCR_QUEUE, logs JSON lines without secrets, and on SIGTERM finishes the request in flight and exits 0', async () => {
    const redis = await startRedis();
    const storageDir = await mkdtemp(join(tmpdir(), 'berth-api-main-'));
    const queue = new Queue<OcrJobData, OcrJobResult>(OCR_QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      const started = run({ PORT: '0', REDIS_URL: redis.url, JWT_SECRET: SECRET, SERVICE_KEY, STORAGE_DIR: storageDir });
      const port = await eventually('listening', () => logLines(started.output()).find((l) => l['msg'] === 'listening')?.['port'] as number | undefined);
      const url = `http://127.0.0.1:${port}`;
      await eventually('healthy', async () => ((await call(`${url}/health`)).status === 200 ? true : undefined));

      const image = await png(100);
      const jwt = await token();
      const answer = await call<{ id: string; status: string }>(`${url}/v1/documents`, { method: 'POST', body: form(image), headers: { authorization: `Bearer ${jwt}` } });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ id: sha256(image), status: 'queued' });
      expect((await queue.getJob(sha256(image)))?.data.storageKey).toBe(`${sha256(image)}.png`);
      expect(await storedFiles(storageDir)).toEqual([`${sha256(image)}.png`]);

      // An upload whose body is only half sent when SIGTERM arrives: it is still answered.
      const slowImage = await png(101);
      const boundary = 'berth-test-boundary';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`),
        slowImage,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.write(body.subarray(0, 100));
        setTimeout(() => {
          started.child.kill('SIGTERM');
          void eventually('stopping', () => (logLines(started.output()).some((l) => l['msg'] === 'stopping') ? true : undefined)).then(() => req.end(body.subarray(100)), reject);
        }, 200);
      });
      const slow = await inFlight;
      expect(slow.status).toBe(202);
      expect(JSON.parse(slow.body)).toEqual({ id: sha256(slowImage), status: 'queued' });

      expect(await started.exited).toBe(0);
      const lines = logLines(started.output());
      expect(lines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['listening', 'document queued', 'request', 'stopping', 'stopped']));
      expect(lines.every((l) => typeof l['time'] === 'string' && typeof l['level'] === 'string')).toBe(true);
      for (const secret of [SECRET, SERVICE_KEY, jwt]) expect(started.output()).not.toContain(secret);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await redis.stop();
      await rm(storageDir, { recursive: true, force: true });
    }
  });
});
