/**
 * A token bucket: at most `burst` calls at once, refilled at `ratePerSecond`. The controller takes
 * one token before every AWS attempt, so that all its work together stays under AWS's API rate
 * limits (ECS's are per account and region, shared with everything else that calls it).
 */
export interface TokenBucketOptions {
  /** Tokens added per second. @defaultValue 20 */
  readonly ratePerSecond?: number;
  /** Tokens the bucket holds at most (and starts with). @defaultValue 40 */
  readonly burst?: number;
  /** Milliseconds, monotonic. @defaultValue performance.now */
  readonly now?: () => number;
}

export class TokenBucket {
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  /** Callers waiting, first come first served. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: TokenBucketOptions = {}) {
    this.rate = options.ratePerSecond ?? 20;
    this.burst = options.burst ?? 40;
    if (!(this.rate > 0) || !(this.burst >= 1)) throw new RangeError(`a token bucket needs a positive rate and a burst of at least 1, got ${this.rate}/s and ${this.burst}`);
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.last = this.now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Resolves when a token is taken; waiters are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
        this.refill();
      }
      this.tokens -= 1;
    });
    this.queue = turn;
    return turn;
  }

  /** Tokens available now (for metrics and tests). */
  available(): number {
    this.refill();
    return this.tokens;
  }
}
