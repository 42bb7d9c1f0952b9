/**
 * A process that runs one RedisLease, for the two-process test: prints one JSON line per role
 * change (`{"role":"leader","token":3,"pid":123}`) and one when started; closes on SIGTERM.
 * Environment: REDIS_URL, LEASE_KEY, LEASE_TTL_MS, LEASE_RENEW_MS.
 */
import { RedisLease, defaultLeaseHolder } from '../../controller/ha/lease.ts';
import type { LeaseRole } from '../../controller/ha/lease.ts';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const print = (line: object) => process.stdout.write(`${JSON.stringify({ ...line, pid: process.pid })}\n`);

const lease = new RedisLease({
  url: required('REDIS_URL'),
  key: required('LEASE_KEY'),
  holder: defaultLeaseHolder(),
  ttlMs: Number(required('LEASE_TTL_MS')),
  renewEveryMs: Number(required('LEASE_RENEW_MS')),
  onChange: (role: LeaseRole, token?: number) => print({ event: 'role', role, token }),
  log: (event) => {
    if (event.kind === 'redis-error') process.stderr.write(`${JSON.stringify(event)}\n`);
  },
});

process.once('SIGTERM', () => {
  void lease.close().then(() => print({ event: 'closed' }));
});

await lease.start();
print({ event: 'started', role: lease.role(), token: lease.fencingToken() });
