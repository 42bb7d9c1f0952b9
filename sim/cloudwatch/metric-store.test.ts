import { describe, expect, it } from 'vitest';
import { bucketize, MetricStore, RETENTION_MS, unitsIn } from './metric-store.ts';
import { aggregateValues } from './statistics.ts';

const T0 = Date.UTC(2026, 0, 1);
const value = (v: number): ReturnType<typeof aggregateValues> => aggregateValues([{ value: v, count: 1 }]);

describe('metric store', () => {
  it('treats dimensions as an unordered set', () => {
    const store = new MetricStore();
    const base = { namespace: 'N', metricName: 'M', highResolution: false, unit: 'Count', receivedAt: T0 };
    store.put({ ...base, dimensions: [{ Name: 'A', Value: '1' }, { Name: 'B', Value: '2' }], at: T0, aggregate: value(1) });
    store.put({ ...base, dimensions: [{ Name: 'B', Value: '2' }, { Name: 'A', Value: '1' }], at: T0 + 1000, aggregate: value(2) });
    expect(store.size).toBe(1);
    expect(store.find('N', 'M', [{ Name: 'B', Value: '2' }, { Name: 'A', Value: '1' }])?.dimensions.map((d) => d.Name)).toEqual(['A', 'B']);
    expect(store.find('N', 'M', [{ Name: 'A', Value: '1' }])).toBeUndefined();
  });

  it('stores standard resolution at one minute and high resolution at one second, merging same time and unit', () => {
    const store = new MetricStore();
    const base = { namespace: 'N', metricName: 'M', dimensions: [], unit: 'Count', receivedAt: T0 };
    store.put({ ...base, highResolution: false, at: T0 + 10_500, aggregate: value(1) });
    store.put({ ...base, highResolution: false, at: T0 + 50_000, aggregate: value(3) });
    store.put({ ...base, highResolution: true, at: T0 + 70_500, aggregate: value(7) });
    const points = store.find('N', 'M', [])?.points ?? [];
    expect(points.map((p) => [p.at - T0, p.aggregate.sampleCount])).toEqual([
      [0, 2],
      [70_000, 1],
    ]);
    // Ten-second buckets see the standard-resolution data at the minute only.
    expect([...bucketize(points, T0, T0 + 120_000, 10_000).keys()].map((t) => t - T0)).toEqual([0, 70_000]);
  });

  it('keeps units apart and drops data past retention', () => {
    const store = new MetricStore();
    const base = { namespace: 'N', metricName: 'M', dimensions: [], highResolution: false, receivedAt: T0 };
    store.put({ ...base, unit: 'Count', at: T0, aggregate: value(1) });
    store.put({ ...base, unit: 'Percent', at: T0, aggregate: value(50) });
    const points = store.find('N', 'M', [])?.points ?? [];
    expect(unitsIn(points, T0, T0 + 60_000)).toEqual(['Count', 'Percent']);
    expect(bucketize(points, T0, T0 + 60_000, 60_000, 'Percent').get(T0)?.maximum).toBe(50);
    store.prune(T0 + RETENTION_MS);
    expect(store.size).toBe(1);
    store.prune(T0 + RETENTION_MS + 60_001);
    expect(store.size).toBe(0);
  });
});
