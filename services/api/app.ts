/**
 * The document API (express): clients upload an image to OCR and read the result back; the OCR
 * worker does the work through the BullMQ queue `OCR_QUEUE`. A document's id is the sha256 of its
 * bytes, which is also its job id and its storage key, so the same document uploaded twice is one
 * file and one job. Every error answer is JSON `{ error: { code, message } }`.
 *
 * Routes:
 * - `POST /v1/documents` (JWT): one image in the multipart field `file` → 202 `{ id, status }`
 * - `GET /v1/documents/:id` (JWT): → `{ id, status, text, lines, error }`
 * - `GET /internal/queue` (service key): the queue's job counts
 * - `GET /health`: Redis and the queue, 200 or 503
 * - `GET /metrics`: Prometheus
 */
import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import express from 'express';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { documentStatus } from '../shared/ocr-job.ts';
import type { DocumentStatus, OcrJobData, OcrJobResult, OcrLine } from '../shared/ocr-job.ts';
import type { DocumentStorage } from '../shared/storage.ts';
import { callerOf, requireJwt, requireServiceKey } from './auth.ts';
import { ApiError, errorText } from './errors.ts';
import { detectImageType } from './image-type.ts';
import { silentLogger } from '../../controller/log.ts';
import type { Logger } from '../../controller/log.ts';
import { ApiMetrics, UNMATCHED_ROUTE } from './metrics.ts';
import type { RejectionReason } from './metrics.ts';

/** The name of every OCR job (the queue holds nothing else). */
export const OCR_JOB_NAME = 'ocr';

/** The queue the API adds OCR jobs to. */
export type OcrQueue = Queue<OcrJobData, OcrJobResult, typeof OCR_JOB_NAME>;

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** How long results stay readable: BullMQ removes finished jobs older than this (and beyond the count). */
const KEEP_FINISHED_SECONDS = 7 * 24 * 60 * 60;
const KEEP_FINISHED_COUNT = 100_000;

/**
 * Options of every OCR job: three attempts 5 s, 10 s apart (a worker that crashed or lost its GPU),
 * and finished jobs kept for a week, so that clients can read results and a re-upload of a known
 * document is answered from its job instead of being OCRed again.
 */
export const OCR_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: KEEP_FINISHED_SECONDS, count: KEEP_FINISHED_COUNT },
  removeOnFail: { age: KEEP_FINISHED_SECONDS, count: KEEP_FINISHED_COUNT },
} as const satisfies JobsOptions;

/** A document id: the sha256 of its bytes, 64 hex digits. */
const DOCUMENT_ID = /^[a-f0-9]{64}$/i;

export interface ApiAppOptions {
  /** Where OCR jobs go (`OCR_QUEUE` in production; any name in tests). */
  readonly queue: OcrQueue;
  /** Where uploaded documents are kept for the worker. */
  readonly storage: DocumentStorage;
  /** The HS256 secret client JWTs are signed with; must not be empty. */
  readonly jwtSecret: string;
  /** The key `/internal/*` requires in `x-service-key`; without one (or an empty one) those routes answer 503. */
  readonly serviceKey?: string;
  /**
   * The largest file accepted, in bytes; a larger one is answered 413.
   * @defaultValue 10 MiB
   */
  readonly maxUploadBytes?: number;
  /** @defaultValue a new `ApiMetrics` (own registry, default metrics) */
  readonly metrics?: ApiMetrics;
  /** Answers when Redis answers a PING (`/health`); e.g. `() => redis.ping()`. */
  readonly pingRedis: () => Promise<unknown>;
  /**
   * How long `/health` waits for Redis before calling it unreachable.
   * @defaultValue 1000
   */
  readonly healthTimeoutMs?: number;
  /**
   * How long a request waits for the queue before answering 503.
   * @defaultValue 5000
   */
  readonly queueTimeoutMs?: number;
  /** @defaultValue silentLogger */
  readonly log?: Logger;
}

/** What `GET /v1/documents/:id` answers. */
export interface DocumentView {
  readonly id: string;
  readonly status: DocumentStatus;
  /** The recognized text when done, else null. */
  readonly text: string | null;
  readonly lines: readonly OcrLine[] | null;
  /** Why the job failed (its last attempt's error) when failed, else null. */
  readonly error: string | null;
}

/** The job counts `/internal/queue` answers. */
const COUNTED_STATES = ['waiting', 'active', 'failed', 'delayed', 'completed'] as const;

