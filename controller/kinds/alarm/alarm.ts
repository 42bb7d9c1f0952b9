/**
 * The CloudWatch metric alarm of an Alarm manifest: the PutMetricAlarm input Berth sends, its
 * canonical form, and the diff against DescribeAlarms. Tags are not compared here: ownership and
 * the manifest's tags are handled by the caller (ListTagsForResource). Pure: no I/O.
 */
import type { Dimension, MetricAlarm, MetricDataQuery, PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import type { FieldChange } from '../../engine/plan-types.ts';
import type { MetricDataQuery as MetricDataQuerySpec, MetricDimension } from '../../manifests/generated/manifest-types.ts';
import type { AlarmManifest } from '../../manifests/types.ts';
import { diffFields } from '../field-diff.ts';
import type { PlainObject } from '../field-diff.ts';
import { num, prune, record, records, sortByKeys, sorted, str, strings } from '../normalize.ts';

/** The PutMetricAlarm input of the fields Berth manages (no tags: see the module comment). */
export type DesiredAlarm = Omit<PutMetricAlarmCommandInput, 'Tags'> & { readonly AlarmName: string };

/** The canonical form of an alarm's managed fields: plain JSON, camelCase keys as in the manifest. */
export type NormalizedAlarm = PlainObject;

function dimensions(list: readonly MetricDimension[] | undefined): Dimension[] | undefined {
  return list?.map((d) => ({ Name: d.name, Value: d.value }));
}

function query(q: MetricDataQuerySpec): MetricDataQuery {
  const ms = q.metricStat;
  return {
    Id: q.id,
    ...(q.expression !== undefined && { Expression: q.expression }),
    ...(q.label !== undefined && { Label: q.label }),
    ...(q.returnData !== undefined && { ReturnData: q.returnData }),
    ...(q.period !== undefined && { Period: q.period }),
    ...(q.accountId !== undefined && { AccountId: q.accountId }),
    ...(ms !== undefined && {
      MetricStat: {
        Metric: {
          Namespace: ms.metric.namespace,
          MetricName: ms.metric.metricName,
          ...(ms.metric.dimensions !== undefined && { Dimensions: dimensions(ms.metric.dimensions) }),
        },
        Period: ms.period,
        Stat: ms.stat,
        ...(ms.unit !== undefined && { Unit: ms.unit }),
      },
    }),
  };
}

/** The PutMetricAlarm input of an Alarm manifest: its spec in PascalCase, without region and tags. */
export function desiredAlarm(manifest: AlarmManifest): DesiredAlarm {
  const s = manifest.spec;
  return {
    AlarmName: s.alarmName ?? manifest.metadata.name,
    ...(s.alarmDescription !== undefined && { AlarmDescription: s.alarmDescription }),
    ...(s.actionsEnabled !== undefined && { ActionsEnabled: s.actionsEnabled }),
    ...(s.okActions !== undefined && { OKActions: s.okActions }),
    ...(s.alarmActions !== undefined && { AlarmActions: s.alarmActions }),
    ...(s.insufficientDataActions !== undefined && { InsufficientDataActions: s.insufficientDataActions }),
    ...(s.metricName !== undefined && { MetricName: s.metricName }),
    ...(s.namespace !== undefined && { Namespace: s.namespace }),
    ...(s.statistic !== undefined && { Statistic: s.statistic }),
    ...(s.extendedStatistic !== undefined && { ExtendedStatistic: s.extendedStatistic }),
    ...(s.dimensions !== undefined && { Dimensions: dimensions(s.dimensions) }),
    ...(s.period !== undefined && { Period: s.period }),
    ...(s.unit !== undefined && { Unit: s.unit }),
    EvaluationPeriods: s.evaluationPeriods,
    ...(s.datapointsToAlarm !== undefined && { DatapointsToAlarm: s.datapointsToAlarm }),
    ...(s.threshold !== undefined && { Threshold: s.threshold }),
    ComparisonOperator: s.comparisonOperator,
    ...(s.treatMissingData !== undefined && { TreatMissingData: s.treatMissingData }),
    ...(s.evaluateLowSampleCountPercentile !== undefined && { EvaluateLowSampleCountPercentile: s.evaluateLowSampleCountPercentile }),
    ...(s.metrics !== undefined && { Metrics: s.metrics.map(query) }),
    ...(s.thresholdMetricId !== undefined && { ThresholdMetricId: s.thresholdMetricId }),
  };
}

/** Dimensions as `{name, value}`, sorted by name (their order carries no meaning). */
function normalizeDimensions(value: unknown): PlainObject[] | undefined {
  return sortByKeys(
    records(value)?.map((d): PlainObject => ({ name: str(d['Name']), value: str(d['Value']) })),
    (d) => d['name'],
  );
}

function normalizeQuery(q: PlainObject): PlainObject {
  const ms = q['MetricStat'] === undefined ? undefined : record(q['MetricStat']);
  const metric = record(ms?.['Metric']);
  return {
    id: str(q['Id']),
    expression: str(q['Expression']),
    label: str(q['Label']),
    returnData: q['ReturnData'] !== false,
    period: num(q['Period']),
    accountId: str(q['AccountId']),
    metricStat: ms && {
      metric: { namespace: str(metric['Namespace']), metricName: str(metric['MetricName']), dimensions: normalizeDimensions(metric['Dimensions']) },
      period: num(ms['Period']),
      stat: str(ms['Stat']),
      unit: str(ms['Unit']),
    },
  };
}

/**
 * The canonical form of the fields Berth manages, for either side (a PutMetricAlarm input or a
 * DescribeAlarms `MetricAlarm`). Rules, what CloudWatch fills in made explicit:
 * - Only the managed fields are kept: state, ARN, timestamps and tags are dropped.
 * - actionsEnabled absent = true; treatMissingData absent = `missing`; datapointsToAlarm absent =
 *   evaluationPeriods; evaluateLowSampleCountPercentile absent = `evaluate` on percentile alarms,
 *   dropped on others (CloudWatch ignores it there).
 * - Dimensions (of the alarm and of each metricStat) sorted by name; action lists sorted.
 * - metrics: returnData absent = true; kept in the order given (compared by id).
 * - Empty lists (no actions, the Dimensions CloudWatch returns on a metric math alarm) = absent;
 *   unit absent stays absent.
 */
export function normalizeAlarm(alarm: DesiredAlarm | PutMetricAlarmCommandInput | MetricAlarm): NormalizedAlarm {
  const src = record(alarm);
  const evaluationPeriods = num(src['EvaluationPeriods']);
  const extendedStatistic = str(src['ExtendedStatistic']);
  const out: Record<string, unknown> = {
    alarmName: str(src['AlarmName']),
    alarmDescription: str(src['AlarmDescription']),
    actionsEnabled: src['ActionsEnabled'] !== false,
    okActions: sorted(strings(src['OKActions'])),
    alarmActions: sorted(strings(src['AlarmActions'])),
    insufficientDataActions: sorted(strings(src['InsufficientDataActions'])),
    metricName: str(src['MetricName']),
    namespace: str(src['Namespace']),
    statistic: str(src['Statistic']),
    extendedStatistic,
    dimensions: normalizeDimensions(src['Dimensions']),
    period: num(src['Period']),
    unit: str(src['Unit']),
    evaluationPeriods,
    datapointsToAlarm: num(src['DatapointsToAlarm']) ?? evaluationPeriods,
    threshold: num(src['Threshold']),
    comparisonOperator: str(src['ComparisonOperator']),
    treatMissingData: str(src['TreatMissingData']) ?? 'missing',
    evaluateLowSampleCountPercentile: extendedStatistic === undefined ? undefined : (str(src['EvaluateLowSampleCountPercentile']) ?? 'evaluate'),
    metrics: records(src['Metrics'])?.map(normalizeQuery),
    thresholdMetricId: str(src['ThresholdMetricId']),
  };
  return record(prune(out));
}

/**
 * The managed fields that differ, observed → desired, with camelCase paths as in the manifest:
 * `threshold`, `dimensions[QueueName].value`, `metrics[m2].metricStat.stat`.
 */
export function diffAlarm(desired: DesiredAlarm | PutMetricAlarmCommandInput, observed: MetricAlarm): FieldChange[] {
  return diffFields(normalizeAlarm(observed), normalizeAlarm(desired), { listKeys: { metrics: (q) => str(q['id']) } });
}
