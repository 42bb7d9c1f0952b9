import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('lets a burst through at once, then refills at the rate', async () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: () => now });
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(bucket.available()).toBeCloseTo(0);
    now += 250;
    expect(bucket.available()).toBeCloseTo(2.5);
    now += 10_000;
    expect(bucket.available()).toBe(3);
  });

  it('makes callers beyond the burst wait for their token, in order', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 1 });
    const start = performance.now();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => bucket.take().then(() => order.push(i))));
    const elapsed = performance.now() - start;
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // 4 tokens beyond the burst at 50/s: at least 80 ms (timers may be late, never early by much).
    expect(elapsed).toBeGreaterThanOrEqual(70);
  });

  it('rejects a bucket that could never give a token', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
