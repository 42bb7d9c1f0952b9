/**
 * Metric alarms: PutMetricAlarm's validation, the alarm as DescribeAlarms reports it, the store of
 * one region's alarms (indexed by name, names kept sorted: DescribeAlarms lists alphabetically and
 * pages from a name), and each alarm's evaluation range read from the metric store.
 */
import { AwsError } from '../errors.ts';
import { evaluationRangeLength, MISSING_DATA_TREATMENTS, THRESHOLD_OPERATORS } from './alarm-evaluation.ts';
import type { AlarmState, MissingDataTreatment, PeriodDatapoint, ThresholdOperator } from './alarm-evaluation.ts';
import { toSeries } from './metric-math.ts';
import { bucketize } from './metric-store.ts';
import type { Dimension, MetricStore } from './metric-store.ts';
import { any, bool, checkEnum, checkLength, checkRange, constraintError, int, list, missing, num, str, structure } from './normalize-input.ts';
import type { Infer } from './normalize-input.ts';
import { checkDimensions, checkStat, DIMENSION, expressionError, grid, METRIC_DATA_QUERY, planQueries, runPlan, STANDARD_UNITS } from './query-plan.ts';
import type { MetricDataQueryInput, PlannedMetric, PlannedQuery, QueryPlan } from './query-plan.ts';
import { isAlarmPeriod, parsePercentile, SIMPLE_STATISTICS, statisticValue } from './statistics.ts';
import type { Aggregate, SimpleStatistic } from './statistics.ts';

export const TAG = structure({ Key: str, Value: str });

export const PUT_METRIC_ALARM = structure({
  AlarmName: str,
  AlarmDescription: str,
  ActionsEnabled: bool,
  OKActions: list(str),
  AlarmActions: list(str),
  InsufficientDataActions: list(str),
  MetricName: str,
  Namespace: str,
  Statistic: str,
  ExtendedStatistic: str,
  Dimensions: list(DIMENSION),
  Period: int,
  Unit: str,
  EvaluationPeriods: int,
  DatapointsToAlarm: int,
  Threshold: num,
  ComparisonOperator: str,
  TreatMissingData: str,
  EvaluateLowSampleCountPercentile: str,
  Metrics: list(METRIC_DATA_QUERY),
  Tags: list(TAG),
  ThresholdMetricId: str,
  // Newer alarm kinds the simulator does not model; detected to be refused, not silently dropped.
  EvaluationWindow: any,
  WarmUpConfiguration: any,
  EvaluationCriteria: any,
  EvaluationInterval: any,
  ActionConfiguration: any,
});
export type PutMetricAlarmInput = Infer<typeof PUT_METRIC_ALARM>;

const ANOMALY_OPERATORS = ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold'] as const;

/** The configuration, as PutMetricAlarm set it and DescribeAlarms returns it. */
export interface AlarmConfig {
  readonly AlarmName: string;
  readonly AlarmDescription: string | undefined;
  readonly OKActions: readonly string[];
  readonly AlarmActions: readonly string[];
  readonly InsufficientDataActions: readonly string[];
  readonly MetricName: string | undefined;
  readonly Namespace: string | undefined;
  readonly Statistic: SimpleStatistic | undefined;
  readonly ExtendedStatistic: string | undefined;
  readonly Dimensions: readonly Dimension[];
  readonly Period: number | undefined;
  readonly Unit: string | undefined;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number | undefined;
  readonly Threshold: number;
  readonly ComparisonOperator: ThresholdOperator;
  readonly TreatMissingData: MissingDataTreatment | undefined;
  readonly EvaluateLowSampleCountPercentile: 'evaluate' | 'ignore' | undefined;
  readonly Metrics: readonly MetricDataQueryInput[] | undefined;
}

/** What an alarm evaluates: one metric's statistic, or the returned series of metric math. */
export type AlarmWatch = { readonly kind: 'metric'; readonly query: PlannedMetric } | { readonly kind: 'math'; readonly plan: QueryPlan; readonly returned: PlannedQuery };

export interface Alarm {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  config: AlarmConfig;
  watch: AlarmWatch;
  /** Seconds per evaluated period. */
  periodSeconds: number;
  actionsEnabled: boolean;
  state: AlarmState;
  stateReason: string;
  stateReasonData: string | undefined;
  stateUpdatedAt: number;
  stateTransitionedAt: number;
  configUpdatedAt: number;
  /** Insertion order, as ListTagsForResource returns them. */
  readonly tags: Map<string, string>;
}

