/**
 * The metric data operations: PutMetricData, GetMetricStatistics, GetMetricData and ListMetrics,
 * with CloudWatch's limits and validation, over one region's metric store.
 */
import { AwsError } from '../errors.ts';
import { seriesList } from './metric-math.ts';
import type { Series } from './metric-math.ts';
import { bucketize, metricKey, RETENTION_MS, unitsIn } from './metric-store.ts';
import type { Dimension, MetricStore } from './metric-store.ts';
import {
  bool,
  checkEnum,
  checkLength,
  checkRange,
  decodeToken,
  encodeToken,
  int,
  list,
  missing,
  num,
  str,
  structure,
  timestamp,
} from './normalize-input.ts';
import type { Infer } from './normalize-input.ts';
import { checkDimensions, checkStat, DIMENSION, grid, METRIC_DATA_QUERY, planQueries, runPlan, STANDARD_UNITS } from './query-plan.ts';
import { aggregateValues, isQueryPeriod, parsePercentile, SIMPLE_STATISTICS, statisticValue } from './statistics.ts';
import type { Aggregate, SimpleStatistic, ValueCount } from './statistics.ts';

// ---------------------------------------------------------------------------------------------
// PutMetricData
// ---------------------------------------------------------------------------------------------

const METRIC_DATUM = structure({
  MetricName: str,
  Dimensions: list(DIMENSION),
  Timestamp: timestamp,
  Value: num,
  StatisticValues: structure({ SampleCount: num, Sum: num, Minimum: num, Maximum: num }),
  Values: list(num),
  Counts: list(num),
  Unit: str,
  StorageResolution: int,
});
type MetricDatum = Infer<typeof METRIC_DATUM>;

export const PUT_METRIC_DATA = structure({
  Namespace: str,
  MetricData: list(METRIC_DATUM),
  EntityMetricData: list(structure({ Entity: structure({}), MetricData: list(METRIC_DATUM) })),
  StrictEntityValidation: bool,
});

/** At most 1000 datums a call, 150 distinct values a datum (CloudWatch's PutMetricData limits). */
export const MAX_METRIC_DATA = 1000;
const MAX_VALUES = 150;
/** Values must lie in ±2^360 (and be 0 or at least 2^-360 in magnitude); NaN and ±Infinity are refused. */
const MAX_MAGNITUDE = 2 ** 360;
const MIN_MAGNITUDE = 2 ** -360;
/** Timestamps: at most two weeks in the past, two hours in the future. */
const MAX_PAST_MS = 14 * 24 * 3600 * 1000;
const MAX_FUTURE_MS = 2 * 3600 * 1000;

interface ValidDatum {
  readonly metricName: string;
  readonly dimensions: Dimension[];
  readonly at: number;
  readonly unit: string;
  readonly highResolution: boolean;
  readonly aggregate: Aggregate;
}

function checkValue(value: number, path: string): void {
  const abs = Math.abs(value);
  if (!Number.isFinite(value) || abs > MAX_MAGNITUDE || (abs !== 0 && abs < MIN_MAGNITUDE)) {
    throw new AwsError('InvalidParameterValue', `The value ${String(value)} for parameter ${path} is invalid.`);
  }
}

