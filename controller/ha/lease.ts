/**
 * Leader election on Redis. Several controller tasks may run at once (an ECS rolling deploy of
 * Berth itself runs two); the one holding the lease is the leader and may write to AWS, the others
 * stand by, serve read-only status and try to take the lease every renew interval.
 *
 * The lease is one key, `SET NX PX ttl`, whose value is `<fencing token>:<owner>`. The fencing
 * token comes from `INCR <key>:fence` in the same script, so it grows with every acquisition. The
 * leader renews with a compare-and-set (`PEXPIRE` only if the value is still its own) and releases
 * with a compare-and-delete; a refused renew means someone else has the lease: it steps down at once.
 *
 * `isLeader()` is a write guard: besides holding the lease, the local deadline must not have passed
 * — the time the last successful acquire/renew was *sent* (monotonic clock) + ttl − a safety margin.
 * Redis sets the expiry after receiving the command, so the key cannot expire before `sent + ttl`;
 * a leader that cannot reach Redis therefore stops considering itself leader before another
 * process can take the lease. (The margin covers clock-rate drift between the two machines.)
 *
 * The lease key and `<key>:fence` must live on one Redis node (a single server or a Sentinel
 * group; in Redis Cluster give the key a hash tag, `berth:leader:{prod}`).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';

export type LeaseRole = 'leader' | 'standby';

/** Why a leader stopped being one. */
export type DemotionReason =
  /** A renew was refused: the key expired and was taken, or was overwritten. */
  | 'lease-taken'
  /** No renew succeeded before the local deadline (Redis unreachable or too slow). */
  | 'deadline-passed'
  /** `close()` was called. */
  | 'closing';

/** What happened, as reported through `log`. */
export type LeaseOccurrence =
  | { readonly kind: 'acquired'; readonly fencingToken: number }
  | { readonly kind: 'demoted'; readonly fencingToken: number; readonly reason: DemotionReason }
  /** `deleted`: the lease was this process's and is gone; false when someone else held it, or nobody. */
  | { readonly kind: 'released'; readonly deleted: boolean }
  | { readonly kind: 'redis-error'; readonly operation: 'acquire' | 'renew' | 'release' | 'connection'; readonly message: string }
  /** `onChange` threw; the election goes on. */
  | { readonly kind: 'callback-error'; readonly message: string };

/** An occurrence with the lease it happened to (`key`) and this process's `holder`. */
export type LeaseEvent = LeaseOccurrence & { readonly key: string; readonly holder: string };

export interface RedisLeaseSettings {
  /** The Berth instance the lease elects a leader for; names the default key. @defaultValue 'default' */
  readonly name?: string;
  /** The Redis key of the lease (the fencing counter is `<key>:fence`). @defaultValue `berth:leader:<name>` */
  readonly key?: string;
  /** This process's identity, shown as the lease's holder (e.g. from `defaultLeaseHolder()`). */
  readonly holder: string;
  /** How long the lease lives in Redis without a renew. @defaultValue 15000 */
  readonly ttlMs?: number;
  /** How often the leader renews, and a standby tries to acquire. Must be below ttl − safety margin. @defaultValue ttlMs / 3 */
  readonly renewEveryMs?: number;
  /** How long before the lease could expire in Redis the leader stops considering itself leader. @defaultValue ttlMs / 5 */
  readonly safetyMarginMs?: number;
  /** Called on each change of role: `'leader'` with the new fencing token, `'standby'` when leadership ends. @defaultValue none */
  readonly onChange?: (role: LeaseRole, fencingToken?: number) => void;
  /** Receives what happens (acquisitions, demotions, Redis errors). @defaultValue none */
  readonly log?: (event: LeaseEvent) => void;
}

/** Either an ioredis client the caller owns (and closes), or a URL the lease connects to (and quits on close). */
export type RedisLeaseConnection = { readonly redis: Redis; readonly url?: undefined } | { readonly url: string; readonly redis?: undefined };

export type RedisLeaseOptions = RedisLeaseSettings & RedisLeaseConnection;

/** A Redis command of the lease got no answer in time; handled like any Redis error. */
export class LeaseCommandTimeoutError extends Error {
  override readonly name = 'LeaseCommandTimeoutError';
}