export function alarmArn(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudwatch:${region}:${accountId}:alarm:${name}`;
}

/** `arn:aws:cloudwatch:R:A:alarm:NAME` → its parts, or undefined for another shape. */
export function parseAlarmArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const match = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/.exec(arn);
  return match ? { region: match[1] as string, accountId: match[2] as string, name: match[3] as string } : undefined;
}

/** The 5000-alarm quota of a region (LimitExceeded beyond). */
export const MAX_ALARMS = 5000;

/** Validates PutMetricAlarm's input into a configuration and what to watch (ValidationError & co.). */
export function parsePutMetricAlarm(input: PutMetricAlarmInput, region: string): { config: AlarmConfig; watch: AlarmWatch; periodSeconds: number } {
  // Always required.
  if (input.AlarmName === undefined) throw missing('AlarmName');
  checkLength(input.AlarmName, 'AlarmName', 1, 255);
  // Alarm names must contain only UTF-8 characters and no ASCII control characters.
  if ([...input.AlarmName].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) throw constraintError(input.AlarmName, 'AlarmName', 'Member must not contain ASCII control characters');
  if (input.EvaluationPeriods === undefined) throw missing('EvaluationPeriods');
  if (input.ComparisonOperator === undefined) throw missing('ComparisonOperator');
  checkLength(input.AlarmDescription, 'AlarmDescription', 0, 1024);
  checkRange(input.EvaluationPeriods, 'EvaluationPeriods', 1);
  checkRange(input.DatapointsToAlarm, 'DatapointsToAlarm', 1);
  const operator = checkEnum(input.ComparisonOperator, 'ComparisonOperator', [...THRESHOLD_OPERATORS, ...ANOMALY_OPERATORS]);
  checkEnum(input.Unit, 'Unit', STANDARD_UNITS);
  if (input.Statistic !== undefined) checkEnum(input.Statistic, 'Statistic', SIMPLE_STATISTICS);

  // Alarm kinds and fields the simulator does not model are refused by name.
  for (const field of ['EvaluationWindow', 'WarmUpConfiguration', 'EvaluationCriteria', 'EvaluationInterval', 'ActionConfiguration'] as const) {
    if (input[field] !== undefined) throw new AwsError('InvalidParameterValue', `The parameter ${field} is not supported by the simulator.`);
  }
  if ((ANOMALY_OPERATORS as readonly string[]).includes(operator as string) || input.ThresholdMetricId !== undefined) {
    throw new AwsError('InvalidParameterValue', 'Anomaly detection alarms (ThresholdMetricId, ANOMALY_DETECTION_BAND and the LessThanLower/GreaterThanUpper operators) are not supported by the simulator.');
  }

  // M of N: M at most N.
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods) {
    throw new AwsError('ValidationError', 'DatapointsToAlarm must be less than or equal to EvaluationPeriods');
  }
  const treatMissingData = option(input.TreatMissingData, 'TreatMissingData', MISSING_DATA_TREATMENTS, 'missing, ignore, breaching and notBreaching');
  const lowSample = option(input.EvaluateLowSampleCountPercentile, 'EvaluateLowSampleCountPercentile', ['evaluate', 'ignore'] as const, 'evaluate and ignore');
  if (input.Threshold === undefined) throw new AwsError('ValidationError', 'Threshold must not be null');
  if (!Number.isFinite(input.Threshold)) throw new AwsError('InvalidParameterValue', `The value ${input.Threshold} for parameter Threshold is invalid.`);

  // Actions: at most 5 per state, ARNs; SNS topics must be in the alarm's region.
  for (const field of ['OKActions', 'AlarmActions', 'InsufficientDataActions'] as const) {
    const actions = input[field] ?? [];
    checkLength(actions, field, 0, 5);
    actions.forEach((action, i) => {
      checkLength(action, `${field}.member.${i + 1}`, 1, 1024);
      const arn = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):/.exec(action);
      if (!arn) throw new AwsError('ValidationError', `Invalid arn syntax: ${action}`);
      if (arn[1] === 'sns' && arn[2] !== region) throw new AwsError('ValidationError', `Invalid region ${arn[2]} specified. Only ${region} is supported.`);
    });
  }
  checkTags(input.Tags, 'Tags');

  const base = {
    AlarmName: input.AlarmName,
    AlarmDescription: input.AlarmDescription,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    EvaluationPeriods: input.EvaluationPeriods,
    DatapointsToAlarm: input.DatapointsToAlarm,
    Threshold: input.Threshold,
    ComparisonOperator: operator as ThresholdOperator,
    TreatMissingData: treatMissingData,
    EvaluateLowSampleCountPercentile: lowSample,
  };

  // One metric, or metric math in Metrics: exactly one of the two.
  if (input.Metrics !== undefined) {
    const single = (['MetricName', 'Namespace', 'Dimensions', 'Period', 'Unit', 'Statistic', 'ExtendedStatistic'] as const).find((f) => input[f] !== undefined);
    if (single) throw new AwsError('InvalidParameterCombination', `The parameters ${single} and Metrics are mutually exclusive and you have specified both.`);
    return parseMathAlarm(input.Metrics, base);
  }
  if (input.MetricName === undefined) throw new AwsError('ValidationError', 'Either MetricName or Metrics must be specified.');
  if (input.Namespace === undefined) throw new AwsError('ValidationError', 'Namespace must not be null');
  if (input.Period === undefined) throw new AwsError('ValidationError', 'Period must not be null');
  checkLength(input.MetricName, 'MetricName', 1, 255);
  checkLength(input.Namespace, 'Namespace', 1, 255);
  checkRange(input.Period, 'Period', 1);
  // Periods: 10, 20, 30 (high resolution) or a multiple of 60.
  if (!isAlarmPeriod(input.Period)) throw new AwsError('ValidationError', 'Period must be 10, 20, 30 or a multiple of 60');
  checkEvaluationLength(input.Period, input.EvaluationPeriods);
  if ((input.Statistic === undefined) === (input.ExtendedStatistic === undefined)) {
    throw new AwsError('InvalidParameterCombination', 'Exactly one of Statistic and ExtendedStatistic must be specified.');
  }
  if (input.ExtendedStatistic !== undefined && parsePercentile(input.ExtendedStatistic) === undefined) {
    // Percentiles only; trimmed means and the like are refused with the reason.
    checkStat(input.ExtendedStatistic, 'ExtendedStatistic');
    throw new AwsError('InvalidParameterValue', `The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is not supported.`);
  }
  const dimensions = checkDimensions(input.Dimensions, 'Dimensions');
  const statName = (input.Statistic ?? input.ExtendedStatistic) as string;
  const query: PlannedMetric = {
    kind: 'metric',
    id: 'm1',
    label: undefined,
    returnData: true,
    periodMs: input.Period * 1000,
    namespace: input.Namespace,
    metricName: input.MetricName,
    dimensions,
    stat: checkStat(statName, input.Statistic !== undefined ? 'Statistic' : 'ExtendedStatistic'),
    unit: input.Unit,
  };
  return {
    config: {
      ...base,
      MetricName: input.MetricName,
      Namespace: input.Namespace,
      Statistic: input.Statistic as SimpleStatistic | undefined,
      ExtendedStatistic: input.ExtendedStatistic,
      Dimensions: dimensions,
      Period: input.Period,
      Unit: input.Unit,
      Metrics: undefined,
    },
    watch: { kind: 'metric', query },
    periodSeconds: input.Period,
  };
}

/** `Option x is not supported. Supported options for parameter P are …` (ValidationError). */
function option<T extends string>(value: string | undefined, parameter: string, values: readonly T[], wording: string): T | undefined {
  if (value === undefined || (values as readonly string[]).includes(value)) return value as T | undefined;
  throw new AwsError('ValidationError', `Option ${value} is not supported. Supported options for parameter ${parameter} are ${wording}.`);
}

/** An alarm's evaluation span: at most one day below a one-hour period, seven days above. */
function checkEvaluationLength(period: number, evaluationPeriods: number): void {
  const limit = period < 3600 ? 86_400 : 604_800;
  if (period * evaluationPeriods > limit) {
    throw new AwsError(
      'ValidationError',
      `The evaluation period of an alarm (Period × EvaluationPeriods = ${period * evaluationPeriods} seconds) must not exceed ${limit === 86_400 ? 'one day (86400 seconds) for periods under one hour' : 'seven days (604800 seconds)'}.`,
    );
  }
}

function parseMathAlarm(
  metrics: readonly MetricDataQueryInput[],
  base: Omit<AlarmConfig, 'MetricName' | 'Namespace' | 'Statistic' | 'ExtendedStatistic' | 'Dimensions' | 'Period' | 'Unit' | 'Metrics'>,
): { config: AlarmConfig; watch: AlarmWatch; periodSeconds: number } {
  checkLength(metrics, 'Metrics', 1, 20);
  const plan = planQueries(metrics, 'Metrics', true);
  // A math alarm reads at most 10 metrics, all with the same period.
  const metricQueries = plan.queries.filter((q) => q.kind === 'metric');
  if (metricQueries.length > 10) throw new AwsError('ValidationError', 'An alarm on a metric math expression can use at most 10 metrics.');
  if (new Set(metricQueries.map((q) => q.periodMs)).size > 1) throw new AwsError('ValidationError', 'The metrics of an alarm must all use the same period.');
  // Exactly one query returns data: the series the alarm watches.
  const returned = plan.queries.filter((q) => q.returnData);
  if (returned.length !== 1) throw new AwsError('ValidationError', 'Exactly one element of the metrics list should return data.');
  const watched = returned[0] as PlannedQuery;
  const periodSeconds = watched.periodMs / 1000;
  if (!isAlarmPeriod(periodSeconds)) throw new AwsError('ValidationError', 'Period must be 10, 20, 30 or a multiple of 60');
  checkEvaluationLength(periodSeconds, base.EvaluationPeriods);
  const config: AlarmConfig = {
    ...base,
    MetricName: undefined,
    Namespace: undefined,
    Statistic: undefined,
    ExtendedStatistic: undefined,
    Dimensions: [],
    Period: undefined,
    Unit: undefined,
    Metrics: metrics.map((q) => ({ ...q, ReturnData: q.ReturnData ?? true })),
  };
  return { config, watch: { kind: 'math', plan, returned: watched }, periodSeconds };
}

/** A math alarm's expression must give one time series (checked on the data at hand). */
export function checkSingleSeries(watch: AlarmWatch, store: MetricStore, now: number, periodSeconds: number): void {
  if (watch.kind !== 'math') return;
  const end = Math.floor(now / (periodSeconds * 1000)) * periodSeconds * 1000;
  const value = runPlan(watch.plan, store, end - periodSeconds * 1000, end).get(watch.returned.id);
  if (value?.kind === 'array' && value.items.length !== 1) throw expressionError(watch.returned.id, 'the expression of an alarm must return exactly one time series.');
}

/** Tags: at most 50, keys 1–128 characters not starting with `aws:`, values 0–256. */
export function checkTags(tags: readonly { Key?: string; Value?: string }[] | undefined, path: string): void {
  if (!tags) return;
  checkLength(tags, path, 0, 50);
  tags.forEach((tag, i) => {
    const at = `${path}.member.${i + 1}`;
    if (tag.Key === undefined) throw missing(`${at}.Key`);
    if (tag.Value === undefined) throw missing(`${at}.Value`);
    checkLength(tag.Key, `${at}.Key`, 1, 128);
    checkLength(tag.Value, `${at}.Value`, 0, 256);
    if (tag.Key.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidParameterValue', `The value ${tag.Key} for parameter ${at}.Key is invalid: the aws: prefix is reserved for AWS.`);
  });
}

/** The alarm as DescribeAlarms returns it: unset optional fields absent, lists and Dimensions present. */
export function describeAlarm(alarm: Alarm): Record<string, unknown> {
  const c = alarm.config;
  const out: Record<string, unknown> = {
    AlarmName: alarm.name,
    AlarmArn: alarm.arn,
    AlarmDescription: c.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(alarm.configUpdatedAt),
    ActionsEnabled: alarm.actionsEnabled,
    OKActions: [...c.OKActions],
    AlarmActions: [...c.AlarmActions],
    InsufficientDataActions: [...c.InsufficientDataActions],
    StateValue: alarm.state,
    StateReason: alarm.stateReason,
    StateReasonData: alarm.stateReasonData,
    StateUpdatedTimestamp: new Date(alarm.stateUpdatedAt),
    MetricName: c.MetricName,
    Namespace: c.Namespace,
    Statistic: c.Statistic,
    ExtendedStatistic: c.ExtendedStatistic,
    Dimensions: c.Dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
    Period: c.Period,
    Unit: c.Unit,
    EvaluationPeriods: c.EvaluationPeriods,
    DatapointsToAlarm: c.DatapointsToAlarm,
    Threshold: c.Threshold,
    ComparisonOperator: c.ComparisonOperator,
    TreatMissingData: c.TreatMissingData,
    EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile,
    Metrics: c.Metrics?.map(describeQuery),
    StateTransitionedTimestamp: new Date(alarm.stateTransitionedAt),
  };
  // Absent, not null, when unset (as CloudWatch omits them).
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

function describeQuery(q: MetricDataQueryInput): Record<string, unknown> {
  const ms = q.MetricStat;
  const out: Record<string, unknown> = {
    Id: q.Id,
    MetricStat: ms && {
      Metric: { Namespace: ms.Metric?.Namespace, MetricName: ms.Metric?.MetricName, Dimensions: (ms.Metric?.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })) },
      Period: ms.Period,
      Stat: ms.Stat,
      ...(ms.Unit !== undefined ? { Unit: ms.Unit } : {}),
    },
    Expression: q.Expression,
    Label: q.Label,
    ReturnData: q.ReturnData,
    Period: q.Period,
    AccountId: q.AccountId,
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * The evaluation range of an alarm at `at`: the N + 2 most recent complete periods (periods
 * aligned on multiples of the period since the epoch), oldest first.
 */
export function evaluationRange(alarm: Alarm, store: MetricStore, at: number): PeriodDatapoint[] {
  const periodMs = alarm.periodSeconds * 1000;
  const end = Math.floor(at / periodMs) * periodMs;
  const start = end - evaluationRangeLength(alarm.config.EvaluationPeriods) * periodMs;
  const timestamps = grid(start, end, periodMs);
  const watch = alarm.watch;
  if (watch.kind === 'metric') {
    const q = watch.query;
    const series = store.find(q.namespace, q.metricName, q.dimensions);
    const buckets = series ? bucketize(series.points, start, end, periodMs, q.unit) : new Map<number, Aggregate>();
    return timestamps.map((t) => {
      const aggregate = buckets.get(t);
      const value = aggregate ? statisticValue(aggregate, q.stat) : undefined;
      return value === undefined || !aggregate ? { timestamp: t, value: undefined } : { timestamp: t, value, sampleCount: aggregate.sampleCount };
    });
  }
  const value = runPlan(watch.plan, store, start, end).get(watch.returned.id);
  const series = value ? toSeries(value, timestamps) : new Map<number, number>();
  return timestamps.map((t) => ({ timestamp: t, value: series.get(t) }));
}

/** One region's alarms: by name, and names in sorted order. */
export class AlarmStore {
  private readonly byName = new Map<string, Alarm>();
  private readonly sorted: string[] = [];

  get size(): number {
    return this.byName.size;
  }

  get(name: string): Alarm | undefined {
    return this.byName.get(name);
  }

  add(alarm: Alarm): void {
    if (!this.byName.has(alarm.name)) this.sorted.splice(this.lowerBound(alarm.name), 0, alarm.name);
    this.byName.set(alarm.name, alarm);
  }

  delete(name: string): void {
    if (!this.byName.delete(name)) return;
    this.sorted.splice(this.lowerBound(name), 1);
  }

  values(): IterableIterator<Alarm> {
    return this.byName.values();
  }

  /** Alarms in name order, names after `after`, starting with `prefix`. */
  *inOrder(after: string | undefined, prefix = ''): Generator<Alarm> {
    let i = this.lowerBound(after !== undefined && after >= prefix ? after : prefix);
    if (after !== undefined && this.sorted[i] === after) i++;
    for (; i < this.sorted.length; i++) {
      const name = this.sorted[i] as string;
      if (!name.startsWith(prefix)) return;
      yield this.byName.get(name) as Alarm;
    }
  }

  private lowerBound(name: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as string) < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
