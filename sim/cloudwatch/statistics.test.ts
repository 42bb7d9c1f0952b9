import { describe, expect, it } from 'vitest';
import {
  aggregateValues,
  combineAggregates,
  isAlarmPeriod,
  isLowSampleCount,
  isQueryPeriod,
  mergeAggregates,
  parsePercentile,
  parseStat,
  percentile,
  statisticValue,
} from './statistics.ts';

const ones = (values: number[]): { value: number; count: number }[] => values.map((value) => ({ value, count: 1 }));
const oneToHundred = ones(Array.from({ length: 100 }, (_, i) => i + 1));

describe('statistics', () => {
  it('computes SampleCount, Sum, Average, Minimum and Maximum, counting repeated values', () => {
    const agg = aggregateValues([
      { value: 2, count: 3 },
      { value: 10, count: 1 },
    ]);
    expect(statisticValue(agg, { kind: 'simple', name: 'SampleCount' })).toBe(4);
    expect(statisticValue(agg, { kind: 'simple', name: 'Sum' })).toBe(16);
    expect(statisticValue(agg, { kind: 'simple', name: 'Average' })).toBe(4);
    expect(statisticValue(agg, { kind: 'simple', name: 'Minimum' })).toBe(2);
    expect(statisticValue(agg, { kind: 'simple', name: 'Maximum' })).toBe(10);
  });

  it('uses nearest rank for percentiles: p95 of 1..100 is 95, p50 is 50, p0 the minimum, p100 the maximum', () => {
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99.5)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 100)).toBe(100);
    // 20 samples: rank ceil(0.95 × 20) = 19, not 20, despite floating point.
    expect(percentile(ones(Array.from({ length: 20 }, (_, i) => i + 1)), 95)).toBe(19);
    // Counts weigh: 9 × 1 and 1 × 1000 → p90 is 1, p91 is 1000.
    expect(percentile([{ value: 1, count: 9 }, { value: 1000, count: 1 }], 90)).toBe(1);
    expect(percentile([{ value: 1, count: 9 }, { value: 1000, count: 1 }], 91)).toBe(1000);
  });

  it('has no percentile with a negative value or for statistic sets', () => {
    expect(percentile(ones([1, -1, 3]), 50)).toBeUndefined();
    const set = { sampleCount: 3, sum: 6, minimum: 1, maximum: 3, values: undefined };
    expect(statisticValue(set, { kind: 'percentile', name: 'p50', p: 50 })).toBeUndefined();
    expect(statisticValue(set, { kind: 'simple', name: 'Average' })).toBe(2);
    // Merging with a statistic set loses the raw values.
    expect(mergeAggregates(aggregateValues(ones([1])), set).values).toBeUndefined();
    expect(combineAggregates([aggregateValues(ones([1])), aggregateValues(ones([5]))])).toMatchObject({ sampleCount: 2, sum: 6, minimum: 1, maximum: 5 });
  });

  it('parses statistic names', () => {
    expect(parsePercentile('p95')).toBe(95);
    expect(parsePercentile('p99.9')).toBe(99.9);
    expect(parsePercentile('p0.0')).toBe(0);
    expect(parsePercentile('p100')).toBe(100);
    for (const bad of ['p101', 'p', 'p9.999', 'P95', 'tm90', 'p-1']) expect(parsePercentile(bad)).toBeUndefined();
    expect(parseStat('Average')).toEqual({ kind: 'simple', name: 'Average' });
    expect(parseStat('p99')).toEqual({ kind: 'percentile', name: 'p99', p: 99 });
    expect(parseStat('tm90')).toBeUndefined();
  });

  it('flags low sample counts as CloudWatch documents: 10/(1-p) above p50, 10/p below', () => {
    expect(isLowSampleCount(99, 999)).toBe(true);
    expect(isLowSampleCount(99, 1000)).toBe(false);
    expect(isLowSampleCount(10, 99)).toBe(true);
    expect(isLowSampleCount(10, 100)).toBe(false);
  });

  it('knows the periods queries and alarms accept', () => {
    for (const p of [1, 5, 10, 20, 30, 60, 300, 3600]) expect(isQueryPeriod(p)).toBe(true);
    for (const p of [0, 2, 45, 90]) expect(isQueryPeriod(p)).toBe(false);
    for (const p of [10, 20, 30, 60, 120]) expect(isAlarmPeriod(p)).toBe(true);
    for (const p of [1, 5, 45, 90]) expect(isAlarmPeriod(p)).toBe(false);
  });
});
