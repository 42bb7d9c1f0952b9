import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './work-queue.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue', () => {
  it('queues a key once however often it is added, in arrival order', async () => {
    const q = new WorkQueue();
    q.add('Service/a');
    q.add('Service/b');
    q.add('Service/a');
    expect(q.depth()).toBe(2);
    expect(await q.take()).toEqual(['Service/a', 'Service/b']);
  });

  it('never hands out a key in flight; added meanwhile, it runs once more afterwards', async () => {
    const q = new WorkQueue();
    q.add('Service/a');
    expect(await q.take()).toEqual(['Service/a']);
    q.add('Service/a');
    q.add('Service/a');
    expect(q.depth()).toBe(0);
    q.done('Service/a', { ok: true, retry: 'none' });
    expect(await q.take()).toEqual(['Service/a']);
  });

  it('backs a failing key off exponentially (1 s, 2 s, 4 s …, capped) and resets on success', async () => {
    const q = new WorkQueue({ baseDelayMs: 1000, maxDelayMs: 4000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.add('Alarm/x');
      await q.take();
      delays.push(q.backoff('Alarm/x'));
      q.done('Alarm/x', { ok: false, retry: 'backoff' });
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);
    q.add('Alarm/x');
    await q.take();
    q.done('Alarm/x', { ok: true, retry: 'none' });
    expect(q.backoff('Alarm/x')).toBe(1000);
  });

  it('requeues a failed key only after its backoff', async () => {
    const q = new WorkQueue({ baseDelayMs: 1000 });
    q.add('Service/a');
    await q.take();
    q.done('Service/a', { ok: false, retry: 'backoff' });
    vi.advanceTimersByTime(999);
    expect(q.depth()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.depth()).toBe(1);
  });

  it('wakes a waiting take() when a key arrives, and resolves it to [] on close', async () => {
    const q = new WorkQueue();
    const waiting = q.take();
    q.add('Cluster/c');
    expect(await waiting).toEqual(['Cluster/c']);
    const pending = q.take();
    q.close();
    expect(await pending).toEqual([]);
    q.add('Cluster/d');
    expect(q.depth()).toBe(0);
  });

  it('takes at most max keys at a time', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'c']) q.add(k);
    expect(await q.take(2)).toEqual(['a', 'b']);
    expect(await q.take(2)).toEqual(['c']);
  });
});