/** `<hostname>-<pid>-<random>`: distinct for every process, readable in `GET berth:leader:…`. */
export function defaultLeaseHolder(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

// The value is `<token>:<owner>`; `owner` is the holder plus a random suffix drawn per RedisLease,
// so that only this object can renew, retake or release what it acquired.

/**
 * KEYS[1] lease, KEYS[2] fencing counter; ARGV[1] owner, ARGV[2] ttl ms, ARGV[3] highest token the
 * caller has seen. Returns {1, value} when acquired, {0, current value} when someone else holds it.
 * A lease still held under an earlier term of the same owner (it stopped trusting it, e.g. after a
 * Redis outage) is retaken under a new token. The floor keeps tokens increasing for the caller even
 * if Redis lost the counter (a restart without persistence).
 */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then
  if string.match(current, '^%d+:(.*)$') ~= ARGV[1] then return {0, current} end
  redis.call('DEL', KEYS[1])
end
local token = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if token <= floor then
  token = floor + 1
  redis.call('SET', KEYS[2], string.format('%d', token))
end
local value = string.format('%d', token) .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {1, value}
`;

/** KEYS[1] lease; ARGV[1] the value this term wrote, ARGV[2] ttl ms. 1 when renewed, 0 when the value is not ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** KEYS[1] lease; ARGV[1] owner. Deletes the lease if it is ours (whatever the term); 1 when deleted. */
const RELEASE = `
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^%d+:(.*)$') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** The term this process holds. */
interface Term {
  readonly token: number;
  /** The lease's value in Redis during this term. */
  readonly value: string;
  /** `performance.now()` after which this process no longer trusts the lease. */
  deadline: number;
}

function parseToken(value: string): number | undefined {
  const match = /^(\d+):/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class RedisLease {
  readonly key: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly safetyMarginMs: number;
  private readonly fenceKey: string;
  private readonly owner: string;
  private readonly redis: Redis;
  private readonly ownsRedis: boolean;
  private readonly onChange: ((role: LeaseRole, fencingToken?: number) => void) | undefined;
  private readonly log: ((event: LeaseEvent) => void) | undefined;
  /** Set while this process considers itself leader. */
  private term: Term | undefined;
  private highestTokenSeen = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private tickInFlight: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private lastConnectionError: string | undefined;

  constructor(options: RedisLeaseOptions) {
    if (typeof options.holder !== 'string' || options.holder === '') throw new TypeError('a lease needs a non-empty holder');
    this.holder = options.holder;
    this.key = options.key ?? `berth:leader:${options.name ?? 'default'}`;
    this.fenceKey = `${this.key}:fence`;
    this.ttlMs = options.ttlMs ?? 15_000;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 3) throw new RangeError(`ttlMs must be an integer of at least 3 ms, got ${this.ttlMs}`);
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.safetyMarginMs = options.safetyMarginMs ?? Math.floor(this.ttlMs / 5);
    if (!(this.safetyMarginMs >= 0)) throw new RangeError(`safetyMarginMs must not be negative, got ${this.safetyMarginMs}`);
    // A leader must get to renew before its own deadline, or it would step down between renews.
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < this.ttlMs - this.safetyMarginMs)) {
      throw new RangeError(`renewEveryMs must be above 0 and below ttlMs − safetyMarginMs (${this.ttlMs - this.safetyMarginMs}), got ${this.renewEveryMs}`);
    }
    this.owner = `${this.holder}#${randomBytes(6).toString('hex')}`;
    this.onChange = options.onChange;
    this.log = options.log;
    if (options.redis !== undefined) {
      this.redis = options.redis;
      this.ownsRedis = false;
    } else if (typeof options.url === 'string') {
      // Reconnects are ioredis's job; a command waits for at most one reconnect, and the lease's own
      // timeout bounds it anyway.
      this.redis = new Redis(options.url, { connectionName: 'berth-lease', maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 100, 1_000) });
      this.ownsRedis = true;
      this.redis.on('error', (error: unknown) => {
        const text = message(error);
        if (text === this.lastConnectionError) return;
        this.lastConnectionError = text;
        this.emit({ kind: 'redis-error', operation: 'connection', message: text });
      });
      this.redis.on('ready', () => {
        this.lastConnectionError = undefined;
      });
    } else {
      throw new TypeError('a lease needs either a redis client or a url');
    }
  }

  /** Makes the first attempt to acquire (resolving after it, leader or not), then keeps renewing or retrying. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the lease ${this.key} is closed`));
    this.starting ??= this.tick();
    return this.starting;
  }

  /** True while this process holds the lease and its local deadline has not passed: check it before every write. */
  isLeader(): boolean {
    const term = this.term;
    return term !== undefined && performance.now() < term.deadline;
  }

  role(): LeaseRole {
    return this.isLeader() ? 'leader' : 'standby';
  }

  /** The fencing token of the current term while leader; it is higher for every later acquisition. */
  fencingToken(): number | undefined {
    return this.isLeader() ? this.term?.token : undefined;
  }

  /**
   * Steps down (onChange `'standby'` if it was leader), stops the timers, waits for an attempt in
   * flight, releases the lease if it is this process's, and quits the connection it created.
   * Idempotent; each step runs even if one before failed.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    // Stop acting as leader before anything else.
    this.demote('closing');
    // An attempt in flight (bounded by the command timeout) must not take the lease after the release.
    await this.tickInFlight;
    clearTimeout(this.deadlineTimer);
    // Release whatever this process may hold (compare-and-delete on its owner id).
    if (this.redis.status !== 'end') {
      try {
        const deleted = await this.command(this.redis.eval(RELEASE, 1, this.key, this.owner));
        this.emit({ kind: 'released', deleted: deleted === 1 });
      } catch (error) {
        this.emit({ kind: 'redis-error', operation: 'release', message: message(error) });
      }
    }
    if (this.ownsRedis) {
      try {
        await this.command(this.redis.quit());
      } catch {
        // Unreachable: the disconnect below is all there is left to do.
      } finally {
        this.redis.disconnect();
      }
    }
  }

  /** One attempt: renew while leader, acquire otherwise; then schedules the next one. Never rejects. */
  private tick(): Promise<void> {
    const startedAt = performance.now();
    this.demoteIfPastDeadline();
    const term = this.term;
    const attempt = (term === undefined ? this.acquire() : this.renew(term)).finally(() => {
      this.tickInFlight = undefined;
      if (this.closed) return;
      const wait = Math.max(0, this.renewEveryMs - (performance.now() - startedAt));
      this.tickTimer = setTimeout(() => void this.tick(), wait);
    });
    this.tickInFlight = attempt;
    return attempt;
  }

  private async acquire(): Promise<void> {
    const sentAt = performance.now();
    let reply: unknown;
    try {
      reply = await this.command(this.redis.eval(ACQUIRE, 2, this.key, this.fenceKey, this.owner, this.ttlMs, this.highestTokenSeen));
    } catch (error) {
      this.emit({ kind: 'redis-error', operation: 'acquire', message: message(error) });
      return;
    }
    // Closing: close() releases what this attempt may have taken.
    if (this.closed) return;
    if (!Array.isArray(reply) || typeof reply[1] !== 'string') {
      this.emit({ kind: 'redis-error', operation: 'acquire', message: `unexpected reply ${JSON.stringify(reply)}` });
      return;
    }
    const value = reply[1];
    const token = parseToken(value);
    if (token !== undefined) this.highestTokenSeen = Math.max(this.highestTokenSeen, token);
    if (reply[0] !== 1 || token === undefined) return;
    const deadline = sentAt + this.ttlMs - this.safetyMarginMs;
    // An answer that came too late to trust: the next attempt retakes the lease under a new token.
    if (performance.now() >= deadline) return;
    this.term = { token, value, deadline };
    this.armDeadline();
    this.emit({ kind: 'acquired', fencingToken: token });
    this.notify('leader', token);
  }

  private async renew(term: Term): Promise<void> {
    const sentAt = performance.now();
    let reply: unknown;
    try {
      reply = await this.command(this.redis.eval(RENEW, 1, this.key, term.value, this.ttlMs));
    } catch (error) {
      // Could not renew: still leader until the local deadline, which demotes it if no renew succeeds.
      this.emit({ kind: 'redis-error', operation: 'renew', message: message(error) });
      return;
    }
    // Demoted (or closing) meanwhile: a late answer changes nothing.
    if (this.term !== term) return;
    if (reply === 1) {
      term.deadline = Math.max(term.deadline, sentAt + this.ttlMs - this.safetyMarginMs);
      this.armDeadline();
      return;
    }
    this.demote('lease-taken');
  }

  /** A timer that demotes at the local deadline, so onChange says so even if no renew answers. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const term = this.term;
    if (term === undefined) return;
    this.deadlineTimer = setTimeout(
      () => {
        if (this.term !== term) return;
        if (performance.now() >= term.deadline) this.demote('deadline-passed');
        else this.armDeadline();
      },
      Math.max(0, Math.ceil(term.deadline - performance.now())),
    );
  }

  private demoteIfPastDeadline(): void {
    if (this.term !== undefined && performance.now() >= this.term.deadline) this.demote('deadline-passed');
  }

  private demote(reason: DemotionReason): void {
    const term = this.term;
    if (term === undefined) return;
    this.term = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.emit({ kind: 'demoted', fencingToken: term.token, reason });
    this.notify('standby');
  }

  /** `pending`, or a LeaseCommandTimeoutError after one renew interval (an answer that late is of no use). */
  private command<T>(pending: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LeaseCommandTimeoutError(`Redis did not answer within ${this.renewEveryMs} ms`)), this.renewEveryMs);
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private notify(role: LeaseRole, fencingToken?: number): void {
    try {
      this.onChange?.(role, fencingToken);
    } catch (error) {
      this.emit({ kind: 'callback-error', message: message(error) });
    }
  }

  private emit(occurrence: LeaseOccurrence): void {
    try {
      this.log?.({ ...occurrence, key: this.key, holder: this.holder });
    } catch {
      // A failing logger must not break the election.
    }
  }
}