function validateDatum(d: MetricDatum, at: string, now: number): ValidDatum {
  if (d.MetricName === undefined) throw missing(`${at}.MetricName`);
  checkLength(d.MetricName, `${at}.MetricName`, 1, 255);
  const dimensions = checkDimensions(d.Dimensions, `${at}.Dimensions`);
  const unit = checkEnum(d.Unit, `${at}.Unit`, STANDARD_UNITS) ?? 'None';
  // StorageResolution: 1 (high resolution) or 60 (the default).
  if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
    throw new AwsError('InvalidParameterValue', `The value ${d.StorageResolution} for parameter ${at}.StorageResolution is invalid.`);
  }
  const timestampMs = d.Timestamp ?? now;
  if (timestampMs > now + MAX_FUTURE_MS) throw new AwsError('InvalidParameterValue', `The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);
  if (timestampMs < now - MAX_PAST_MS) throw new AwsError('InvalidParameterValue', `The parameter ${at}.Timestamp must specify a time within the past two weeks.`);
  // Exactly one of Value, Values (+ Counts) and StatisticValues.
  if (d.Value !== undefined && d.StatisticValues !== undefined) {
    throw new AwsError('InvalidParameterCombination', `The parameters ${at}.Value and ${at}.StatisticValues are mutually exclusive and you have specified both.`);
  }
  if (d.Value !== undefined && d.Values !== undefined) {
    throw new AwsError('InvalidParameterCombination', `The parameters ${at}.Value and ${at}.Values are mutually exclusive and you have specified both.`);
  }
  if (d.Values !== undefined && d.StatisticValues !== undefined) {
    throw new AwsError('InvalidParameterCombination', `The parameters ${at}.Values and ${at}.StatisticValues are mutually exclusive and you have specified both.`);
  }
  let aggregate: Aggregate;
  if (d.StatisticValues !== undefined) {
    const s = d.StatisticValues;
    for (const field of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) {
      const v = s[field];
      if (v === undefined) throw missing(`${at}.StatisticValues.${field}`);
      checkValue(v, `${at}.StatisticValues.${field}`);
    }
    const set = s as Required<typeof s>;
    if (set.SampleCount <= 0) throw new AwsError('InvalidParameterValue', `The value ${set.SampleCount} for parameter ${at}.StatisticValues.SampleCount is invalid.`);
    if (set.Minimum > set.Maximum) throw new AwsError('InvalidParameterValue', `The parameter ${at}.StatisticValues.Minimum must not be greater than ${at}.StatisticValues.Maximum.`);
    aggregate = { sampleCount: set.SampleCount, sum: set.Sum, minimum: set.Minimum, maximum: set.Maximum, values: undefined };
  } else if (d.Values !== undefined) {
    checkLength(d.Values, `${at}.Values`, 0, MAX_VALUES);
    if (d.Counts !== undefined && d.Counts.length !== d.Values.length) {
      throw new AwsError('InvalidParameterValue', `The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
    }
    const values: ValueCount[] = d.Values.map((value, i) => {
      checkValue(value, `${at}.Values.member.${i + 1}`);
      const count = d.Counts?.[i] ?? 1;
      if (!Number.isFinite(count) || count < 0) throw new AwsError('InvalidParameterValue', `The value ${count} for parameter ${at}.Counts.member.${i + 1} is invalid.`);
      return { value, count };
    });
    aggregate = aggregateValues(values.filter((v) => v.count > 0));
  } else if (d.Value !== undefined) {
    checkValue(d.Value, `${at}.Value`);
    aggregate = aggregateValues([{ value: d.Value, count: 1 }]);
  } else {
    throw new AwsError('InvalidParameterCombination', `At least one of the parameters ${at}.Value, ${at}.Values or ${at}.StatisticValues must be specified.`);
  }
  return { metricName: d.MetricName, dimensions, at: timestampMs, unit, highResolution: d.StorageResolution === 1, aggregate };
}

