/** Leader election on a real redis-server: short leases (600 ms) so that every takeover happens in well under a second. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisLease } from '../../controller/ha/lease.ts';
import type { LeaseEvent, LeaseRole, RedisLeaseOptions } from '../../controller/ha/lease.ts';
import { LeadershipLostError, assertLeadership } from '../../controller/ha/write-guard.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

const TTL = 600;
const RENEW = 200;
/** Default safety margin: ttl / 5. */
const MARGIN = 120;
/** Scheduling and round-trip allowance on top of the bounds under test. */
const SLACK = 150;

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const holderScript = fileURLToPath(new URL('./lease-holder.ts', import.meta.url));

let server: RedisServer;
let admin: Redis;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startRedis({ reuseEnv: true });
  admin = new Redis(server.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms; resolves to the milliseconds it took, rejects after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs: number, since = performance.now()): Promise<number> {
  for (;;) {
    const elapsed = performance.now() - since;
    if (condition()) return elapsed;
    if (elapsed > timeoutMs) throw new Error(`${what}: not true after ${Math.round(elapsed)} ms (limit ${timeoutMs} ms)`);
    await sleep(5);
  }
}

const newKey = () => `berth:test:leader:${randomUUID()}`;

interface Observed {
  readonly lease: RedisLease;
  readonly changes: [LeaseRole, number | undefined][];
  readonly events: LeaseEvent[];
}

/** A lease with short timings (closed after the test) that records its role changes and events. */
function lease(options: Partial<RedisLeaseOptions> & { key: string; holder: string }): Observed {
  const changes: [LeaseRole, number | undefined][] = [];
  const events: LeaseEvent[] = [];
  const created = new RedisLease({
    ttlMs: TTL,
    renewEveryMs: RENEW,
    ...(options.redis === undefined ? { url: options.url ?? server.url } : { redis: options.redis }),
    key: options.key,
    holder: options.holder,
    onChange: (role, token) => changes.push([role, token]),
    log: (event) => events.push(event),
  });
  cleanups.push(() => created.close());
  return { lease: created, changes, events };
}

