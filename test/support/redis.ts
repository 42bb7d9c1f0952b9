/** A real redis-server for tests: the same helper the demo uses (scripts/local-redis.ts). */
export * from '../../scripts/local-redis.ts';
