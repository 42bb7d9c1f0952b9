/**
 * The API's Redis connection (one, shared by the queue and the health probe). It fails requests
 * fast while Redis is away instead of queueing them for minutes: an upload answers 503 and the
 * client retries, rather than the request hanging on a queue of reconnects.
 */
import { Redis } from 'ioredis';

/** A connection to `url` that retries connecting forever (every 0.2–2 s) but each command at most once. */
export function createRedisConnection(url: string, connectionName = 'berth-api'): Redis {
  const redis = new Redis(url, {
    connectionName,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  return redis;
}

/** Where `url` points, without its credentials: what may be logged. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparseable)';
  }
}