describe('RedisLease', () => {
  it('elects one leader; a second lease on the key stays standby; each acquisition gets a higher fencing token', async () => {
    const key = newKey();
    const a = lease({ key, holder: 'a' });
    await a.lease.start();
    expect(a.lease.isLeader()).toBe(true);
    expect(a.lease.role()).toBe('leader');
    const first = a.lease.fencingToken() ?? Number.NaN;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(await admin.get(key)).toMatch(new RegExp(`^${first}:a#`));

    const b = lease({ key, holder: 'b' });
    await b.lease.start();
    expect(b.lease.isLeader()).toBe(false);
    expect(b.lease.fencingToken()).toBeUndefined();
    // A renews, B keeps trying, nothing changes.
    await sleep(RENEW * 3);
    expect(a.lease.isLeader()).toBe(true);
    expect(a.lease.fencingToken()).toBe(first);
    expect(b.lease.isLeader()).toBe(false);
    expect(b.changes).toEqual([]);

    await a.lease.close();
    await waitFor('b leads', () => b.lease.isLeader(), RENEW + SLACK);
    const second = b.lease.fencingToken() ?? Number.NaN;
    expect(second).toBeGreaterThan(first);

    // After another release, the next acquisition is higher again (after an expiry: the next test).
    await b.lease.close();
    const c = lease({ key, holder: 'c' });
    await c.lease.start();
    expect(c.lease.fencingToken()).toBeGreaterThan(second);
    expect(assertLeadership(c.lease, 'ecs:UpdateService')).toBe(c.lease.fencingToken());
    expect(() => assertLeadership(b.lease, 'ecs:UpdateService')).toThrow(LeadershipLostError);
  });

  it('a leader that closes releases the lease at once; the standby takes over within one renew interval', async () => {
    const key = newKey();
    const a = lease({ key, holder: 'a' });
    const b = lease({ key, holder: 'b' });
    await a.lease.start();
    await b.lease.start();
    const token = a.lease.fencingToken();

    await a.lease.close();
    const closedAt = performance.now();
    expect(a.lease.isLeader()).toBe(false);
    expect(a.events).toContainEqual(expect.objectContaining({ kind: 'released', deleted: true }));
    const tookOver = await waitFor('b leads', () => b.lease.isLeader(), RENEW + SLACK, closedAt);
    expect(tookOver).toBeLessThanOrEqual(RENEW + SLACK);
    expect(a.changes).toEqual([
      ['leader', token],
      ['standby', undefined],
    ]);
    expect(b.changes).toEqual([['leader', b.lease.fencingToken()]]);
  });

  it('a leader cut off from Redis steps down before its lease can expire; the standby takes over within ttl + renew interval', async () => {
    const key = newKey();
    const connection = new Redis(server.url);
    cleanups.push(() => connection.disconnect());
    const a = lease({ key, holder: 'a', redis: connection });
    const b = lease({ key, holder: 'b' });
    await a.lease.start();
    await b.lease.start();
    await sleep(RENEW * 1.5);
    expect(a.lease.isLeader()).toBe(true);

    // Both leaders at once would be a split brain: sample all along.
    let bothLeaders = false;
    const sampler = setInterval(() => {
      if (a.lease.isLeader() && b.lease.isLeader()) bothLeaders = true;
    }, 2);
    cleanups.push(() => clearInterval(sampler));

    const cutAt = performance.now();
    connection.disconnect();
    const steppedDown = await waitFor('a steps down', () => !a.lease.isLeader(), TTL, cutAt);
    // The last renew was sent before the cut, so the local deadline is at most ttl − margin after it.
    expect(steppedDown).toBeLessThan(TTL - MARGIN + 50);
    // … and the lease is still alive in Redis: nobody else can have it yet.
    expect(await admin.pttl(key)).toBeGreaterThan(0);
    expect(b.lease.isLeader()).toBe(false);

    const tookOver = await waitFor('b leads', () => b.lease.isLeader(), TTL + RENEW + SLACK, cutAt);
    expect(tookOver).toBeLessThanOrEqual(TTL + RENEW + SLACK);
    expect(bothLeaders).toBe(false);
    expect(a.events).toContainEqual(expect.objectContaining({ kind: 'redis-error', operation: 'renew' }));
    expect(a.events).toContainEqual(expect.objectContaining({ kind: 'demoted', reason: 'deadline-passed' }));
    expect(a.changes.map(([role]) => role)).toEqual(['leader', 'standby']);
    expect(b.lease.fencingToken()).toBeGreaterThan(a.changes[0]?.[1] ?? Number.POSITIVE_INFINITY);
  });

  it('steps down on the next renew when someone else holds the key, and leaves their lease alone', async () => {
    const key = newKey();
    const a = lease({ key, holder: 'a' });
    await a.lease.start();
    expect(a.lease.isLeader()).toBe(true);

    const intruder = '999999:intruder#0';
    await admin.set(key, intruder, 'PX', 10_000);
    const overwrittenAt = performance.now();
    await waitFor('a steps down', () => !a.lease.isLeader(), RENEW + SLACK, overwrittenAt);
    expect(a.events).toContainEqual(expect.objectContaining({ kind: 'demoted', reason: 'lease-taken' }));
    expect(a.changes.map(([role]) => role)).toEqual(['leader', 'standby']);

    // It keeps trying, but does not take (or renew) a lease that is not its own.
    await sleep(RENEW * 3);
    expect(a.lease.isLeader()).toBe(false);
    expect(await admin.get(key)).toBe(intruder);

    // Once the key is gone it leads again, under a token above every token it has seen.
    await admin.del(key);
    await waitFor('a leads again', () => a.lease.isLeader(), RENEW + SLACK);
    expect(a.lease.fencingToken()).toBeGreaterThan(999_999);

    // Closing releases only its own lease.
    await admin.set(key, intruder, 'PX', 10_000);
    await waitFor('a steps down', () => !a.lease.isLeader(), RENEW + SLACK);
    await a.lease.close();
    expect(await admin.get(key)).toBe(intruder);
  });

  it('steps down within ttl when Redis is killed, with no unhandled error, and leads again once Redis is back on the same port', async () => {
    const consoleError = vi.spyOn(console, 'error');
    cleanups.push(() => consoleError.mockRestore());
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const key = newKey();
    const a = lease({ key, holder: 'a', url: own.url });
    await a.lease.start();
    const before = a.lease.fencingToken() ?? Number.NaN;
    expect(a.lease.isLeader()).toBe(true);

    const killedAt = performance.now();
    own.kill();
    const steppedDown = await waitFor('a steps down', () => !a.lease.isLeader(), TTL, killedAt);
    expect(steppedDown).toBeLessThan(TTL);
    await sleep(RENEW * 2);
    expect(a.lease.isLeader()).toBe(false);
    expect(a.events.some((e) => e.kind === 'redis-error')).toBe(true);
    expect(a.changes).toEqual([
      ['leader', before],
      ['standby', undefined],
    ]);

    // A fresh server (no persistence: the fencing counter is gone) on the same port.
    await own.stop();
    const restarted = await startRedis({ port: own.port });
    cleanups.push(() => restarted.stop());
    await waitFor('a leads again', () => a.lease.isLeader(), 5_000);
    expect(a.lease.fencingToken()).toBeGreaterThan(before);
    await a.lease.close();

    expect(consoleError.mock.calls.flat().join(' ')).not.toMatch(/Unhandled error event/);
  });

  it('close() is idempotent, releases only what it holds, and quits the connection it opened', async () => {
    const key = newKey();
    const clientsNamed = async () => ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes('name=berth-lease')).length;
    const openBefore = await clientsNamed();

    const a = lease({ key, holder: 'a' });
    const b = lease({ key, holder: 'b' });
    await a.lease.start();
    await b.lease.start();
    expect(await clientsNamed()).toBe(openBefore + 2);

    // The standby closing leaves the leader's lease alone.
    await b.lease.close();
    expect(b.events).toContainEqual(expect.objectContaining({ kind: 'released', deleted: false }));
    expect(a.lease.isLeader()).toBe(true);
    expect(await admin.exists(key)).toBe(1);

    const token = a.lease.fencingToken();
    const first = a.lease.close();
    const second = a.lease.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await a.lease.close();
    expect(a.changes).toEqual([
      ['leader', token],
      ['standby', undefined],
    ]);
    expect(a.events.filter((e) => e.kind === 'released')).toHaveLength(1);
    expect(await admin.exists(key)).toBe(0);
    await expect(a.lease.start()).rejects.toThrow(/closed/);
    // The server drops a connection right after answering its QUIT.
    for (let i = 0; i < 50 && (await clientsNamed()) !== openBefore; i++) await sleep(10);
    expect(await clientsNamed()).toBe(openBefore);
  });

  it('leaves a client it was given open', async () => {
    const connection = new Redis(server.url);
    cleanups.push(() => connection.disconnect());
    const a = lease({ key: newKey(), holder: 'a', redis: connection });
    await a.lease.start();
    await a.lease.close();
    expect(await connection.ping()).toBe('PONG');
  });

  it('refuses timings under which a leader would step down between renews', () => {
    expect(() => new RedisLease({ url: server.url, holder: 'a', ttlMs: 600, renewEveryMs: 480 })).toThrow(RangeError);
    expect(() => new RedisLease({ url: server.url, holder: 'a', ttlMs: 0 })).toThrow(RangeError);
    expect(() => new RedisLease({ url: server.url, holder: '' })).toThrow(TypeError);
    const defaults = new RedisLease({ redis: admin, holder: 'a', name: 'prod' });
    expect([defaults.key, defaults.ttlMs, defaults.renewEveryMs, defaults.safetyMarginMs]).toEqual(['berth:leader:prod', 15_000, 5_000, 3_000]);
  });
});

