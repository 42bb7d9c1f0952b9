/**
 * The backlog of a BullMQ queue, read through BullMQ's own API (`Queue.getJobCounts`, one pipelined
 * round trip for every state counted), and its events (`QueueEvents`: `added`, `waiting`), so the
 * first job after an idle spell wakes the scaler at once instead of at the next poll.
 *
 * Prioritized jobs sit in their own sorted set (`<prefix>:<queue>:prioritized`); a scaler that reads
 * only the wait list misses them. getJobCounts counts each state from its own key.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { JobType } from 'bullmq';
import { Redis } from 'ioredis';

/** The job states a QueueScaler may count (the schema's enum). */
export type BacklogState = 'waiting' | 'prioritized' | 'active' | 'delayed' | 'waiting-children' | 'paused';

export interface QueueBacklogOptions {
  readonly redisUrl: string;
  readonly name: string;
  /** @defaultValue 'bull' */
  readonly prefix?: string;
  /** @defaultValue ['waiting', 'prioritized', 'active'] */
  readonly states?: readonly BacklogState[];
  /** A read that takes longer fails (Redis unreachable must not stall the scaler). @defaultValue 2000 */
  readonly readTimeoutMs?: number;
  /** Called when a job is added or becomes waiting. */
  readonly onActivity?: () => void;
}

/** The queue could not be read. */
export class QueueReadError extends Error {
  override readonly name = 'QueueReadError';
}

export class QueueBacklog {
  private readonly options: QueueBacklogOptions;
  private readonly connection: Redis;
  private readonly queue: Queue;
  private events: QueueEvents | undefined;
  private eventsConnection: Redis | undefined;
  private closed = false;

  constructor(options: QueueBacklogOptions) {
    this.options = options;
    // Fail fast when Redis is away: the scaler holds its decision rather than waiting on a queue of retries.
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 200, 2000) });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(options.name, { connection: this.connection, prefix: options.prefix ?? 'bull' });
    this.queue.on('error', () => undefined);
  }

  /** Subscribes to the queue's events (its own blocking connection). */
  watch(): void {
    if (this.closed || this.events || !this.options.onActivity) return;
    // QueueEvents blocks on the events stream (XREAD BLOCK): a connection of its own, retrying forever.
    const connection = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
    connection.on('error', () => undefined);
    this.eventsConnection = connection;
    const events = new QueueEvents(this.options.name, { connection, prefix: this.options.prefix ?? 'bull' });
    events.on('error', () => undefined);
    const wake = this.options.onActivity;
    events.on('added', () => wake());
    events.on('waiting', () => wake());
    this.events = events;
  }

  /** The backlog: the jobs in the counted states. */
  async read(): Promise<number> {
    // Since BullMQ 5 a paused queue keeps its jobs in the wait list: `paused` is counted as `waiting`.
    const states = [...new Set((this.options.states ?? ['waiting', 'prioritized', 'active']).map((s): JobType => (s === 'paused' ? 'waiting' : s)))];
    const timeoutMs = this.options.readTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const counts = await Promise.race([
        this.queue.getJobCounts(...states),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new QueueReadError(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    } catch (err) {
      if (err instanceof QueueReadError) throw err;
      throw new QueueReadError(`reading queue ${this.options.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Idempotent; each connection is closed even if another fails. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // With Redis unreachable BullMQ's close waits for a reconnect: bounded, then the sockets are cut.
    const settled = Promise.allSettled([this.events?.close(), this.queue.close()]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    this.connection.disconnect();
    this.eventsConnection?.disconnect();
  }
}
