/**
 * CloudWatch statistics over one period's samples: SampleCount, Sum, Minimum, Maximum, Average
 * and percentiles (`p95`, `p99.9`, `p0`–`p100`). Pure functions.
 *
 * Percentiles use the nearest-rank method on the raw values: pNN is the smallest value such that
 * at least NN % of the samples are less than or equal to it (p0 is the minimum, p100 the maximum).
 * CloudWatch documents pNN as "NN percent of the data within the period is lower than this value"
 * without naming an interpolation; nearest rank never invents a value that was not published.
 * As CloudWatch does, percentiles are unavailable when any value is negative, or when some of the
 * period's data arrived as statistic sets (`StatisticValues`), which carry no raw values.
 */

export type SimpleStatistic = 'SampleCount' | 'Sum' | 'Average' | 'Minimum' | 'Maximum';
export const SIMPLE_STATISTICS: readonly SimpleStatistic[] = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];

/** A statistic name as `Stat`, `Statistic` or `ExtendedStatistic` carry it. */
export type Stat = { readonly kind: 'simple'; readonly name: SimpleStatistic } | { readonly kind: 'percentile'; readonly name: string; readonly p: number };

/** A value published `count` times (PutMetricData `Values`/`Counts`, or one `Value`). */
export interface ValueCount {
  readonly value: number;
  readonly count: number;
}

/** Everything CloudWatch keeps about a set of samples. */
export interface Aggregate {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
  /** The raw values; undefined when any sample came in a statistic set. */
  readonly values: readonly ValueCount[] | undefined;
}

/** The aggregate of raw values. */
export function aggregateValues(values: readonly ValueCount[]): Aggregate {
  let sampleCount = 0;
  let sum = 0;
  let minimum = Infinity;
  let maximum = -Infinity;
  for (const { value, count } of values) {
    sampleCount += count;
    sum += value * count;
    if (value < minimum) minimum = value;
    if (value > maximum) maximum = value;
  }
  return { sampleCount, sum, minimum, maximum, values };
}

/** Two aggregates as one (a period holding several PutMetricData calls). */
export function mergeAggregates(a: Aggregate, b: Aggregate): Aggregate {
  return {
    sampleCount: a.sampleCount + b.sampleCount,
    sum: a.sum + b.sum,
    minimum: Math.min(a.minimum, b.minimum),
    maximum: Math.max(a.maximum, b.maximum),
    values: a.values && b.values ? [...a.values, ...b.values] : undefined,
  };
}

/** Many aggregates as one, in one pass (a long period holding many stored points). */
export function combineAggregates(aggregates: readonly Aggregate[]): Aggregate {
  if (aggregates.length === 1) return aggregates[0] as Aggregate;
  let sampleCount = 0;
  let sum = 0;
  let minimum = Infinity;
  let maximum = -Infinity;
  let values: ValueCount[] | undefined = [];
  for (const a of aggregates) {
    sampleCount += a.sampleCount;
    sum += a.sum;
    minimum = Math.min(minimum, a.minimum);
    maximum = Math.max(maximum, a.maximum);
    if (values && a.values) for (const v of a.values) values.push(v);
    else values = undefined;
  }
  return { sampleCount, sum, minimum, maximum, values };
}

/** `p95` → 95, `p99.9` → 99.9; up to two decimals, p0–p100, as CloudWatch accepts. */
export function parsePercentile(text: string): number | undefined {
  const match = /^p(100(?:\.0{1,2})?|\d{1,2}(?:\.\d{1,2})?)$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** A statistic name the simulator computes, or undefined (including trimmed means and the like). */
export function parseStat(text: string): Stat | undefined {
  if ((SIMPLE_STATISTICS as readonly string[]).includes(text)) return { kind: 'simple', name: text as SimpleStatistic };
  const p = parsePercentile(text);
  return p === undefined ? undefined : { kind: 'percentile', name: text, p };
}

/** Nearest-rank percentile of raw values; undefined without values or with a negative one. */
export function percentile(values: readonly ValueCount[] | undefined, p: number): number | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.some((v) => v.value < 0)) return undefined;
  const sorted = [...values].sort((a, b) => a.value - b.value);
  const n = sorted.reduce((total, v) => total + v.count, 0);
  if (n <= 0) return undefined;
  // Rank 1 for p0; the epsilon keeps 95 % of 20 at rank 19 despite floating point.
  const rank = Math.max(1, Math.ceil((p * n) / 100 - 1e-9));
  let seen = 0;
  for (const v of sorted) {
    seen += v.count;
    if (seen >= rank) return v.value;
  }
  return (sorted[sorted.length - 1] as ValueCount).value;
}

/** One statistic of an aggregate; undefined when it cannot be computed (an empty period). */
export function statisticValue(aggregate: Aggregate, stat: Stat): number | undefined {
  if (aggregate.sampleCount <= 0) return undefined;
  if (stat.kind === 'percentile') return percentile(aggregate.values, stat.p);
  switch (stat.name) {
    case 'SampleCount':
      return aggregate.sampleCount;
    case 'Sum':
      return aggregate.sum;
    case 'Average':
      return aggregate.sum / aggregate.sampleCount;
    case 'Minimum':
      return aggregate.minimum;
    case 'Maximum':
      return aggregate.maximum;
  }
}

/**
 * Whether a percentile has too few samples to be significant (EvaluateLowSampleCountPercentile):
 * fewer than 10/(1-p) samples for p ≥ 0.5, fewer than 10/p below, as CloudWatch documents.
 */
export function isLowSampleCount(p: number, sampleCount: number): boolean {
  const fraction = p / 100;
  if (fraction >= 0.5) return fraction < 1 && sampleCount < 10 / (1 - fraction);
  return fraction > 0 && sampleCount < 10 / fraction;
}

/** Periods CloudWatch accepts for querying data: 1, 5, 10, 20, 30 or a multiple of 60 seconds. */
export function isQueryPeriod(period: number): boolean {
  return [1, 5, 10, 20, 30].includes(period) || (period > 0 && period % 60 === 0);
}

/** Periods an alarm accepts: 10, 20, 30 (high resolution) or a multiple of 60 seconds. */
export function isAlarmPeriod(period: number): boolean {
  return [10, 20, 30].includes(period) || (period > 0 && period % 60 === 0);
}
