/**
 * The work queue of the controller, as client-go's: items are keys (`Kind/name`), never events.
 * A key waiting is queued once however often it is added; a key being worked on is never handed
 * out again until it is done (added meanwhile, it runs once more afterwards); a key that failed
 * comes back after a per-key exponential backoff, reset by a success.
 */
export interface WorkQueueOptions {
  /** First retry delay after a failure. @defaultValue 1000 */
  readonly baseDelayMs?: number;
  /** Longest retry delay. @defaultValue 300000 (5 min) */
  readonly maxDelayMs?: number;
}

export class WorkQueue {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Ready keys in arrival order. */
  private readonly ready = new Set<string>();
  private readonly inFlight = new Set<string>();
  /** Added while in flight: to be queued again when done. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
  }

  /** Queues `key` now (a delayed retry of it is superseded). */
  add(key: string): void {
    if (this.closed) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.ready.add(key);
    this.wake();
  }

  /** Queues `key` after `ms`, unless it is queued sooner. */
  addAfter(key: string, ms: number): void {
    if (this.closed || this.ready.has(key) || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The delay the next failure of `key` will wait: base × 2^failures, capped. */
  backoff(key: string): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (this.failures.get(key) ?? 0));
  }

  /**
   * Takes every ready key (at most `max`), marking them in flight; waits while there is none.
   * Resolves to [] once the queue is closed.
   */
  async take(max = Number.POSITIVE_INFINITY): Promise<string[]> {
    while (this.ready.size === 0 && !this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.closed) return [];
    const keys = [...this.ready].slice(0, max);
    for (const key of keys) {
      this.ready.delete(key);
      this.inFlight.add(key);
    }
    return keys;
  }

  /**
   * `key` is done. `retry: 'backoff'` requeues it after its backoff (a failure), `{ afterMs }` after
   * a fixed delay (waiting for something), `'none'` not at all; a success resets its backoff.
   */
  done(key: string, outcome: { readonly ok: boolean; readonly retry: 'backoff' | 'none' | { readonly afterMs: number } }): void {
    this.inFlight.delete(key);
    if (outcome.ok) this.failures.delete(key);
    if (this.dirty.delete(key)) {
      this.add(key);
      return;
    }
    if (outcome.retry === 'backoff') {
      const delay = this.backoff(key);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.addAfter(key, delay);
    } else if (outcome.retry !== 'none') {
      this.addAfter(key, outcome.retry.afterMs);
    }
  }

  /** Keys waiting to run (ready now). */
  depth(): number {
    return this.ready.size;
  }

  /** Keys being worked on. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Forgets a key that left the desired state: its retries and backoff. */
  forget(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
    this.failures.delete(key);
    this.ready.delete(key);
  }

  /** Stops handing out work; pending take() calls resolve to []. Idempotent. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
