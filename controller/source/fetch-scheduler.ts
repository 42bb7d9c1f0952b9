/**
 * What every source shares: fetches run one at a time (a fetch asked while one runs is run once
 * more after it, however many times it was asked), and new revisions are handed to the consumer
 * one at a time, latest first — a revision superseded while the consumer was busy is skipped, and
 * the same id is never handed over twice in a row.
 */
import type { FetchTrigger, Revision } from './source.ts';
import { SourceError } from './source.ts';

/** Looks once: a new revision, or `undefined` when nothing changed. Throws on failure. */
export type FetchOnce = (trigger: FetchTrigger, at: Date) => Promise<Revision | undefined>;

interface Run {
  trigger: FetchTrigger;
  at: Date;
  readonly done: Promise<void>;
  readonly resolve: () => void;
}

export class FetchScheduler {
  private onRevision: ((revision: Revision) => Promise<void>) | undefined;
  private onError: ((error: SourceError) => void) | undefined;
  /** The fetch loop, while one is running. */
  private loop: Promise<void> | undefined;
  /** The fetch to run after the current one. */
  private next: Run | undefined;
  /** The newest revision not yet handed over. */
  private pending: Revision | undefined;
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private lastDeliveredId: string | undefined;
  private lastSuccess: Date | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  private readonly fetchOnce: FetchOnce;

  constructor(fetchOnce: FetchOnce) {
    this.fetchOnce = fetchOnce;
  }

  /** Sets the consumer's callbacks; a source is started once. */
  attach(onRevision: (revision: Revision) => Promise<void>, onError: (error: SourceError) => void): void {
    if (this.onRevision) throw new Error('the source is already started');
    this.onRevision = onRevision;
    this.onError = onError;
  }

  /**
   * Fetches now, or once more after the running fetch. Resolves when that fetch is done (a new
   * revision is then queued for the consumer); never rejects — failures go to `onError`. After
   * `close()` it does nothing.
   */
  request(trigger: FetchTrigger, at: Date): Promise<void> {
    if (!this.onRevision) return Promise.reject(new Error('start() the source before fetching'));
    if (this.closed) return Promise.resolve();
    if (this.next) {
      // An explicit ask (webhook, manual) names the queued fetch rather than a timer tick.
      if (this.next.trigger === 'interval' && trigger !== 'interval') Object.assign(this.next, { trigger, at });
      return this.next.done;
    }
    const run = newRun(trigger, at);
    if (this.loop) this.next = run;
    else this.loop = this.runLoop(run);
    return run.done;
  }

  /**
   * Resolves when every revision fetched so far has been handed over (the `onRevision` call for
   * the newest one has settled). Awaiting this inside `onRevision` would wait for itself.
   */
  delivered(): Promise<void> {
    return this.drained;
  }

  /** When the last fetch succeeded (whether or not it found a new revision). */
  lastFetchAt(): Date | undefined {
    return this.lastSuccess;
  }

  /**
   * No more fetches or callbacks; waits for the running fetch and the running `onRevision` call.
   * A queued fetch and a revision not yet handed over are dropped. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.next?.resolve();
    this.next = undefined;
    this.pending = undefined;
    this.closing = Promise.allSettled([this.loop, this.drained]).then(() => undefined);
    return this.closing;
  }

  private async runLoop(first: Run): Promise<void> {
    let run: Run | undefined = first;
    while (run) {
      await this.fetchAndQueue(run.trigger, run.at);
      run.resolve();
      run = this.next;
      this.next = undefined;
    }
    this.loop = undefined;
  }

  private async fetchAndQueue(trigger: FetchTrigger, at: Date): Promise<void> {
    try {
      const revision = await this.fetchOnce(trigger, at);
      this.lastSuccess = new Date();
      if (revision && !this.closed) this.queue(revision);
    } catch (error) {
      this.report(error instanceof SourceError ? error : new SourceError(messageOf(error)));
    }
  }

  private queue(revision: Revision): void {
    this.pending = revision;
    if (this.draining) return;
    this.draining = true;
    this.drained = this.drain();
  }

  /** Hands pending revisions over one at a time until there is none. */
  private async drain(): Promise<void> {
    try {
      while (this.pending && !this.closed) {
        const revision = this.pending;
        this.pending = undefined;
        if (revision.id === this.lastDeliveredId) continue;
        this.lastDeliveredId = revision.id;
        try {
          await this.onRevision?.(revision);
        } catch (error) {
          this.report(new SourceError(`revision ${revision.id}: the revision handler failed: ${messageOf(error)}`));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private report(error: SourceError): void {
    if (this.closed) return;
    try {
      this.onError?.(error);
    } catch {
      // The consumer's error handler failing must not stop the schedule.
    }
  }
}

function newRun(trigger: FetchTrigger, at: Date): Run {
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  return { trigger, at, done, resolve };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
