import { describe, expect, it } from 'vitest';
import { evaluate, MathError, parseExpression, referencedIds, toSeries } from './metric-math.ts';
import type { MathContext, MathValue, Series } from './metric-math.ts';

/** Timestamps are epoch ms; the tests write them in minutes. */
const MIN = 60_000;
const grid = [0, 1, 2, 3].map((m) => m * MIN);
const series = (entries: [number, number][]): MathValue => ({ kind: 'series', points: new Map(entries.map(([m, v]) => [m * MIN, v])) });

function run(expression: string, values: Record<string, MathValue>): Series {
  const ctx: MathContext = {
    grid,
    resolve: (id) => values[id] ?? { kind: 'series', points: new Map() },
    metrics: (filter) => Object.entries(values).filter(([id]) => id.includes(filter)).map(([, v]) => toSeries(v, grid)),
  };
  return toSeries(evaluate(parseExpression(expression), ctx), grid);
}

const asObject = (s: Series): Record<number, number> => Object.fromEntries([...s.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t / MIN, v]));

describe('metric math', () => {
  const m1 = series([[0, 1], [1, 2], [3, 4]]);
  const m2 = series([[0, 10], [1, 20], [2, 30]]);

  it('scales a series and adds two series where both have values', () => {
    expect(asObject(run('m1 * 2', { m1 }))).toEqual({ 0: 2, 1: 4, 3: 8 });
    expect(asObject(run('m1 + m2', { m1, m2 }))).toEqual({ 0: 11, 1: 22 });
    expect(asObject(run('(m1 + 1) * 2 - 1', { m1 }))).toEqual({ 0: 3, 1: 5, 3: 9 });
    expect(asObject(run('-m1 ^ 2', { m1 }))).toEqual({ 0: -1, 1: -4, 3: -16 });
    expect(asObject(run('m1 ^ -1', { m1 }))).toEqual({ 0: 1, 1: 0.5, 3: 0.25 });
    expect(asObject(run('2 ^ 3 ^ 2', {}))).toEqual({ 0: 512, 1: 512, 2: 512, 3: 512 });
  });

  it('drops division by zero', () => {
    expect(asObject(run('m2 / (m1 - 1)', { m1, m2 }))).toEqual({ 1: 20 });
  });

  it('evaluates the no-running-worker alarm expression IF(m2 > 0 AND FILL(m1, 0) < 1, 1, 0)', () => {
    // Running tasks (m1) reported in minutes 0 and 1 only; queue depth (m2) every minute.
    const running = series([[0, 1], [1, 0]]);
    const depth = series([[0, 5], [1, 5], [2, 5], [3, 0]]);
    expect(asObject(run('IF(m2 > 0 AND FILL(m1, 0) < 1, 1, 0)', { m1: running, m2: depth }))).toEqual({ 0: 0, 1: 1, 2: 1, 3: 0 });
    // && is AND; IF without an else leaves false periods empty.
    expect(asObject(run('IF(m2 > 0 && FILL(m1, 0) < 1, 1)', { m1: running, m2: depth }))).toEqual({ 1: 1, 2: 1 });
  });

  it('fills gaps with a value, REPEAT or LINEAR over the grid', () => {
    expect(asObject(run('FILL(m1, 0)', { m1 }))).toEqual({ 0: 1, 1: 2, 2: 0, 3: 4 });
    expect(asObject(run('FILL(m1, REPEAT)', { m1 }))).toEqual({ 0: 1, 1: 2, 2: 2, 3: 4 });
    expect(asObject(run('FILL(m1, LINEAR)', { m1 }))).toEqual({ 0: 1, 1: 2, 2: 3, 3: 4 });
  });

  it('reduces a series to a number and an array per timestamp', () => {
    expect(asObject(run('MAX(m1)', { m1 }))).toEqual({ 0: 4, 1: 4, 2: 4, 3: 4 });
    expect(asObject(run('SUM([m1, m2])', { m1, m2 }))).toEqual({ 0: 11, 1: 22, 2: 30, 3: 4 });
    expect(asObject(run('AVG(METRICS("m"))', { m1, m2 }))).toEqual({ 0: 5.5, 1: 11, 2: 30, 3: 4 });
    expect(asObject(run('m1 / SUM(m1) * 100', { m1 }))).toEqual({ 0: (1 / 7) * 100, 1: (2 / 7) * 100, 3: (4 / 7) * 100 });
  });

  it('computes comparisons, NOT, ABS/CEIL/FLOOR, DIFF and RATE', () => {
    expect(asObject(run('m1 >= 2', { m1 }))).toEqual({ 0: 0, 1: 1, 3: 1 });
    expect(asObject(run('NOT (m1 == 2) || m1 != 2', { m1 }))).toEqual({ 0: 1, 1: 0, 3: 1 });
    expect(asObject(run('ABS(m1 - 3)', { m1 }))).toEqual({ 0: 2, 1: 1, 3: 1 });
    expect(asObject(run('CEIL(m1 / 3) + FLOOR(m1 / 3)', { m1 }))).toEqual({ 0: 1, 1: 1, 3: 3 });
    expect(asObject(run('DIFF(m2)', { m2 }))).toEqual({ 1: 10, 2: 10 });
    expect(asObject(run('RATE(m2)', { m2 }))).toEqual({ 1: 10 / 60, 2: 10 / 60 });
  });

  it('lists referenced ids', () => {
    expect(referencedIds(parseExpression('IF(m2 > 0 AND FILL(m1, 0) < 1, 1, 0)')).sort()).toEqual(['m1', 'm2']);
    expect(referencedIds(parseExpression('SUM(METRICS())'))).toEqual(['*']);
  });

  it('rejects what it does not support, saying so', () => {
    expect(() => parseExpression('SEARCH(\'{AWS/EC2,InstanceId} MetricName="CPUUtilization"\', \'Average\', 300)')).toThrow(/SEARCH is not supported by the simulator \(supported: IF, FILL/);
    expect(() => parseExpression('ANOMALY_DETECTION_BAND(m1, 2)')).toThrow(MathError);
    expect(() => parseExpression('SELECT AVG(CPUUtilization) FROM "AWS/EC2"')).toThrow(/Metrics Insights/);
    expect(() => parseExpression('m1 +')).toThrow(/unexpected end/);
    expect(() => parseExpression('m1 m2')).toThrow(/unexpected 'm2'/);
    expect(() => parseExpression('M1 * 2')).toThrow(/unexpected 'M1'/);
    expect(() => parseExpression('m1 # 2')).toThrow(/unexpected character '#'/);
    expect(() => run('[m1, m2] + [m1, m2]', { m1, m2 })).toThrow(/two arrays/);
    expect(() => run('[m1, m2]', { m1, m2 })).toThrow(/returns 2 time series/);
    expect(() => run('IF(m1)', { m1 })).toThrow(/IF takes 2 to 3 arguments/);
  });
});