export function createApiApp(options: ApiAppOptions): Express {
  const { queue, storage } = options;
  const metrics = options.metrics ?? new ApiMetrics();
  const log = options.log ?? silentLogger;
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const healthTimeoutMs = options.healthTimeoutMs ?? 1_000;
  const queueTimeoutMs = options.queueTimeoutMs ?? 5_000;
  if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes <= 0) throw new RangeError(`maxUploadBytes must be a positive integer, not ${maxUploadBytes}`);

  const requireCaller = requireJwt(options.jwtSecret);
  /** Error codes of answered errors, for the request log line. */
  const errorCodes = new WeakMap<Response, string>();

  /** A queue call bounded by `queueTimeoutMs`; a failure or a timeout is a 503. */
  const onQueue = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await within(call(), queueTimeoutMs, `${what}: no answer from Redis within ${queueTimeoutMs} ms`);
    } catch (error) {
      log('warn', 'queue unavailable', { operation: what, error: errorText(error) });
      throw new ApiError(503, 'QueueUnavailable', 'the job queue is not reachable; try again later');
    }
  };

  const rejected = (reason: RejectionReason, status: number, code: string, message: string): ApiError => {
    metrics.documentRejected(reason);
    return new ApiError(status, code, message);
  };

  // One file in memory, at most maxUploadBytes; busboy stops counting at the limit, multer drains the rest.
  const multipart = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 11 },
  }).single('file');
  const receiveFile: RequestHandler = (req, res, next) => {
    multipart(req, res, (error: unknown) => {
      if (error === undefined || error === null) {
        next();
        return;
      }
      next(uploadError(error, rejected));
    });
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Headers, and one metric sample and log line per answered request (route pattern, never the raw path).
  app.use((req, res, next) => {
    const started = performance.now();
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.once('finish', () => {
      const route = routeLabel(req);
      const seconds = (performance.now() - started) / 1000;
      metrics.observeRequest(req.method, route, res.statusCode, seconds);
      log('info', 'request', { method: req.method, route, status: res.statusCode, durationMs: Math.round(seconds * 1000), code: errorCodes.get(res) });
    });
    next();
  });

  app.post('/v1/documents', requireCaller, receiveFile, async (req, res) => {
    // Checks first, in order; nothing is stored or queued until all have passed.
    const file = req.file;
    if (file === undefined) {
      throw rejected('no_file', 400, 'FileMissing', 'send the image as multipart/form-data in the field "file"');
    }
    const imageType = detectImageType(file.buffer);
    if (imageType === undefined) {
      throw rejected('unsupported_type', 415, 'UnsupportedMediaType', 'the file is not a PNG, JPEG, WebP or TIFF image (judged by its content, not its name or content type)');
    }
    const id = createHash('sha256').update(file.buffer).digest('hex');

    // A document that already has a job: answer from it, store nothing, queue nothing.
    const known = await onQueue('getJobState', () => queue.getJobState(id));
    if (known !== 'unknown') {
      res.status(202).json({ id, status: documentStatus(known) });
      return;
    }

    // The file before the job: the worker may pick the job up at once.
    const storageKey = `${id}.${imageType}`;
    await storage.put(storageKey, file.buffer);
    const data: OcrJobData = { documentId: id, storageKey, imageType, bytes: file.size, uploadedAt: new Date().toISOString() };
    // jobId = document id: BullMQ ignores an add whose id exists, so two racing uploads make one job.
    await onQueue('add', () => queue.add(OCR_JOB_NAME, data, { ...OCR_JOB_OPTIONS, jobId: id }));
    metrics.documentEnqueued();
    log('info', 'document queued', { id, imageType, bytes: file.size, subject: callerOf(res)?.subject });
    const state = await onQueue('getJobState', () => queue.getJobState(id));
    res.status(202).json({ id, status: documentStatus(state) });
  });

  app.get('/v1/documents/:id', requireCaller, async (req, res) => {
    const id = documentId(req.params['id']);
    const notFound = () => new ApiError(404, 'DocumentNotFound', `no document ${id} (never uploaded, or its result has expired)`);
    // The state first, then the job: BullMQ writes a finished job's result or reason in the same
    // script that moves it, so a job read after it was seen finished has them (read the other way
    // round, a job that finishes in between would be reported failed without its reason).
    const state = await onQueue('getJobState', () => queue.getJobState(id));
    if (state === 'unknown') throw notFound();
    const job = await onQueue('getJob', () => queue.getJob(id));
    if (job === undefined) throw notFound();
    const status = documentStatus(state);
    const result = status === 'done' ? ocrResult(job.returnvalue) : undefined;
    const view: DocumentView = {
      id,
      status,
      text: result?.text ?? null,
      lines: result?.lines ?? null,
      error: status === 'failed' ? job.failedReason || 'the OCR job failed' : null,
    };
    res.json(view);
  });

  // Every /internal path, known or not, needs the service key: an unknown one is a 404 only to a caller with the key.
  app.all('/internal{/*rest}', requireServiceKey(options.serviceKey));

  app.get('/internal/queue', async (_req, res) => {
    const counts = await onQueue('getJobCounts', () => queue.getJobCounts(...COUNTED_STATES));
    res.json({ queue: queue.name, counts: Object.fromEntries(COUNTED_STATES.map((state) => [state, counts[state] ?? 0])) });
  });

  // Liveness and readiness in one: the API is useless without Redis, so it is unhealthy without it.
  app.get('/health', async (_req, res) => {
    const timeout = `no answer from Redis within ${healthTimeoutMs} ms`;
    const [ping, counts] = await Promise.allSettled([
      within(options.pingRedis(), healthTimeoutMs, timeout),
      within(queue.getJobCounts('waiting', 'active', 'failed'), healthTimeoutMs, timeout),
    ]);
    const up = ping.status === 'fulfilled';
    if (!up) log('warn', 'health: redis unreachable', { error: errorText(ping.reason) });
    const queueCounts =
      up && counts.status === 'fulfilled' ? { waiting: counts.value['waiting'] ?? 0, active: counts.value['active'] ?? 0, failed: counts.value['failed'] ?? 0 } : null;
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'degraded', redis: up ? 'connected' : 'error', queue: queueCounts });
  });

  app.get('/metrics', async (_req, res) => {
    const text = await metrics.render();
    res.type(metrics.contentType).send(text);
  });

  app.use((req, _res) => {
    throw new ApiError(404, 'NotFound', `no route for ${req.method} ${req.path}`);
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = toApiError(error);
    if (!(error instanceof ApiError) && answer.status >= 500) {
      log('error', 'request failed', { method: req.method, route: routeLabel(req), error: errorText(error) });
    }
    errorCodes.set(res, answer.code);
    res.status(answer.status).json({ error: { code: answer.code, message: answer.message } });
  };
  app.use(onError);

  return app;
}

