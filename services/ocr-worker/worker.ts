/**
 * The OCR worker: a BullMQ Worker on the `ocr-gpu` queue that reads each document from storage and
 * runs the OCR engine on it. A job that cannot succeed (an image that does not decode, a document
 * missing from storage) fails at once; anything else is retried by BullMQ with backoff. While a job
 * runs, the ECS task holds scale-in protection, so a scale-in never stops a busy worker. Closing
 * stops taking jobs and lets the running ones finish; a worker killed outright loses nothing: its
 * job's lock expires and BullMQ's stalled-job check gives it to another worker.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../../controller/log.ts';
import type { TaskProtection } from '../../controller/scaler/task-protection.ts';
import { withTaskProtection } from '../../controller/scaler/task-protection.ts';
import { OCR_QUEUE } from '../shared/ocr-job.ts';
import type { OcrJobData, OcrJobResult } from '../shared/ocr-job.ts';
import type { DocumentStorage } from '../shared/storage.ts';
import { DocumentNotFoundError } from '../shared/storage.ts';
import type { OcrEngine } from './engine/ocr-engine.ts';
import { UndecodableImageError } from './engine/ocr-engine.ts';

/** What the worker reports to its /metrics (WorkerMetrics implements it). */
export interface JobMetrics {
  processed(seconds: number): void;
  failed(reason: 'undecodable' | 'missing' | 'error'): void;
}

export interface OcrWorkerOptions {
  readonly redisUrl: string;
  readonly storage: DocumentStorage;
  readonly engine: OcrEngine;
  readonly log: Logger;
  readonly metrics?: JobMetrics;
  /** ECS task scale-in protection while a job runs. @defaultValue none */
  readonly protection?: TaskProtection;
  /** Jobs at once; one per GPU. @defaultValue 1 */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal: a killed worker's job is given to another after it. @defaultValue 30000 */
  readonly lockDurationMs?: number;
  /** How often stalled jobs (locks expired) are looked for. @defaultValue 30000 */
  readonly stalledIntervalMs?: number;
  /** @defaultValue 'bull' */
  readonly prefix?: string;
}

export class OcrWorker {
  private readonly options: OcrWorkerOptions;
  private readonly connection: Redis;
  private readonly worker: Worker<OcrJobData, OcrJobResult>;
  private closing: Promise<void> | undefined;

  constructor(options: OcrWorkerOptions) {
    this.options = options;
    // A worker blocks on Redis (BRPOPLPUSH / BZPOPMIN): retries forever, as BullMQ requires.
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', () => undefined);
    this.worker = new Worker<OcrJobData, OcrJobResult>(OCR_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: options.prefix ?? 'bull',
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      autorun: false,
    });
    this.worker.on('error', (err) => options.log('warn', 'worker error', { error: err.message }));
    this.worker.on('failed', (job, err) => options.log('warn', 'job failed', { job: job?.id, attempt: job?.attemptsMade, error: err.message }));
    this.worker.on('completed', (job) => options.log('info', 'job done', { job: job.id }));
  }

  /** Starts taking jobs; resolves once the worker is connected. */
  async start(): Promise<void> {
    void this.worker.run().catch((err: unknown) => this.options.log('error', 'worker stopped', { error: err instanceof Error ? err.message : String(err) }));
    await this.worker.waitUntilReady();
  }

  private async process(job: Job<OcrJobData, OcrJobResult>): Promise<OcrJobResult> {
    const started = performance.now();
    const run = async (): Promise<OcrJobResult> => {
      let image: Buffer;
      try {
        image = await this.options.storage.get(job.data.storageKey);
      } catch (err) {
        if (err instanceof DocumentNotFoundError) {
          this.options.metrics?.failed('missing');
          throw new UnrecoverableError(err.message);
        }
        throw err;
      }
      try {
        return await this.options.engine.recognize(image);
      } catch (err) {
        // An image that does not decode will not decode on a retry either.
        if (err instanceof UndecodableImageError) {
          this.options.metrics?.failed('undecodable');
          throw new UnrecoverableError(err.message);
        }
        this.options.metrics?.failed('error');
        throw err;
      }
    };
    this.options.log('info', 'job started', { job: job.id, attempt: job.attemptsMade + 1, bytes: job.data.bytes });
    const result = this.options.protection ? await withTaskProtection(this.options.protection, run) : await run();
    this.options.metrics?.processed((performance.now() - started) / 1000);
    return result;
  }

  /** Stops taking jobs, waits for the running ones to finish, releases protection; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      await this.options.protection?.close();
      this.connection.disconnect();
    })();
    return this.closing;
  }
}
