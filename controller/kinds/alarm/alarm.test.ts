import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { AlarmManifest } from '../../manifests/types.ts';
import { desiredAlarm, diffAlarm, normalizeAlarm } from './alarm.ts';

const TOPIC = 'arn:aws:sns:ap-southeast-2:070017891928:filot-alerts';

const queueDepth: AlarmManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'Alarm',
  metadata: { name: 'ocr-gpu-queue-depth-high' },
  spec: {
    region: 'ap-southeast-2',
    namespace: 'Filot/OCR',
    metricName: 'QueueDepth',
    dimensions: [{ name: 'QueueName', value: 'ocr-gpu' }],
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 3,
    threshold: 20,
    comparisonOperator: 'GreaterThanThreshold',
    alarmActions: [TOPIC],
    tags: [{ key: 'app', value: 'filot' }],
  },
};

const math: AlarmManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'Alarm',
  metadata: { name: 'no-workers' },
  spec: {
    alarmName: 'filot-no-workers',
    metrics: [
      { id: 'm1', returnData: false, metricStat: { metric: { namespace: 'AWS/ECS', metricName: 'RunningTaskCount', dimensions: [{ name: 'ServiceName', value: 's' }, { name: 'ClusterName', value: 'c' }] }, period: 60, stat: 'Minimum' } },
      { id: 'e1', expression: 'IF(m1 < 1, 1, 0)' },
    ],
    evaluationPeriods: 5,
    threshold: 1,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
  },
};

/** What DescribeAlarms returns for `queueDepth` right after PutMetricAlarm. */
const described: MetricAlarm = {
  AlarmName: 'ocr-gpu-queue-depth-high',
  AlarmArn: 'arn:aws:cloudwatch:ap-southeast-2:070017891928:alarm:ocr-gpu-queue-depth-high',
  ActionsEnabled: true,
  OKActions: [],
  AlarmActions: [TOPIC],
  InsufficientDataActions: [],
  StateValue: 'INSUFFICIENT_DATA',
  StateReason: 'Unchecked: Initial alarm creation',
  MetricName: 'QueueDepth',
  Namespace: 'Filot/OCR',
  Statistic: 'Maximum',
  Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }],
  Period: 60,
  EvaluationPeriods: 3,
  Threshold: 20,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'missing',
};

describe('desiredAlarm', () => {
  it('maps the camelCase spec to PutMetricAlarm, named after metadata, without region and tags', () => {
    expect(desiredAlarm(queueDepth)).toEqual({
      AlarmName: 'ocr-gpu-queue-depth-high',
      AlarmActions: [TOPIC],
      MetricName: 'QueueDepth',
      Namespace: 'Filot/OCR',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }],
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: 20,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('nests metric math queries as MetricStat/Metric and honours spec.alarmName', () => {
    const input = desiredAlarm(math);
    expect(input.AlarmName).toBe('filot-no-workers');
    expect(input.Metrics).toEqual([
      {
        Id: 'm1',
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'AWS/ECS', MetricName: 'RunningTaskCount', Dimensions: [{ Name: 'ServiceName', Value: 's' }, { Name: 'ClusterName', Value: 'c' }] }, Period: 60, Stat: 'Minimum' },
      },
      { Id: 'e1', Expression: 'IF(m1 < 1, 1, 0)' },
    ]);
  });
});

describe('normalizeAlarm', () => {
  it('fills in what CloudWatch defaults, drops empty lists and state', () => {
    expect(normalizeAlarm(desiredAlarm(queueDepth))).toEqual(normalizeAlarm(described));
    expect(normalizeAlarm(described)).toMatchObject({ actionsEnabled: true, treatMissingData: 'missing', datapointsToAlarm: 3 });
    expect(normalizeAlarm(described)).not.toHaveProperty('okActions');
    expect(normalizeAlarm(described)).not.toHaveProperty('unit');
  });

  it('sorts dimensions, defaults returnData to true, drops the empty Dimensions of a math alarm', () => {
    const n = normalizeAlarm({ ...desiredAlarm(math), Dimensions: [] });
    expect(n['dimensions']).toBeUndefined();
    expect(n['metrics']).toEqual([
      { id: 'm1', returnData: false, metricStat: { metric: { namespace: 'AWS/ECS', metricName: 'RunningTaskCount', dimensions: [{ name: 'ClusterName', value: 'c' }, { name: 'ServiceName', value: 's' }] }, period: 60, stat: 'Minimum' } },
      { id: 'e1', expression: 'IF(m1 < 1, 1, 0)', returnData: true },
    ]);
  });

  it('defaults evaluateLowSampleCountPercentile on percentile alarms only', () => {
    expect(normalizeAlarm({ ...described, Statistic: undefined, ExtendedStatistic: 'p95' })['evaluateLowSampleCountPercentile']).toBe('evaluate');
    expect(normalizeAlarm({ ...described, EvaluateLowSampleCountPercentile: 'ignore' })['evaluateLowSampleCountPercentile']).toBeUndefined();
  });
});

describe('diffAlarm', () => {
  it('is empty for the alarm as CloudWatch describes it', () => {
    expect(diffAlarm(desiredAlarm(queueDepth), described)).toEqual([]);
  });

  it('shows each changed field with a readable path', () => {
    const observed: MetricAlarm = {
      ...described,
      Threshold: 25,
      Dimensions: [{ Name: 'QueueName', Value: 'ocr-cpu' }],
      ActionsEnabled: false,
      DatapointsToAlarm: 2,
      OKActions: [TOPIC],
    };
    expect(diffAlarm(desiredAlarm(queueDepth), observed)).toEqual([
      { path: 'actionsEnabled', from: false, to: true },
      { path: 'datapointsToAlarm', from: 2, to: 3 },
      { path: 'dimensions[QueueName].value', from: 'ocr-cpu', to: 'ocr-gpu' },
      { path: 'okActions', from: [TOPIC], to: undefined },
      { path: 'threshold', from: 25, to: 20 },
    ]);
  });

  it('compares metric math queries by id', () => {
    const input = desiredAlarm(math);
    const observed: MetricAlarm = {
      ...input,
      Dimensions: [],
      Metrics: input.Metrics?.map((q) => (q.Id === 'm1' ? { ...q, MetricStat: { ...q.MetricStat, Stat: 'Maximum' } } : { ...q, ReturnData: true })),
    } as MetricAlarm;
    expect(diffAlarm(input, observed)).toEqual([{ path: 'metrics[m1].metricStat.stat', from: 'Maximum', to: 'Minimum' }]);
  });
});