/** The route pattern a request matched (`/v1/documents/:id`), or `unmatched`: a bounded label. */
function routeLabel(req: Request): string {
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') return route.path;
  return UNMATCHED_ROUTE;
}

/** The `:id` parameter as a lower-case document id. @throws ApiError 400 */
function documentId(param: unknown): string {
  if (typeof param !== 'string' || !DOCUMENT_ID.test(param)) throw new ApiError(400, 'InvalidDocumentId', 'a document id is the sha256 of the document: 64 hex digits');
  return param.toLowerCase();
}

/** A job's return value when it has the shape of an `OcrJobResult`; a worker bug must not become a 500 here. */
function ocrResult(value: unknown): Pick<OcrJobResult, 'text' | 'lines'> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { text, lines } = value as { text?: unknown; lines?: unknown };
  return typeof text === 'string' && Array.isArray(lines) ? { text, lines: lines as OcrLine[] } : undefined;
}

/** Multer's and busboy's errors as answers: over the limit 413, anything else about the form 400. */
function uploadError(error: unknown, rejected: (reason: RejectionReason, status: number, code: string, message: string) => ApiError): ApiError {
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return rejected('too_large', 413, 'PayloadTooLarge', 'the file is larger than this API accepts');
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return rejected('malformed', 400, 'UnexpectedFile', 'send exactly one file, in the field "file"');
      default:
        return rejected('malformed', 400, 'MalformedUpload', `the upload could not be read: ${error.message}`);
    }
  }
  // busboy: a broken multipart body (no boundary, truncated part).
  return rejected('malformed', 400, 'MalformedUpload', 'the multipart/form-data body could not be read');
}

/** Our own errors as they are; express's (http-errors with a `status`) by status; anything else a 500 that says nothing about its cause. */
function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    const { status } = error;
    if (status === 413) return new ApiError(413, 'PayloadTooLarge', 'the request body is larger than this endpoint accepts');
    if (status >= 400 && status < 500) return new ApiError(status, 'BadRequest', 'the request could not be read');
  }
  return new ApiError(500, 'InternalError', 'internal error');
}

/** `promise`, or a rejection with `message` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