interface HolderLine {
  readonly event: 'started' | 'role' | 'closed';
  readonly role?: LeaseRole;
  readonly token?: number;
  readonly pid: number;
}

/** A `lease-holder.ts` process on `key`, with the lines it printed so far. */
function spawnHolder(key: string): { child: ChildProcess; lines: HolderLine[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL: server.url, LEASE_KEY: key, LEASE_TTL_MS: String(TTL), LEASE_RENEW_MS: String(RENEW) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: HolderLine[] = [];
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as HolderLine));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, lines, exited };
}

describe('two controller processes', () => {
  it('when the leader is killed with SIGKILL, the other process leads within ttl + renew interval', async () => {
    const key = newKey();
    const one = spawnHolder(key);
    const two = spawnHolder(key);
    const started = (h: { lines: HolderLine[] }) => h.lines.some((l) => l.event === 'started');
    await waitFor('both started', () => started(one) && started(two), 20_000);
    const leading = (h: { lines: HolderLine[] }) => h.lines.filter((l) => l.event === 'role').at(-1)?.role === 'leader';
    expect([leading(one), leading(two)].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = leading(one) ? [one, two] : [two, one];
    const leaderToken = leader.lines.find((l) => l.role === 'leader')?.token ?? Number.NaN;

    leader.child.kill('SIGKILL');
    const killedAt = performance.now();
    const tookOver = await waitFor('the standby leads', () => leading(standby), TTL + RENEW + SLACK + 100, killedAt);
    expect(tookOver).toBeLessThanOrEqual(TTL + RENEW + SLACK + 100);
    expect(standby.lines.find((l) => l.role === 'leader')?.token).toBeGreaterThan(leaderToken);
    expect(await leader.exited).toBe(null);

    // SIGTERM: it steps down, releases and exits by itself (nothing else keeps it alive).
    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    expect(standby.lines.map((l) => (l.event === 'role' ? l.role : l.event))).toEqual(['started', 'leader', 'standby', 'closed']);
    expect(await admin.exists(key)).toBe(0);
  });
});
