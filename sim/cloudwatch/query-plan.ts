/**
 * MetricDataQuery lists, as GetMetricData and metric-math alarms (PutMetricAlarm `Metrics`) use
 * them: validated and parsed once into a plan, then run over a time range against the metric store.
 */
import { AwsError } from '../errors.ts';
import { evaluate, MathError, parseExpression, referencedIds, SUPPORTED_SUMMARY } from './metric-math.ts';
import type { MathValue, Node, Series } from './metric-math.ts';
import { bucketize } from './metric-store.ts';
import type { Dimension, MetricStore } from './metric-store.ts';
import { isAlarmPeriod, isQueryPeriod, parseStat, statisticValue } from './statistics.ts';
import type { Stat } from './statistics.ts';
import { bool, checkEnum, checkLength, checkRange, int, list, missing, str, structure } from './normalize-input.ts';
import type { Infer } from './normalize-input.ts';

export const STANDARD_UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits',
  'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second',
  'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;

export const DIMENSION = structure({ Name: str, Value: str });
export const METRIC = structure({ Namespace: str, MetricName: str, Dimensions: list(DIMENSION) });
export const METRIC_DATA_QUERY = structure({
  Id: str,
  MetricStat: structure({ Metric: METRIC, Period: int, Stat: str, Unit: str }),
  Expression: str,
  Label: str,
  ReturnData: bool,
  Period: int,
  AccountId: str,
});
export type MetricDataQueryInput = Infer<typeof METRIC_DATA_QUERY>;

interface PlannedBase {
  readonly id: string;
  readonly label: string | undefined;
  readonly returnData: boolean;
  readonly periodMs: number;
}

export interface PlannedMetric extends PlannedBase {
  readonly kind: 'metric';
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly stat: Stat;
  readonly unit: string | undefined;
}

export interface PlannedExpression extends PlannedBase {
  readonly kind: 'expression';
  readonly expression: string;
  readonly node: Node;
}

export type PlannedQuery = PlannedMetric | PlannedExpression;

export interface QueryPlan {
  /** In request order. */
  readonly queries: readonly PlannedQuery[];
  /** Dependencies first. */
  readonly order: readonly PlannedQuery[];
}

/** Extended statistics CloudWatch has but the simulator does not compute. */
const UNSUPPORTED_STAT = /^(tm|wm|tc|ts|TM|WM|TC|TS|PR|IQM)/;

/** `Error in expression e1: …` (ValidationError), CloudWatch's wording for a bad expression. */
export function expressionError(id: string, message: string): AwsError {
  return new AwsError('ValidationError', `Error in expression ${id}: ${message}`);
}

/** Validates a statistic name (`Stat`, `Statistic`-like text) at `path`. */
export function checkStat(text: string, path: string): Stat {
  const stat = parseStat(text);
  if (stat) return stat;
  if (UNSUPPORTED_STAT.test(text)) {
    throw new AwsError('InvalidParameterValue', `The value ${text} for parameter ${path} is not supported by the simulator (it computes SampleCount, Average, Sum, Minimum, Maximum and percentiles p0-p100).`);
  }
  throw new AwsError('InvalidParameterValue', `The value ${text} for parameter ${path} is invalid.`);
}

/** Validates dimensions: at most 30, names 1–255 characters, values 1–1024, names unique. */
export function checkDimensions(dimensions: readonly { Name?: string; Value?: string }[] | undefined, path: string): Dimension[] {
  if (!dimensions) return [];
  checkLength(dimensions, path, 0, 30);
  const names = new Set<string>();
  return dimensions.map((d, i) => {
    const at = `${path}.member.${i + 1}`;
    if (d.Name === undefined) throw missing(`${at}.Name`);
    if (d.Value === undefined) throw missing(`${at}.Value`);
    checkLength(d.Name, `${at}.Name`, 1, 255);
    checkLength(d.Value, `${at}.Value`, 1, 1024);
    if (names.has(d.Name)) throw new AwsError('InvalidParameterValue', `The value ${d.Name} for parameter ${at}.Name is invalid: a dimension name can appear only once.`);
    names.add(d.Name);
    return { Name: d.Name, Value: d.Value };
  });
}

/**
 * Validates and parses a MetricDataQuery list. `path` names it in errors (`MetricDataQueries`
 * or `Metrics`); `forAlarm` applies PutMetricAlarm's period rules (10, 20, 30 or n × 60 s).
 */