/** PutMetricData: validates every datum first, so a bad one stores nothing (as CloudWatch). */
export function putMetricData(store: MetricStore, input: Infer<typeof PUT_METRIC_DATA>, now: number): void {
  if (input.Namespace === undefined) throw missing('Namespace');
  checkLength(input.Namespace, 'Namespace', 1, 255);
  // Custom metrics cannot use AWS's namespaces, nor start with a colon.
  if (input.Namespace.startsWith('AWS/') || input.Namespace.startsWith(':')) {
    throw new AwsError('InvalidParameterValue', `The value ${input.Namespace} for parameter Namespace is invalid.`);
  }
  const data = input.MetricData ?? [];
  const entityData = (input.EntityMetricData ?? []).flatMap((e) => e.MetricData ?? []);
  if (data.length === 0 && entityData.length === 0) throw missing('MetricData');
  if (data.length > MAX_METRIC_DATA) throw new AwsError('InvalidParameterValue', `The collection MetricData must not have a size greater than ${MAX_METRIC_DATA}.`);
  const valid = [
    ...data.map((d, i) => validateDatum(d, `MetricData.member.${i + 1}`, now)),
    ...entityData.map((d, i) => validateDatum(d, `EntityMetricData.MetricData.member.${i + 1}`, now)),
  ];
  for (const d of valid) {
    store.put({ namespace: input.Namespace, metricName: d.metricName, dimensions: d.dimensions, at: d.at, highResolution: d.highResolution, unit: d.unit, aggregate: d.aggregate, receivedAt: now });
  }
}

// ---------------------------------------------------------------------------------------------
// GetMetricStatistics
// ---------------------------------------------------------------------------------------------

export const GET_METRIC_STATISTICS = structure({
  Namespace: str,
  MetricName: str,
  Dimensions: list(DIMENSION),
  StartTime: timestamp,
  EndTime: timestamp,
  Period: int,
  Statistics: list(str),
  ExtendedStatistics: list(str),
  Unit: str,
});

/** GetMetricStatistics returns at most 1,440 datapoints a call. */
const MAX_STATISTICS_DATAPOINTS = 1440;

/**
 * The start of a query: to the minute for periods of a minute or more, else to the period's
 * division of the minute (CloudWatch's documented rounding for data under 15 days old).
 */
export function roundStart(start: number, periodSeconds: number): number {
  const unit = periodSeconds >= 60 ? 60_000 : periodSeconds * 1000;
  return Math.floor(start / unit) * unit;
}