export function planQueries(inputs: readonly MetricDataQueryInput[], path: string, forAlarm: boolean): QueryPlan {
  const queries: PlannedQuery[] = [];
  const ids = new Set<string>();
  inputs.forEach((q, i) => {
    const at = `${path}.member.${i + 1}`;
    // Ids: unique, a lowercase letter then letters, digits and underscores.
    if (q.Id === undefined) throw missing(`${at}.Id`);
    checkLength(q.Id, `${at}.Id`, 1, 255);
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) throw new AwsError('InvalidParameterValue', `The value ${q.Id} for parameter ${at}.Id is invalid: an id starts with a lowercase letter and holds only letters, numbers and underscores.`);
    if (ids.has(q.Id)) throw new AwsError('InvalidParameterValue', `The value ${q.Id} for parameter ${at}.Id is invalid: ids must be unique.`);
    ids.add(q.Id);
    if (q.MetricStat && q.Expression !== undefined) {
      throw new AwsError('InvalidParameterCombination', `The parameters ${at}.MetricStat and ${at}.Expression are mutually exclusive and you have specified both.`);
    }
    if (!q.MetricStat && q.Expression === undefined) throw new AwsError('MissingParameter', `The parameter ${at}.MetricStat or ${at}.Expression is required.`);
    checkRange(q.Period, `${at}.Period`, 1);
    if (q.Period !== undefined) checkPeriod(q.Period, `${at}.Period`, forAlarm);
    checkLength(q.Label, `${at}.Label`, 0, 1024);
    const base = { id: q.Id, label: q.Label, returnData: q.ReturnData ?? true };
    if (q.MetricStat) {
      const ms = q.MetricStat;
      const msAt = `${at}.MetricStat`;
      if (!ms.Metric) throw missing(`${msAt}.Metric`);
      if (ms.Metric.Namespace === undefined) throw missing(`${msAt}.Metric.Namespace`);
      if (ms.Metric.MetricName === undefined) throw missing(`${msAt}.Metric.MetricName`);
      if (ms.Period === undefined) throw missing(`${msAt}.Period`);
      if (ms.Stat === undefined) throw missing(`${msAt}.Stat`);
      checkLength(ms.Metric.Namespace, `${msAt}.Metric.Namespace`, 1, 255);
      checkLength(ms.Metric.MetricName, `${msAt}.Metric.MetricName`, 1, 255);
      checkRange(ms.Period, `${msAt}.Period`, 1);
      checkPeriod(ms.Period, `${msAt}.Period`, forAlarm);
      checkEnum(ms.Unit, `${msAt}.Unit`, STANDARD_UNITS);
      queries.push({
        kind: 'metric',
        ...base,
        periodMs: (q.Period ?? ms.Period) * 1000,
        namespace: ms.Metric.Namespace,
        metricName: ms.Metric.MetricName,
        dimensions: checkDimensions(ms.Metric.Dimensions, `${msAt}.Metric.Dimensions`),
        stat: checkStat(ms.Stat, `${msAt}.Stat`),
        unit: ms.Unit,
      });
    } else {
      const expression = q.Expression as string;
      checkLength(expression, `${at}.Expression`, 1, 2048);
      let node: Node;
      try {
        node = parseExpression(expression);
      } catch (err) {
        throw err instanceof MathError ? expressionError(q.Id, `${err.message}. The simulator supports ${SUPPORTED_SUMMARY}.`) : err;
      }
      // The period is resolved below, once every query is known.
      queries.push({ kind: 'expression', ...base, periodMs: (q.Period ?? 0) * 1000, expression, node });
    }
  });
  const resolved = resolvePeriods(queries);
  return { queries: queries.map((q) => resolved.get(q.id) as PlannedQuery), order: [...resolved.values()] };
}

function checkPeriod(period: number, path: string, forAlarm: boolean): void {
  if (forAlarm ? isAlarmPeriod(period) : isQueryPeriod(period)) return;
  throw new AwsError('InvalidParameterValue', `The parameter ${path} must be ${forAlarm ? '10, 20, 30' : '1, 5, 10, 20, 30'} or a multiple of 60.`);
}

/**
 * Orders queries dependencies first (the returned Map's insertion order), refusing unknown ids
 * and cycles, and gives each expression without its own Period the longest period it reads.
 */
function resolvePeriods(queries: readonly PlannedQuery[]): Map<string, PlannedQuery> {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const done = new Map<string, PlannedQuery>();
  const visiting = new Set<string>();
  const visit = (q: PlannedQuery): PlannedQuery => {
    const finished = done.get(q.id);
    if (finished) return finished;
    if (visiting.has(q.id)) throw expressionError(q.id, 'circular reference between expressions.');
    visiting.add(q.id);
    let result = q;
    if (q.kind === 'expression') {
      const deps = referencedIds(q.node).flatMap((id) => {
        if (id === '*') return queries.filter((other) => other.kind === 'metric');
        const dep = byId.get(id);
        if (!dep) throw expressionError(q.id, `unknown metric or expression id '${id}'.`);
        return [dep];
      });
      const periods = deps.map(visit).map((d) => d.periodMs);
      if (q.periodMs === 0) result = { ...q, periodMs: periods.length ? Math.max(...periods) : 60_000 };
    }
    visiting.delete(q.id);
    done.set(q.id, result);
    return result;
  };
  queries.forEach(visit);
  return done;
}

/** Period start times in `[start, end)`. */
export function grid(start: number, end: number, periodMs: number): number[] {
  const out: number[] = [];
  for (let t = start; t < end; t += periodMs) out.push(t);
  return out;
}

/** One metric query's datapoints in `[start, end)`, periods aligned on `start`. */
export function metricSeries(store: MetricStore, q: PlannedMetric, start: number, end: number): Series {
  const series = store.find(q.namespace, q.metricName, q.dimensions);
  const out = new Map<number, number>();
  if (!series) return out;
  for (const [t, aggregate] of bucketize(series.points, start, end, q.periodMs, q.unit)) {
    const v = statisticValue(aggregate, q.stat);
    if (v !== undefined) out.set(t, v);
  }
  return out;
}

/** Runs every query of a plan over `[start, end)`; expression errors name the expression. */
export function runPlan(plan: QueryPlan, store: MetricStore, start: number, end: number): Map<string, MathValue> {
  const results = new Map<string, MathValue>();
  const metricResults: { id: string; series: Series }[] = [];
  for (const q of plan.order) {
    if (q.kind === 'metric') {
      const series = metricSeries(store, q, start, end);
      results.set(q.id, { kind: 'series', points: series });
      metricResults.push({ id: q.id, series });
      continue;
    }
    try {
      results.set(
        q.id,
        evaluate(q.node, {
          grid: grid(start, end, q.periodMs),
          resolve: (id) => results.get(id) ?? { kind: 'series', points: new Map() },
          metrics: (filter) => metricResults.filter((m) => m.id.includes(filter)).map((m) => m.series),
        }),
      );
    } catch (err) {
      throw err instanceof MathError ? expressionError(q.id, `${err.message}.`) : err;
    }
  }
  return results;
}