export function getMetricStatistics(store: MetricStore, input: Infer<typeof GET_METRIC_STATISTICS>): unknown {
  // Required members.
  if (input.Namespace === undefined) throw missing('Namespace');
  if (input.MetricName === undefined) throw missing('MetricName');
  if (input.StartTime === undefined) throw missing('StartTime');
  if (input.EndTime === undefined) throw missing('EndTime');
  if (input.Period === undefined) throw missing('Period');
  checkRange(input.Period, 'Period', 1);
  if (!isQueryPeriod(input.Period)) throw new AwsError('InvalidParameterValue', 'The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.');
  const unit = checkEnum(input.Unit, 'Unit', STANDARD_UNITS);
  // Statistics or ExtendedStatistics, not both.
  const statistics = input.Statistics ?? [];
  const extended = input.ExtendedStatistics ?? [];
  if ((statistics.length > 0) === (extended.length > 0)) {
    throw new AwsError('InvalidParameterCombination', 'Must specify either Statistics or ExtendedStatistics, but not both.');
  }
  checkLength(statistics, 'Statistics', 0, 5);
  checkLength(extended, 'ExtendedStatistics', 0, 10);
  statistics.forEach((s, i) => checkEnum(s, `Statistics.member.${i + 1}`, SIMPLE_STATISTICS));
  extended.forEach((s, i) => {
    if (parsePercentile(s) === undefined) checkStat(s, `ExtendedStatistics.member.${i + 1}`);
  });
  const dimensions = checkDimensions(input.Dimensions, 'Dimensions');
  const start = roundStart(input.StartTime, input.Period);
  if (start >= input.EndTime) throw new AwsError('InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
  const periodMs = input.Period * 1000;
  const requested = Math.ceil((input.EndTime - start) / periodMs);
  if (requested > MAX_STATISTICS_DATAPOINTS) {
    throw new AwsError(
      'InvalidParameterCombination',
      `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  const series = store.find(input.Namespace, input.MetricName, dimensions);
  const datapoints: Record<string, unknown>[] = [];
  if (series) {
    // Units are aggregated separately: without a Unit filter, one datapoint per unit and period.
    const units = unit !== undefined ? [unit] : unitsIn(series.points, start, input.EndTime);
    for (const u of units) {
      for (const [t, aggregate] of bucketize(series.points, start, input.EndTime, periodMs, u)) {
        const point: Record<string, unknown> = { Timestamp: new Date(t) };
        for (const s of statistics) point[s] = statisticValue(aggregate, { kind: 'simple', name: s as SimpleStatistic });
        if (extended.length > 0) {
          const values: Record<string, number> = {};
          for (const s of extended) {
            const v = statisticValue(aggregate, { kind: 'percentile', name: s, p: parsePercentile(s) as number });
            if (v !== undefined) values[s] = v;
          }
          point.ExtendedStatistics = values;
        }
        point.Unit = u;
        datapoints.push(point);
      }
    }
  }
  datapoints.sort((a, b) => (a.Timestamp as Date).getTime() - (b.Timestamp as Date).getTime());
  return { Label: input.MetricName, Datapoints: datapoints };
}

// ---------------------------------------------------------------------------------------------
// GetMetricData
// ---------------------------------------------------------------------------------------------

export const GET_METRIC_DATA = structure({
  MetricDataQueries: list(METRIC_DATA_QUERY),
  StartTime: timestamp,
  EndTime: timestamp,
  NextToken: str,
  ScanBy: str,
  MaxDatapoints: int,
  LabelOptions: structure({ Timezone: str }),
});

/** GetMetricData: at most 500 queries a call, 100,800 datapoints a page unless MaxDatapoints says. */
const MAX_QUERIES = 500;
const DEFAULT_MAX_DATAPOINTS = 100_800;

export function getMetricData(store: MetricStore, input: Infer<typeof GET_METRIC_DATA>): unknown {
  if (input.MetricDataQueries === undefined) throw missing('MetricDataQueries');
  if (input.StartTime === undefined) throw missing('StartTime');
  if (input.EndTime === undefined) throw missing('EndTime');
  checkLength(input.MetricDataQueries, 'MetricDataQueries', 1, MAX_QUERIES);
  checkRange(input.MaxDatapoints, 'MaxDatapoints', 1);
  const scanBy = checkEnum(input.ScanBy, 'ScanBy', ['TimestampDescending', 'TimestampAscending'] as const) ?? 'TimestampDescending';
  const plan = planQueries(input.MetricDataQueries, 'MetricDataQueries', false);
  // The start rounds down to the minute (or the smallest period's division of it).
  const smallest = Math.min(...plan.queries.map((q) => q.periodMs / 1000));
  const start = roundStart(input.StartTime, smallest);
  if (input.EndTime <= start) throw new AwsError('ValidationError', 'The parameter EndTime must be greater than StartTime.');
  const results = runPlan(plan, store, start, input.EndTime);

  // One result per returned series; a scalar expression covers the whole range.
  const returned: { id: string; label: string; points: [number, number][] }[] = [];
  for (const q of plan.queries) {
    if (!q.returnData) continue;
    const value = results.get(q.id);
    if (!value) continue;
    const label = q.label ?? (q.kind === 'metric' ? q.metricName : q.id);
    for (const series of seriesList(value, { grid: grid(start, input.EndTime, q.periodMs) })) {
      returned.push({ id: q.id, label, points: sortedPoints(series, scanBy === 'TimestampAscending') });
    }
  }

  // Pages cut across every series at a timestamp, newest (or oldest) first.
  const ascending = scanBy === 'TimestampAscending';
  const times = [...new Set(returned.flatMap((r) => r.points.map(([t]) => t)))].sort((a, b) => (ascending ? a - b : b - a));
  const token = decodeToken(input.NextToken);
  const offset = token === undefined ? 0 : Number(token.offset);
  if (!Number.isInteger(offset) || offset < 0 || offset > times.length) throw new AwsError('InvalidNextToken', 'The value of NextToken is invalid.');
  const max = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  const perTime = new Map<number, number>();
  for (const r of returned) for (const [t] of r.points) perTime.set(t, (perTime.get(t) ?? 0) + 1);
  let end = offset;
  let count = 0;
  while (end < times.length) {
    const n = perTime.get(times[end] as number) ?? 0;
    if (count + n > max && end > offset) break;
    count += n;
    end++;
  }
  const page = new Set(times.slice(offset, end));
  const partial = end < times.length;
  return {
    MetricDataResults: returned.map((r) => {
      const points = r.points.filter(([t]) => page.has(t));
      return {
        Id: r.id,
        Label: r.label,
        Timestamps: points.map(([t]) => new Date(t)),
        Values: points.map(([, v]) => v),
        StatusCode: partial ? 'PartialData' : 'Complete',
        Messages: [],
      };
    }),
    ...(partial ? { NextToken: encodeToken({ offset: end }) } : {}),
    Messages: [],
  };
}

function sortedPoints(series: Series, ascending: boolean): [number, number][] {
  return [...series.entries()].sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
}

// ---------------------------------------------------------------------------------------------
// ListMetrics
// ---------------------------------------------------------------------------------------------

export const LIST_METRICS = structure({
  Namespace: str,
  MetricName: str,
  Dimensions: list(structure({ Name: str, Value: str })),
  NextToken: str,
  RecentlyActive: str,
  IncludeLinkedAccounts: bool,
  OwningAccount: str,
});

/** ListMetrics pages hold up to 500 metrics. */
const LIST_METRICS_PAGE = 500;

export function listMetrics(store: MetricStore, input: Infer<typeof LIST_METRICS>, now: number): unknown {
  const filters = input.Dimensions ?? [];
  checkLength(filters, 'Dimensions', 0, 10);
  filters.forEach((f, i) => {
    if (f.Name === undefined) throw missing(`Dimensions.member.${i + 1}.Name`);
    checkLength(f.Name, `Dimensions.member.${i + 1}.Name`, 1, 255);
  });
  checkEnum(input.RecentlyActive, 'RecentlyActive', ['PT3H'] as const);
  let after: string | undefined;
  if (input.NextToken !== undefined) {
    // ListMetrics answers a bad token with InvalidParameterValue.
    let token: Record<string, unknown> | undefined;
    try {
      token = decodeToken(input.NextToken);
    } catch {
      throw new AwsError('InvalidParameterValue', 'Request parameter NextToken is invalid');
    }
    after = typeof token?.after === 'string' ? token.after : undefined;
    if (after === undefined) throw new AwsError('InvalidParameterValue', 'Request parameter NextToken is invalid');
  }
  // Metrics with data in the last two weeks (the store keeps no older data), filtered.
  const activeSince = input.RecentlyActive === 'PT3H' ? now - 3 * 3600 * 1000 : now - RETENTION_MS;
  const matching = store.all().filter(
    (s) =>
      (input.Namespace === undefined || s.namespace === input.Namespace) &&
      (input.MetricName === undefined || s.metricName === input.MetricName) &&
      s.lastPutAt >= activeSince &&
      filters.every((f) => s.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))),
  );
  // Pages continue after the last metric's key, in the store's key order.
  const keyOf = (s: (typeof matching)[number]): string => metricKey(s.namespace, s.metricName, s.dimensions);
  const from = after === undefined ? 0 : matching.findIndex((s) => keyOf(s) > after);
  const page = from < 0 ? [] : matching.slice(from, from + LIST_METRICS_PAGE);
  const last = page[page.length - 1];
  const more = from >= 0 && from + LIST_METRICS_PAGE < matching.length;
  return {
    Metrics: page.map((s) => ({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: s.dimensions.map((d) => ({ Name: d.Name, Value: d.Value })) })),
    ...(more && last ? { NextToken: encodeToken({ after: keyOf(last) }) } : {}),
  };
}
