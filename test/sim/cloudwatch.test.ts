/**
 * Simulated CloudWatch, driven only through the real @aws-sdk/client-cloudwatch (plus the
 * simulator's clock, fault injection and history, and fetch for the older Query form).
 */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InternalServiceFault,
  InvalidFormatFault,
  InvalidNextToken,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  LimitExceededFault,
  ListMetricsCommand,
  ListTagsForResourceCommand,
  MissingRequiredParameterException,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  ResourceNotFoundException,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
} from '@aws-sdk/client-cloudwatch';
import type { CloudWatchServiceException, DescribeAlarmsCommandInput, ListMetricsCommandInput, MetricAlarm, MetricDatum, PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

const ACCOUNT = '070017891928';
const REGION = 'ap-southeast-2';
/** The virtual clock's start. */
const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:filot-alerts`;
const QUEUE = [{ Name: 'QueueName', Value: 'ocr-gpu' }];

/** The FiLot "GPU queue depth > 20" alarm (manifests/alarms.yaml). */
const QUEUE_DEPTH_ALARM: PutMetricAlarmCommandInput = {
  AlarmName: 'filot-ocr-gpu-queue-depth-high',
  AlarmDescription: 'More than 20 OCR jobs have been waiting or running on the ocr-gpu queue for 3 minutes.',
  Namespace: 'Filot/OCR',
  MetricName: 'QueueDepth',
  Dimensions: QUEUE,
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 3,
  Threshold: 20,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'missing',
  ActionsEnabled: true,
  AlarmActions: [TOPIC],
  OKActions: [TOPIC],
  Tags: [{ Key: 'app', Value: 'filot' }],
};

let s: SimClients;
let cw: CloudWatchClient;
beforeEach(async () => {
  s = await simWithClients({ seed: { accountId: ACCOUNT, region: REGION } });
  cw = s.cloudwatch;
});
afterEach(async () => s.close());

type CwError = CloudWatchServiceException & { Code?: string };

/** The error a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<CwError> {
  try {
    await call;
  } catch (err) {
    return err as CwError;
  }
  throw new Error('expected the call to fail');
}

/** Asserts the SDK raised its typed exception with the Query error code and HTTP status. */
async function expectError(call: Promise<unknown>, type: abstract new (...args: never[]) => Error, code: string, status: number, message?: string | RegExp): Promise<CwError> {
  const err = await failure(call);
  expect(err).toBeInstanceOf(type);
  expect(err.Code).toBe(code);
  expect(err.$metadata.httpStatusCode).toBe(status);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}

async function describeOne(name: string): Promise<MetricAlarm> {
  const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  expect(out.MetricAlarms).toHaveLength(1);
  return out.MetricAlarms?.[0] as MetricAlarm;
}

async function putDepth(value: number, extra: Partial<MetricDatum> = {}): Promise<void> {
  await cw.send(new PutMetricDataCommand({ Namespace: 'Filot/OCR', MetricData: [{ MetricName: 'QueueDepth', Dimensions: QUEUE, Value: value, ...extra }] }));
}

/** Publishes `value` every 10 s for `minutes` minutes, as the QueueScaler does, moving the clock. */
async function publishDepthFor(minutes: number, value: number): Promise<void> {
  for (let i = 0; i < minutes * 6; i++) {
    await putDepth(value);
    s.sim.advance(10);
  }
}

function alarmEvents(): { at: number; detail: Record<string, unknown> }[] {
  return s.sim.history.filter((e) => e.service === 'cloudwatch' && e.type === 'alarm-state').map((e) => ({ at: e.at, detail: { ...e.detail } }));
}

describe('PutMetricAlarm and DescribeAlarms', () => {
  it('returns what CloudWatch fills in after a minimal PutMetricAlarm', async () => {
    await cw.send(new PutMetricAlarmCommand({ AlarmName: 'cpu', Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Statistic: 'Average', Period: 300, EvaluationPeriods: 2, Threshold: 80, ComparisonOperator: 'GreaterThanThreshold' }));
    const out = await cw.send(new DescribeAlarmsCommand({}));
    expect(out.CompositeAlarms).toEqual([]);
    expect(out.NextToken).toBeUndefined();
    const alarm = out.MetricAlarms?.[0] as Record<string, unknown>;
    // Exactly these members: DatapointsToAlarm, TreatMissingData, AlarmDescription, Unit … are absent.
    expect(Object.keys(alarm).sort()).toEqual(
      [
        'ActionsEnabled', 'AlarmActions', 'AlarmArn', 'AlarmConfigurationUpdatedTimestamp', 'AlarmName', 'ComparisonOperator', 'Dimensions', 'EvaluationPeriods',
        'InsufficientDataActions', 'MetricName', 'Namespace', 'OKActions', 'Period', 'StateReason', 'StateTransitionedTimestamp', 'StateUpdatedTimestamp', 'StateValue',
        'Statistic', 'Threshold',
      ].sort(),
    );
    expect(alarm).toEqual({
      AlarmName: 'cpu',
      AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:cpu`,
      AlarmConfigurationUpdatedTimestamp: new Date(T0),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      StateUpdatedTimestamp: new Date(T0),
      StateTransitionedTimestamp: new Date(T0),
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/ECS',
      Statistic: 'Average',
      Dimensions: [],
      Period: 300,
      EvaluationPeriods: 2,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('reports every configured field', async () => {
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, Unit: 'Count', InsufficientDataActions: [TOPIC] }));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'filot-backend-p95-latency-high',
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'TargetResponseTime',
        Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/filot-backend-tg/0123456789abcdef' }],
        ExtendedStatistic: 'p95',
        EvaluateLowSampleCountPercentile: 'ignore',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        Threshold: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ActionsEnabled: false,
      }),
    );
    expect(await describeOne('filot-ocr-gpu-queue-depth-high')).toMatchObject({
      AlarmDescription: QUEUE_DEPTH_ALARM.AlarmDescription,
      ActionsEnabled: true,
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
      InsufficientDataActions: [TOPIC],
      Namespace: 'Filot/OCR',
      MetricName: 'QueueDepth',
      Dimensions: QUEUE,
      Statistic: 'Maximum',
      Period: 60,
      Unit: 'Count',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 20,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    });
    const p95 = await describeOne('filot-backend-p95-latency-high');
    expect(p95).toMatchObject({ ExtendedStatistic: 'p95', EvaluateLowSampleCountPercentile: 'ignore', TreatMissingData: 'notBreaching', ActionsEnabled: false, DatapointsToAlarm: 5 });
    expect(p95.Statistic).toBeUndefined();
  });

  it('stores a metric-math alarm with its Metrics and no single-metric fields', async () => {
    await cw.send(new PutMetricAlarmCommand(NO_WORKER_ALARM));
    const alarm = await describeOne('filot-ocr-gpu-worker-no-running-tasks');
    expect(alarm.Metrics).toEqual([
      {
        Id: 'm1',
        Label: 'Running GPU worker tasks',
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount', Dimensions: [{ Name: 'ClusterName', Value: 'filot-ocr-gpu-cluster' }, { Name: 'ServiceName', Value: 'filot-ocr-gpu-service' }] },
          Period: 60,
          Stat: 'Minimum',
        },
      },
      { Id: 'm2', Label: 'ocr-gpu queue depth', ReturnData: false, MetricStat: { Metric: { Namespace: 'Filot/OCR', MetricName: 'QueueDepth', Dimensions: QUEUE }, Period: 60, Stat: 'Maximum' } },
      { Id: 'e1', Expression: 'IF(m2 > 0 AND FILL(m1, 0) < 1, 1, 0)', Label: 'Jobs queued with no running worker (1 = yes)', ReturnData: true },
    ]);
    expect(alarm.MetricName).toBeUndefined();
    expect(alarm.Period).toBeUndefined();
    expect(alarm.Dimensions).toEqual([]);
  });

  it('keeps the state on update, replaces the configuration and ignores Tags', async () => {
    await cw.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
    await cw.send(new SetAlarmStateCommand({ AlarmName: QUEUE_DEPTH_ALARM.AlarmName, StateValue: 'ALARM', StateReason: 'testing' }));
    s.sim.advance(5);
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, Threshold: 30, AlarmDescription: undefined, Tags: [{ Key: 'team', Value: 'ocr' }] }));
    const alarm = await describeOne(QUEUE_DEPTH_ALARM.AlarmName as string);
    expect(alarm).toMatchObject({ StateValue: 'ALARM', StateReason: 'testing', Threshold: 30, AlarmConfigurationUpdatedTimestamp: new Date(T0 + 5000), StateUpdatedTimestamp: new Date(T0) });
    expect(alarm.AlarmDescription).toBeUndefined();
    const tags = await cw.send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }));
    expect(tags.Tags).toEqual([{ Key: 'app', Value: 'filot' }]);
  });

  it.each<[string, Partial<PutMetricAlarmCommandInput>, abstract new (...args: never[]) => Error, string, RegExp]>([
    ['no AlarmName', { AlarmName: undefined }, MissingRequiredParameterException, 'MissingParameter', /The parameter AlarmName is required/],
    ['no EvaluationPeriods', { EvaluationPeriods: undefined }, MissingRequiredParameterException, 'MissingParameter', /EvaluationPeriods is required/],
    ['EvaluationPeriods 0', { EvaluationPeriods: 0 }, ValidationException, 'ValidationError', /Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1/],
    ['M above N', { DatapointsToAlarm: 4 }, ValidationException, 'ValidationError', /DatapointsToAlarm must be less than or equal to EvaluationPeriods/],
    ['a 45 s period', { Period: 45 }, ValidationException, 'ValidationError', /Period must be 10, 20, 30 or a multiple of 60/],
    ['no Period', { Period: undefined }, ValidationException, 'ValidationError', /Period must not be null/],
    ['more than a day of 1-minute periods', { EvaluationPeriods: 1441, DatapointsToAlarm: 1 }, ValidationException, 'ValidationError', /must not exceed one day/],
    ['an unknown operator', { ComparisonOperator: 'Above' as 'GreaterThanThreshold' }, ValidationException, 'ValidationError', /Member must satisfy enum value set/],
    ['an unknown statistic', { Statistic: 'Median' as 'Average' }, ValidationException, 'ValidationError', /at 'statistic'/],
    ['Statistic and ExtendedStatistic', { ExtendedStatistic: 'p95' }, InvalidParameterCombinationException, 'InvalidParameterCombination', /Exactly one of Statistic and ExtendedStatistic/],
    ['a bad percentile', { Statistic: undefined, ExtendedStatistic: 'p101' }, InvalidParameterValueException, 'InvalidParameterValue', /ExtendedStatistic is invalid/],
    ['a trimmed mean', { Statistic: undefined, ExtendedStatistic: 'tm90' }, InvalidParameterValueException, 'InvalidParameterValue', /not supported by the simulator/],
    ['TreatMissingData sometimes', { TreatMissingData: 'sometimes' }, ValidationException, 'ValidationError', /Option sometimes is not supported. Supported options for parameter TreatMissingData are missing, ignore, breaching and notBreaching/],
    ['six alarm actions', { AlarmActions: Array.from({ length: 6 }, () => TOPIC) }, ValidationException, 'ValidationError', /at 'alarmActions' failed to satisfy constraint: Member must have length less than or equal to 5/],
    ['an SNS topic in another region', { AlarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:alerts`] }, ValidationException, 'ValidationError', /Invalid region us-east-1 specified. Only ap-southeast-2 is supported/],
    ['an action that is no ARN', { OKActions: ['filot-alerts'] }, ValidationException, 'ValidationError', /Invalid arn syntax: filot-alerts/],
    ['MetricName with Metrics', { Metrics: [{ Id: 'm1', Expression: '1' }] }, InvalidParameterCombinationException, 'InvalidParameterCombination', /MetricName and Metrics are mutually exclusive/],
    ['an anomaly detection operator', { ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }, InvalidParameterValueException, 'InvalidParameterValue', /Anomaly detection alarms .* are not supported by the simulator/],
    ['a reserved tag key', { Tags: [{ Key: 'aws:owner', Value: 'x' }] }, InvalidParameterValueException, 'InvalidParameterValue', /aws: prefix is reserved/],
    ['a duplicated dimension', { Dimensions: [...QUEUE, ...QUEUE] }, InvalidParameterValueException, 'InvalidParameterValue', /Dimensions.member.2.Name is invalid/],
  ])('refuses %s', async (_, change, type, code, message) => {
    await expectError(cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, ...change })), type, code, 400, message);
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
  });

  it.each<[string, PutMetricAlarmCommandInput['Metrics'], RegExp]>([
    ['two returned series', [{ Id: 'm1', MetricStat: DEPTH_STAT }, { Id: 'e1', Expression: 'm1 * 2' }], /Exactly one element of the metrics list should return data/],
    ['an unsupported function', [{ Id: 'm1', MetricStat: DEPTH_STAT, ReturnData: false }, { Id: 'e1', Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' }], /Error in expression e1: the function ANOMALY_DETECTION_BAND is not supported by the simulator/],
    ['an unknown id', [{ Id: 'e1', Expression: 'm9 * 2', Period: 60 }], /Error in expression e1: unknown metric or expression id 'm9'/],
    ['a syntax error', [{ Id: 'm1', MetricStat: DEPTH_STAT, ReturnData: false }, { Id: 'e1', Expression: 'm1 * ' }], /Error in expression e1: unexpected end of expression/],
    ['a circular reference', [{ Id: 'e1', Expression: 'e2 + 1', ReturnData: false }, { Id: 'e2', Expression: 'e1 + 1' }], /circular reference/],
    ['two periods', [{ Id: 'm1', MetricStat: DEPTH_STAT, ReturnData: false }, { Id: 'm2', MetricStat: { ...DEPTH_STAT, Period: 300 }, ReturnData: false }, { Id: 'e1', Expression: 'm1 + m2' }], /must all use the same period/],
  ])('refuses a metric-math alarm with %s', async (_, metrics, message) => {
    await expectError(cw.send(new PutMetricAlarmCommand({ AlarmName: 'math', EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', Metrics: metrics })), ValidationException, 'ValidationError', 400, message);
  });

  it('refuses alarms beyond the 5000-alarm quota with LimitExceeded', async () => {
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, Tags: undefined, AlarmName: `a-${String(batch * 50 + i).padStart(4, '0')}` }))),
      );
    }
    await expectError(cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: 'one-too-many' })), LimitExceededFault, 'LimitExceeded', 400, /quota for alarms/);
    // Updating an existing alarm is no new alarm.
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: 'a-0000', Threshold: 5 }));
    expect((await describeOne('a-0000')).Threshold).toBe(5);
  }, 60_000);
});

const DEPTH_STAT = { Metric: { Namespace: 'Filot/OCR', MetricName: 'QueueDepth', Dimensions: QUEUE }, Period: 60, Stat: 'Maximum' };

/** The FiLot "no running GPU worker while jobs are queued" metric-math alarm (manifests/alarms.yaml). */
const NO_WORKER_ALARM: PutMetricAlarmCommandInput = {
  AlarmName: 'filot-ocr-gpu-worker-no-running-tasks',
  Metrics: [
    {
      Id: 'm1',
      Label: 'Running GPU worker tasks',
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount', Dimensions: [{ Name: 'ClusterName', Value: 'filot-ocr-gpu-cluster' }, { Name: 'ServiceName', Value: 'filot-ocr-gpu-service' }] },
        Period: 60,
        Stat: 'Minimum',
      },
    },
    { Id: 'm2', Label: 'ocr-gpu queue depth', ReturnData: false, MetricStat: DEPTH_STAT },
    { Id: 'e1', Expression: 'IF(m2 > 0 AND FILL(m1, 0) < 1, 1, 0)', Label: 'Jobs queued with no running worker (1 = yes)', ReturnData: true },
  ],
  EvaluationPeriods: 5,
  DatapointsToAlarm: 5,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'missing',
  AlarmActions: [TOPIC],
};

describe('DescribeAlarms filters and pagination', () => {
  async function putAlarms(names: string[]): Promise<void> {
    for (const name of names) await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: name, AlarmActions: name.startsWith('b') ? [`${TOPIC}-b`] : [TOPIC] }));
  }

  it('pages alphabetically with MaxRecords and NextToken', async () => {
    const names = ['c-1', 'a-2', 'b-1', 'a-1', 'c-2', 'b-2', 'a-3'];
    await putAlarms(names);
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await cw.send(new DescribeAlarmsCommand({ MaxRecords: 3, NextToken: token }));
      pageSizes.push(page.MetricAlarms?.length ?? 0);
      seen.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName as string));
      token = page.NextToken;
    } while (token);
    expect(seen).toEqual([...names].sort());
    expect(pageSizes).toEqual([3, 3, 1]);
    // The default page holds 50.
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toHaveLength(7);
  });

  it('filters by names, prefix, state, action prefix and alarm type', async () => {
    await putAlarms(['a-1', 'a-2', 'b-1', 'b-2']);
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'a-2', StateValue: 'ALARM', StateReason: 'test' }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'b-2', StateValue: 'OK', StateReason: 'test' }));
    const names = async (input: DescribeAlarmsCommandInput): Promise<string[]> =>
      ((await cw.send(new DescribeAlarmsCommand(input))).MetricAlarms ?? []).map((a) => a.AlarmName as string);
    expect(await names({ AlarmNames: ['b-2', 'missing', 'a-1', 'a-1'] })).toEqual(['a-1', 'b-2']);
    expect(await names({ AlarmNamePrefix: 'b-' })).toEqual(['b-1', 'b-2']);
    expect(await names({ StateValue: 'ALARM' })).toEqual(['a-2']);
    expect(await names({ StateValue: 'INSUFFICIENT_DATA', AlarmNamePrefix: 'a' })).toEqual(['a-1']);
    expect(await names({ ActionPrefix: `${TOPIC}-b` })).toEqual(['b-1', 'b-2']);
    expect(await names({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })).toEqual(['a-1', 'a-2', 'b-1', 'b-2']);
    const composite = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm'] }));
    expect(composite.MetricAlarms).toEqual([]);
    expect(composite.CompositeAlarms).toEqual([]);
    // Names page too.
    const first = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['b-2', 'a-1', 'b-1'], MaxRecords: 2 }));
    expect(first.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['a-1', 'b-1']);
    const second = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['b-2', 'a-1', 'b-1'], MaxRecords: 2, NextToken: first.NextToken }));
    expect(second.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['b-2']);
    expect(second.NextToken).toBeUndefined();
  });

  it('describes 100 named alarms at a time out of 300 (Berth plan batches)', async () => {
    const all = Array.from({ length: 300 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
    await Promise.all(all.map((name) => cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: name }))));
    const wanted = all.filter((_, i) => i % 3 === 0).slice(0, 100);
    const started = performance.now();
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: wanted, MaxRecords: 100 }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out.MetricAlarms?.map((a) => a.AlarmName)).toEqual(wanted);
    expect(out.NextToken).toBeUndefined();
  });

  it('refuses bad requests', async () => {
    await expectError(cw.send(new DescribeAlarmsCommand({ AlarmNames: Array.from({ length: 101 }, (_, i) => `a-${i}`) })), ValidationException, 'ValidationError', 400, /at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100/);
    await expectError(cw.send(new DescribeAlarmsCommand({ MaxRecords: 101 })), ValidationException, 'ValidationError', 400, /Value '101' at 'maxRecords'/);
    await expectError(cw.send(new DescribeAlarmsCommand({ MaxRecords: 0 })), ValidationException, 'ValidationError', 400, /greater than or equal to 1/);
    await expectError(cw.send(new DescribeAlarmsCommand({ StateValue: 'BROKEN' as 'OK' })), ValidationException, 'ValidationError', 400, /at 'stateValue'/);
    await expectError(cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })), InvalidParameterCombinationException, 'InvalidParameterCombination', 400);
    await expectError(cw.send(new DescribeAlarmsCommand({ NextToken: 'bogus' })), InvalidNextToken, 'InvalidNextToken', 400);
  });

  it('keeps regions apart', async () => {
    await putAlarms(['a-1']);
    const east = new CloudWatchClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    try {
      expect((await east.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
      await east.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmActions: [], OKActions: [] }));
      expect((await east.send(new DescribeAlarmsCommand({}))).MetricAlarms?.map((a) => a.AlarmArn)).toEqual([`arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${QUEUE_DEPTH_ALARM.AlarmName}`]);
      expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms?.map((a) => a.AlarmName)).toEqual(['a-1']);
    } finally {
      east.destroy();
    }
  });
});

describe('DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions', () => {
  it('deletes alarms, and deletes none when one is missing (ResourceNotFound, 404)', async () => {
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: 'x' }));
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: 'y' }));
    await expectError(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['x', 'nope'] })), ResourceNotFound, 'ResourceNotFound', 404, /nope/);
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toHaveLength(2);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['x', 'y'] }));
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    await expectError(cw.send(new DeleteAlarmsCommand({ AlarmNames: undefined })), MissingRequiredParameterException, 'MissingParameter', 400);
  });

  it('sets a state until the next evaluation changes it back', async () => {
    await cw.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
    const name = QUEUE_DEPTH_ALARM.AlarmName as string;
    await publishDepthFor(3, 5);
    expect((await describeOne(name)).StateValue).toBe('OK');
    s.sim.advance(5);
    await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'Testing the pager', StateReasonData: '{"by":"test"}' }));
    expect(await describeOne(name)).toMatchObject({ StateValue: 'ALARM', StateReason: 'Testing the pager', StateReasonData: '{"by":"test"}', StateUpdatedTimestamp: new Date(T0 + 185_000) });
    // The next minute's evaluation sees the data (all below 20) and returns to OK.
    await putDepth(5);
    s.sim.advance(55);
    const back = await describeOne(name);
    expect(back.StateValue).toBe('OK');
    expect(back.StateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[5\.0 \(01\/01\/26 00:03:00\), 5\.0 \(01\/01\/26 00:02:00\), 5\.0 \(01\/01\/26 00:01:00\)\] were not greater than the threshold \(20\.0\)/);
    expect(alarmEvents().map((e) => [e.detail.from, e.detail.to, e.detail.reason])).toEqual([
      ['INSUFFICIENT_DATA', 'OK', expect.stringMatching(/^Threshold Crossed/)],
      ['OK', 'ALARM', 'Testing the pager'],
      ['ALARM', 'OK', back.StateReason],
    ]);
  });

  it('refuses SetAlarmState for unknown alarms, bad JSON and bad states', async () => {
    await cw.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
    await expectError(cw.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' })), ResourceNotFound, 'ResourceNotFound', 404);
    await expectError(cw.send(new SetAlarmStateCommand({ AlarmName: QUEUE_DEPTH_ALARM.AlarmName, StateValue: 'OK', StateReason: 'x', StateReasonData: '{not json' })), InvalidFormatFault, 'InvalidFormat', 400);
    await expectError(cw.send(new SetAlarmStateCommand({ AlarmName: QUEUE_DEPTH_ALARM.AlarmName, StateValue: 'RED' as 'OK', StateReason: 'x' })), ValidationException, 'ValidationError', 400, /at 'stateValue'/);
    await expectError(cw.send(new SetAlarmStateCommand({ AlarmName: QUEUE_DEPTH_ALARM.AlarmName, StateValue: 'OK', StateReason: undefined })), MissingRequiredParameterException, 'MissingParameter', 400);
    expect((await describeOne(QUEUE_DEPTH_ALARM.AlarmName as string)).StateValue).toBe('INSUFFICIENT_DATA');
  });

  it('disables and enables actions, ignoring unknown names', async () => {
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: 'x' }));
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: 'y' }));
    await cw.send(new DisableAlarmActionsCommand({ AlarmNames: ['x', 'y', 'unknown'] }));
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms?.map((a) => a.ActionsEnabled)).toEqual([false, false]);
    await cw.send(new EnableAlarmActionsCommand({ AlarmNames: ['y'] }));
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms?.map((a) => [a.AlarmName, a.ActionsEnabled])).toEqual([
      ['x', false],
      ['y', true],
    ]);
    await expectError(cw.send(new EnableAlarmActionsCommand({ AlarmNames: undefined })), MissingRequiredParameterException, 'MissingParameter', 400);
  });
});

describe('alarm evaluation on the simulated clock', () => {
  it('takes the GPU queue-depth alarm INSUFFICIENT_DATA → ALARM after 3 breaching minutes, then back to OK', async () => {
    await cw.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
    const name = QUEUE_DEPTH_ALARM.AlarmName as string;
    // Two minutes of 25 jobs: not yet 3 of 3.
    await publishDepthFor(2, 25);
    expect((await describeOne(name)).StateValue).toBe('INSUFFICIENT_DATA');
    await publishDepthFor(1, 25);
    const alarm = await describeOne(name);
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [25.0 (01/01/26 00:02:00), 25.0 (01/01/26 00:01:00), 25.0 (01/01/26 00:00:00)] were greater than the threshold (20.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    expect(alarm.StateUpdatedTimestamp).toEqual(new Date(T0 + 3 * MIN));
    expect(alarm.StateTransitionedTimestamp).toEqual(new Date(T0 + 3 * MIN));
    expect(JSON.parse(alarm.StateReasonData as string)).toEqual({
      version: '1.0',
      queryDate: '2026-01-01T00:03:00.000+0000',
      startDate: '2025-12-31T23:58:00.000+0000',
      statistic: 'Maximum',
      period: 60,
      recentDatapoints: [25, 25, 25],
      threshold: 20,
      evaluatedDatapoints: [
        { timestamp: '2026-01-01T00:02:00.000+0000', sampleCount: 6, value: 25 },
        { timestamp: '2026-01-01T00:01:00.000+0000', sampleCount: 6, value: 25 },
        { timestamp: '2026-01-01T00:00:00.000+0000', sampleCount: 6, value: 25 },
      ],
    });
    // One minute back under 20 breaks the 3 of 3: OK.
    await publishDepthFor(1, 4);
    const ok = await describeOne(name);
    expect(ok.StateValue).toBe('OK');
    expect(ok.StateReason).toBe('Threshold Crossed: 1 out of the last 3 datapoints [4.0 (01/01/26 00:03:00)] was not greater than the threshold (20.0) (minimum 1 datapoint for ALARM -> OK transition).');
    expect(alarmEvents()).toEqual([
      { at: T0 + 3 * MIN, detail: { alarm: name, region: REGION, from: 'INSUFFICIENT_DATA', to: 'ALARM', reason: alarm.StateReason } },
      { at: T0 + 4 * MIN, detail: { alarm: name, region: REGION, from: 'ALARM', to: 'OK', reason: ok.StateReason } },
    ]);
    // The publisher stops: with TreatMissingData missing, INSUFFICIENT_DATA once the range holds no data.
    s.sim.advance(10 * 60);
    const silent = await describeOne(name);
    expect(silent.StateValue).toBe('INSUFFICIENT_DATA');
    expect(silent.StateReason).toBe('Insufficient Data: 5 datapoints were unknown.');
  });

  it('treats missing data as breaching, notBreaching, ignore or missing', async () => {
    for (const treat of ['breaching', 'notBreaching', 'ignore', 'missing']) {
      await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, AlarmName: `no-data-${treat}`, TreatMissingData: treat }));
    }
    s.sim.advance(60);
    const states = async (): Promise<Record<string, string | undefined>> =>
      Object.fromEntries(((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'no-data-' }))).MetricAlarms ?? []).map((a): [string, string | undefined] => [a.AlarmName ?? '', a.StateValue]));
    expect(await states()).toEqual({ 'no-data-breaching': 'ALARM', 'no-data-notBreaching': 'OK', 'no-data-ignore': 'INSUFFICIENT_DATA', 'no-data-missing': 'INSUFFICIENT_DATA' });
    expect((await describeOne('no-data-breaching')).StateReason).toBe('Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].');
    expect((await describeOne('no-data-missing')).StateReason).toBe('Unchecked: Initial alarm creation');
    // ignore keeps whatever state the alarm is in.
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'no-data-ignore', StateValue: 'ALARM', StateReason: 'manual' }));
    s.sim.advance(5 * 60);
    expect((await states())['no-data-ignore']).toBe('ALARM');
    // One non-breaching minute among missing ones: breaching still needs 3 of 3, so OK.
    await putDepth(1);
    s.sim.advance(60);
    expect(await states()).toEqual({ 'no-data-breaching': 'OK', 'no-data-notBreaching': 'OK', 'no-data-ignore': 'OK', 'no-data-missing': 'OK' });
  });

  it('fires M of N: 2 of 3 breaching minutes', async () => {
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, DatapointsToAlarm: 2 }));
    await publishDepthFor(1, 25);
    await publishDepthFor(1, 3);
    expect((await describeOne(QUEUE_DEPTH_ALARM.AlarmName as string)).StateValue).toBe('OK');
    await publishDepthFor(1, 30);
    const alarm = await describeOne(QUEUE_DEPTH_ALARM.AlarmName as string);
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [30.0 (01/01/26 00:02:00), 25.0 (01/01/26 00:00:00)] were greater than the threshold (20.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
  });

  it('evaluates the metric-math no-running-worker alarm', async () => {
    await cw.send(new PutMetricAlarmCommand(NO_WORKER_ALARM));
    const running = { Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount', Dimensions: [{ Name: 'ClusterName', Value: 'filot-ocr-gpu-cluster' }, { Name: 'ServiceName', Value: 'filot-ocr-gpu-service' }] };
    // Four minutes of queued jobs and no task: 4 of 5, not yet.
    for (let i = 0; i < 4; i++) {
      await putDepth(12);
      s.sim.advance(60);
    }
    expect((await describeOne(NO_WORKER_ALARM.AlarmName as string)).StateValue).toBe('INSUFFICIENT_DATA');
    await putDepth(12);
    s.sim.advance(60);
    const alarm = await describeOne(NO_WORKER_ALARM.AlarmName as string);
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toMatch(/^Threshold Crossed: 5 out of the last 5 datapoints \[1\.0 \(01\/01\/26 00:04:00\), .*\] were greater than or equal to the threshold \(1\.0\)/);
    expect(JSON.parse(alarm.StateReasonData as string)).not.toHaveProperty('statistic');
    // A worker starts: the expression drops to 0 and the alarm clears.
    await cw.send(new PutMetricDataCommand({ Namespace: running.Namespace, MetricData: [{ MetricName: running.MetricName, Dimensions: running.Dimensions, Value: 1 }] }));
    await putDepth(12);
    s.sim.advance(60);
    expect((await describeOne(NO_WORKER_ALARM.AlarmName as string)).StateValue).toBe('OK');
  });

  it('evaluates a 10-second high-resolution alarm every period', async () => {
    await cw.send(new PutMetricAlarmCommand({ ...QUEUE_DEPTH_ALARM, Period: 10, EvaluationPeriods: 1, DatapointsToAlarm: 1 }));
    await putDepth(50, { StorageResolution: 1 });
    s.sim.advance(10);
    const alarm = await describeOne(QUEUE_DEPTH_ALARM.AlarmName as string);
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateUpdatedTimestamp).toEqual(new Date(T0 + 10_000));
  });

  it('evaluates a p95 alarm, and holds it with EvaluateLowSampleCountPercentile=ignore on few samples', async () => {
    const latency = { Namespace: 'Filot/Backend', MetricName: 'Latency' };
    const base = { ...latency, ExtendedStatistic: 'p95', Period: 60, EvaluationPeriods: 1, Threshold: 9, ComparisonOperator: 'GreaterThanThreshold' as const };
    await cw.send(new PutMetricAlarmCommand({ ...base, AlarmName: 'p95-evaluate' }));
    await cw.send(new PutMetricAlarmCommand({ ...base, AlarmName: 'p95-ignore', EvaluateLowSampleCountPercentile: 'ignore' }));
    // 100 samples 0.1 … 10.0 s: p95 = 9.5 > 9, but p95 needs 200 samples to be significant.
    await cw.send(new PutMetricDataCommand({ Namespace: latency.Namespace, MetricData: [{ MetricName: latency.MetricName, Values: Array.from({ length: 100 }, (_, i) => (i + 1) / 10) }] }));
    s.sim.advance(60);
    expect((await describeOne('p95-evaluate')).StateValue).toBe('ALARM');
    expect((await describeOne('p95-evaluate')).StateReason).toMatch(/\[9\.5 \(01\/01\/26 00:00:00\)\] was greater than the threshold \(9\.0\)/);
    expect((await describeOne('p95-ignore')).StateValue).toBe('INSUFFICIENT_DATA');
  });
});

describe('PutMetricData and statistics', () => {
  it('computes statistics per period, percentiles from raw values (nearest rank)', async () => {
    // Minute 0: the values 1..100; minute 1: a statistic set; minute 2: 10 × 7 via Counts.
    await cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: [{ MetricName: 'M', Values: Array.from({ length: 100 }, (_, i) => i + 1), Unit: 'Milliseconds' }] }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: [{ MetricName: 'M', Timestamp: new Date(T0 + MIN + 5000), StatisticValues: { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 }, Unit: 'Milliseconds' }] }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: [{ MetricName: 'M', Timestamp: new Date(T0 + 2 * MIN), Values: [7], Counts: [10], Unit: 'Milliseconds' }] }));
    s.sim.advance(180);
    const window = { Namespace: 'Test', MetricName: 'M', StartTime: new Date(T0), EndTime: new Date(T0 + 3 * MIN), Period: 60 };
    const simple = await cw.send(new GetMetricStatisticsCommand({ ...window, Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] }));
    expect(simple.Label).toBe('M');
    expect(simple.Datapoints).toEqual([
      { Timestamp: new Date(T0), SampleCount: 100, Sum: 5050, Average: 50.5, Minimum: 1, Maximum: 100, Unit: 'Milliseconds' },
      { Timestamp: new Date(T0 + MIN), SampleCount: 4, Sum: 20, Average: 5, Minimum: 2, Maximum: 8, Unit: 'Milliseconds' },
      { Timestamp: new Date(T0 + 2 * MIN), SampleCount: 10, Sum: 70, Average: 7, Minimum: 7, Maximum: 7, Unit: 'Milliseconds' },
    ]);
    const pct = await cw.send(new GetMetricStatisticsCommand({ ...window, ExtendedStatistics: ['p95', 'p99', 'p50', 'p99.5'] }));
    expect(pct.Datapoints).toEqual([
      { Timestamp: new Date(T0), ExtendedStatistics: { p95: 95, p99: 99, p50: 50, 'p99.5': 100 }, Unit: 'Milliseconds' },
      // A statistic set carries no raw values: no percentiles.
      { Timestamp: new Date(T0 + MIN), ExtendedStatistics: {}, Unit: 'Milliseconds' },
      { Timestamp: new Date(T0 + 2 * MIN), ExtendedStatistics: { p95: 7, p99: 7, p50: 7, 'p99.5': 7 }, Unit: 'Milliseconds' },
    ]);
    // One 3-minute period over all of it.
    const whole = await cw.send(new GetMetricStatisticsCommand({ ...window, Period: 180, Statistics: ['SampleCount', 'Maximum'] }));
    expect(whole.Datapoints).toEqual([{ Timestamp: new Date(T0), SampleCount: 114, Maximum: 100, Unit: 'Milliseconds' }]);
  });

  it('keeps units and dimension sets apart', async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Test',
        MetricData: [
          { MetricName: 'M', Value: 1, Unit: 'Count' },
          { MetricName: 'M', Value: 50, Unit: 'Percent' },
          { MetricName: 'M', Value: 9, Dimensions: [{ Name: 'A', Value: '1' }, { Name: 'B', Value: '2' }] },
        ],
      }),
    );
    const window = { Namespace: 'Test', MetricName: 'M', StartTime: new Date(T0), EndTime: new Date(T0 + MIN), Period: 60, Statistics: ['Maximum' as const] };
    expect((await cw.send(new GetMetricStatisticsCommand(window))).Datapoints).toEqual([
      { Timestamp: new Date(T0), Maximum: 1, Unit: 'Count' },
      { Timestamp: new Date(T0), Maximum: 50, Unit: 'Percent' },
    ]);
    expect((await cw.send(new GetMetricStatisticsCommand({ ...window, Unit: 'Percent' }))).Datapoints).toEqual([{ Timestamp: new Date(T0), Maximum: 50, Unit: 'Percent' }]);
    // Dimensions are a set: any order finds the metric; a subset does not.
    expect((await cw.send(new GetMetricStatisticsCommand({ ...window, Dimensions: [{ Name: 'B', Value: '2' }, { Name: 'A', Value: '1' }] }))).Datapoints).toEqual([{ Timestamp: new Date(T0), Maximum: 9, Unit: 'None' }]);
    expect((await cw.send(new GetMetricStatisticsCommand({ ...window, Dimensions: [{ Name: 'A', Value: '1' }] }))).Datapoints).toEqual([]);
  });

  it('accepts 1000 datums and refuses more, or bad data, storing nothing', async () => {
    const data = (n: number): MetricDatum[] => Array.from({ length: n }, (_, i) => ({ MetricName: 'Bulk', Dimensions: [{ Name: 'I', Value: String(i) }], Value: i }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: data(1000) }));
    await expectError(cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: data(1001) })), InvalidParameterValueException, 'InvalidParameterValue', 400, /The collection MetricData must not have a size greater than 1000/);
    const bad: [MetricDatum[] | undefined, string, abstract new (...args: never[]) => Error, string, RegExp][] = [
      [[{ MetricName: 'M', Value: NaN }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /The value NaN for parameter MetricData.member.1.Value is invalid/],
      [[{ MetricName: 'M', Value: Infinity }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /MetricData.member.1.Value is invalid/],
      [[{ MetricName: 'M', Value: 2 ** 361 }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /MetricData.member.1.Value is invalid/],
      [[{ MetricName: 'M', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }], 'Test', InvalidParameterCombinationException, 'InvalidParameterCombination', /Value and MetricData.member.1.StatisticValues are mutually exclusive/],
      [[{ MetricName: 'M', Values: [1, 2], Counts: [1] }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /Values and MetricData.member.1.Counts must be of the same size/],
      [[{ MetricName: 'M' }], 'Test', InvalidParameterCombinationException, 'InvalidParameterCombination', /At least one of the parameters/],
      [[{ MetricName: undefined, Value: 1 }], 'Test', MissingRequiredParameterException, 'MissingParameter', /The parameter MetricData.member.1.MetricName is required/],
      [[{ MetricName: 'M', Value: 1, Timestamp: new Date(T0 - 15 * 24 * 3600 * 1000) }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /within the past two weeks/],
      [[{ MetricName: 'M', Value: 1, Timestamp: new Date(T0 + 3 * 3600 * 1000) }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /two hours in the future/],
      [[{ MetricName: 'M', Value: 1, StorageResolution: 5 }], 'Test', InvalidParameterValueException, 'InvalidParameterValue', /StorageResolution is invalid/],
      [[{ MetricName: 'M', Value: 1, Unit: 'Furlongs' as 'Count' }], 'Test', ValidationException, 'ValidationError', /at 'metricData.1.member.unit'/],
      [[{ MetricName: 'M', Value: 1 }], 'AWS/ECS', InvalidParameterValueException, 'InvalidParameterValue', /The value AWS\/ECS for parameter Namespace is invalid/],
      [undefined, 'Test', MissingRequiredParameterException, 'MissingParameter', /MetricData is required/],
    ];
    for (const [metricData, namespace, type, code, message] of bad) {
      await expectError(cw.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: metricData })), type, code, 400, message);
    }
    // A bad datum fails the whole call: the good one before it is not stored either.
    await expectError(cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: [{ MetricName: 'Atomic', Value: 1 }, { MetricName: 'M', Value: NaN }] })), InvalidParameterValueException, 'InvalidParameterValue', 400, /MetricData.member.2.Value/);
    expect((await cw.send(new ListMetricsCommand({ Namespace: 'Test', MetricName: 'Atomic' }))).Metrics).toEqual([]);
    expect((await cw.send(new ListMetricsCommand({ Namespace: 'Test', MetricName: 'M' }))).Metrics).toEqual([]);
    const bulk = await cw.send(new ListMetricsCommand({ Namespace: 'Test', MetricName: 'Bulk' }));
    const rest = await cw.send(new ListMetricsCommand({ Namespace: 'Test', MetricName: 'Bulk', NextToken: bulk.NextToken }));
    expect((bulk.Metrics?.length ?? 0) + (rest.Metrics?.length ?? 0)).toBe(1000);
  });

  it('refuses bad GetMetricStatistics requests', async () => {
    const base = { Namespace: 'Test', MetricName: 'M', StartTime: new Date(T0), EndTime: new Date(T0 + 3600_000), Period: 60 };
    await expectError(cw.send(new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'], ExtendedStatistics: ['p95'] })), InvalidParameterCombinationException, 'InvalidParameterCombination', 400, /either Statistics or ExtendedStatistics, but not both/);
    await expectError(cw.send(new GetMetricStatisticsCommand({ ...base })), InvalidParameterCombinationException, 'InvalidParameterCombination', 400);
    await expectError(cw.send(new GetMetricStatisticsCommand({ ...base, Period: 45, Statistics: ['Sum'] })), InvalidParameterValueException, 'InvalidParameterValue', 400, /Period must be 1, 5, 10, 20, 30 or a multiple of 60/);
    await expectError(cw.send(new GetMetricStatisticsCommand({ ...base, EndTime: new Date(T0), Statistics: ['Sum'] })), InvalidParameterValueException, 'InvalidParameterValue', 400, /StartTime must be less than the parameter EndTime/);
    await expectError(
      cw.send(new GetMetricStatisticsCommand({ ...base, EndTime: new Date(T0 + 1441 * MIN), Statistics: ['Sum'] })),
      InvalidParameterCombinationException,
      'InvalidParameterCombination',
      400,
      /You have requested up to 1,441 datapoints, which exceeds the limit of 1,440/,
    );
    await expectError(cw.send(new GetMetricStatisticsCommand({ ...base, ExtendedStatistics: ['p101'] })), InvalidParameterValueException, 'InvalidParameterValue', 400);
    await expectError(cw.send(new GetMetricStatisticsCommand({ ...base, MetricName: undefined, Statistics: ['Sum'] })), MissingRequiredParameterException, 'MissingParameter', 400);
  });
});

describe('GetMetricData', () => {
  const m1 = { Id: 'm1', MetricStat: { Metric: { Namespace: 'Test', MetricName: 'A' }, Period: 60, Stat: 'Sum' } };
  const m2 = { Id: 'm2', MetricStat: { Metric: { Namespace: 'Test', MetricName: 'B' }, Period: 60, Stat: 'Maximum' } };

  beforeEach(async () => {
    // A: 1, 2, 3, 4 in minutes 0–3; B: 10 and 30 in minutes 0 and 2.
    for (const [minute, a, b] of [[0, 1, 10], [1, 2, undefined], [2, 3, 30], [3, 4, undefined]] as const) {
      const data: MetricDatum[] = [{ MetricName: 'A', Value: a, Timestamp: new Date(T0 + minute * MIN) }];
      if (b !== undefined) data.push({ MetricName: 'B', Value: b, Timestamp: new Date(T0 + minute * MIN) });
      await cw.send(new PutMetricDataCommand({ Namespace: 'Test', MetricData: data }));
    }
    s.sim.advance(300);
  });

  const range = { StartTime: new Date(T0), EndTime: new Date(T0 + 4 * MIN) };

  it('returns metrics and expressions, newest first by default', async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        ...range,
        MetricDataQueries: [
          m1,
          { ...m2, ReturnData: false },
          { Id: 'double', Expression: 'm1 * 2', Label: 'Twice A' },
          { Id: 'sum', Expression: 'm1 + m2' },
          { Id: 'gate', Expression: 'IF(m2 > 0 AND FILL(m2, 0) < 20, 1, 0)' },
        ],
      }),
    );
    const byId: Record<string, unknown> = Object.fromEntries(
      (out.MetricDataResults ?? []).map((r) => [r.Id ?? '', { label: r.Label, t: r.Timestamps?.map((d) => (d.getTime() - T0) / MIN), v: r.Values, status: r.StatusCode }]),
    );
    expect(Object.keys(byId)).toEqual(['m1', 'double', 'sum', 'gate']);
    expect(byId.m1).toEqual({ label: 'A', t: [3, 2, 1, 0], v: [4, 3, 2, 1], status: 'Complete' });
    expect(byId.double).toEqual({ label: 'Twice A', t: [3, 2, 1, 0], v: [8, 6, 4, 2], status: 'Complete' });
    expect(byId.sum).toEqual({ label: 'sum', t: [2, 0], v: [33, 11], status: 'Complete' });
    expect(byId.gate).toEqual({ label: 'gate', t: [2, 0], v: [0, 1], status: 'Complete' });
    expect(out.NextToken).toBeUndefined();
  });

  it('scans ascending and pages with MaxDatapoints', async () => {
    const input = { ...range, ScanBy: 'TimestampAscending' as const, MaxDatapoints: 3, MetricDataQueries: [m1, m2] };
    const first = await cw.send(new GetMetricDataCommand(input));
    // Minute 0 holds 2 datapoints, minute 1 one: 3 in all.
    expect(first.MetricDataResults?.map((r) => [r.Id, r.Values, r.StatusCode])).toEqual([
      ['m1', [1, 2], 'PartialData'],
      ['m2', [10], 'PartialData'],
    ]);
    expect(first.NextToken).toBeDefined();
    const second = await cw.send(new GetMetricDataCommand({ ...input, NextToken: first.NextToken }));
    expect(second.MetricDataResults?.map((r) => [r.Id, r.Values, r.StatusCode])).toEqual([
      ['m1', [3, 4], 'Complete'],
      ['m2', [30], 'Complete'],
    ]);
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses expressions it does not support, and bad requests', async () => {
    await expectError(
      cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [m1, { Id: 'e1', Expression: 'SEARCH(\'{Test} MetricName="A"\', \'Sum\', 60)' }] })),
      ValidationException,
      'ValidationError',
      400,
      /Error in expression e1: the function SEARCH is not supported by the simulator \(supported: IF, FILL, ABS/,
    );
    await expectError(cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [{ Id: 'e1', Expression: 'm7 + 1' }] })), ValidationException, 'ValidationError', 400, /unknown metric or expression id 'm7'/);
    await expectError(cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [{ ...m1, Id: 'M1' }] })), InvalidParameterValueException, 'InvalidParameterValue', 400, /MetricDataQueries.member.1.Id is invalid/);
    await expectError(cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [m1, m1] })), InvalidParameterValueException, 'InvalidParameterValue', 400, /ids must be unique/);
    await expectError(cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [{ ...m1, Expression: 'm2' }] })), InvalidParameterCombinationException, 'InvalidParameterCombination', 400);
    await expectError(cw.send(new GetMetricDataCommand({ ...range, EndTime: new Date(T0), MetricDataQueries: [m1] })), ValidationException, 'ValidationError', 400, /EndTime must be greater than StartTime/);
    await expectError(cw.send(new GetMetricDataCommand({ ...range, NextToken: 'bogus', MetricDataQueries: [m1] })), InvalidNextToken, 'InvalidNextToken', 400);
    await expectError(cw.send(new GetMetricDataCommand({ StartTime: range.StartTime, EndTime: undefined, MetricDataQueries: [m1] })), MissingRequiredParameterException, 'MissingParameter', 400);
  });
});

describe('ListMetrics', () => {
  it('lists metrics with data, filtered by namespace, name and dimensions, 500 a page', async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Filot/OCR',
        MetricData: [
          { MetricName: 'QueueDepth', Dimensions: QUEUE, Value: 1 },
          { MetricName: 'QueueDepth', Dimensions: [{ Name: 'QueueName', Value: 'ocr-cpu' }], Value: 1 },
          { MetricName: 'RetryQueueDepth', Dimensions: QUEUE, Value: 1 },
        ],
      }),
    );
    await cw.send(new PutMetricDataCommand({ Namespace: 'Other', MetricData: [{ MetricName: 'QueueDepth', Value: 1 }] }));
    const list = async (input: ListMetricsCommandInput): Promise<string[]> =>
      ((await cw.send(new ListMetricsCommand(input))).Metrics ?? []).map((m) => `${m.Namespace}:${m.MetricName}:${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',')}`);
    expect(await list({ Namespace: 'Filot/OCR' })).toEqual(['Filot/OCR:QueueDepth:QueueName=ocr-cpu', 'Filot/OCR:QueueDepth:QueueName=ocr-gpu', 'Filot/OCR:RetryQueueDepth:QueueName=ocr-gpu']);
    expect(await list({ MetricName: 'QueueDepth' })).toEqual(['Filot/OCR:QueueDepth:QueueName=ocr-cpu', 'Filot/OCR:QueueDepth:QueueName=ocr-gpu', 'Other:QueueDepth:']);
    expect(await list({ Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }] })).toEqual(['Filot/OCR:QueueDepth:QueueName=ocr-gpu', 'Filot/OCR:RetryQueueDepth:QueueName=ocr-gpu']);
    expect(await list({ Namespace: 'Filot/OCR', Dimensions: [{ Name: 'QueueName' }], MetricName: 'QueueDepth' })).toHaveLength(2);
    // RecentlyActive PT3H: only metrics with data in the last three hours.
    s.sim.advance(4 * 3600);
    await cw.send(new PutMetricDataCommand({ Namespace: 'Other', MetricData: [{ MetricName: 'QueueDepth', Value: 1 }] }));
    expect(await list({ RecentlyActive: 'PT3H' })).toEqual(['Other:QueueDepth:']);
    expect(await list({})).toHaveLength(4);
    // Past two weeks the data, and the metric, are gone.
    s.sim.advance(15 * 24 * 3600 + 60);
    await cw.send(new PutMetricDataCommand({ Namespace: 'Fresh', MetricData: [{ MetricName: 'X', Value: 1 }] }));
    expect(await list({})).toEqual(['Fresh:X:']);
  });

  it('pages 500 at a time', async () => {
    const data = (from: number): MetricDatum[] => Array.from({ length: 300 }, (_, i) => ({ MetricName: 'M', Dimensions: [{ Name: 'I', Value: String(from + i).padStart(4, '0') }], Value: 1 }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Many', MetricData: data(0) }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Many', MetricData: data(300) }));
    const first = await cw.send(new ListMetricsCommand({ Namespace: 'Many' }));
    expect(first.Metrics).toHaveLength(500);
    const second = await cw.send(new ListMetricsCommand({ Namespace: 'Many', NextToken: first.NextToken }));
    expect(second.Metrics).toHaveLength(100);
    expect(second.NextToken).toBeUndefined();
    expect(new Set([...(first.Metrics ?? []), ...(second.Metrics ?? [])].map((m) => m.Dimensions?.[0]?.Value)).size).toBe(600);
    await expectError(cw.send(new ListMetricsCommand({ NextToken: 'bogus' })), InvalidParameterValueException, 'InvalidParameterValue', 400);
  });
});

describe('tags', () => {
  it('tags, untags and lists the tags of an alarm by ARN', async () => {
    await cw.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
    const arn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${QUEUE_DEPTH_ALARM.AlarmName}`;
    await cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'team', Value: 'ocr' }, { Key: 'app', Value: 'filot-2' }] }));
    expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([
      { Key: 'app', Value: 'filot-2' },
      { Key: 'team', Value: 'ocr' },
    ]);
    await cw.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['app', 'not-there'] }));
    expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([{ Key: 'team', Value: 'ocr' }]);
  });

  it('answers unknown ARNs with ResourceNotFoundException and refuses bad tags', async () => {
    await cw.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
    const unknown = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:nope`;
    await expectError(cw.send(new ListTagsForResourceCommand({ ResourceARN: unknown })), ResourceNotFoundException, 'ResourceNotFoundException', 404, /nope/);
    await expectError(cw.send(new TagResourceCommand({ ResourceARN: unknown, Tags: [{ Key: 'a', Value: 'b' }] })), ResourceNotFoundException, 'ResourceNotFoundException', 404);
    await expectError(cw.send(new UntagResourceCommand({ ResourceARN: unknown, TagKeys: ['a'] })), ResourceNotFoundException, 'ResourceNotFoundException', 404);
    // The alarm exists, but in another region's ARN.
    await expectError(cw.send(new ListTagsForResourceCommand({ ResourceARN: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${QUEUE_DEPTH_ALARM.AlarmName}` })), ResourceNotFoundException, 'ResourceNotFoundException', 404);
    await expectError(cw.send(new ListTagsForResourceCommand({ ResourceARN: 'filot' })), InvalidParameterValueException, 'InvalidParameterValue', 400);
    const arn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${QUEUE_DEPTH_ALARM.AlarmName}`;
    await expectError(cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'aws:x', Value: 'b' }] })), InvalidParameterValueException, 'InvalidParameterValue', 400);
    await expectError(cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })), InvalidParameterValueException, 'InvalidParameterValue', 400, /at most 50 tags/);
    await expectError(cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: '', Value: 'b' }] })), ValidationException, 'ValidationError', 400, /at 'tags.1.member.key'/);
  });
});

describe('the older AWS Query form', () => {
  const authorization = `AWS4-HMAC-SHA256 Credential=AKID/20260101/${REGION}/monitoring/aws4_request, SignedHeaders=host, Signature=x`;
  const query = async (params: Record<string, string>): Promise<Response> =>
    fetch(s.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams({ Version: '2010-08-01', ...params }).toString() });

  it('creates an alarm from strings and lists it as XML, the same alarm the SDK sees', async () => {
    const put = await query({
      Action: 'PutMetricAlarm',
      AlarmName: 'query-alarm',
      Namespace: 'Filot/OCR',
      MetricName: 'QueueDepth',
      'Dimensions.member.1.Name': 'QueueName',
      'Dimensions.member.1.Value': 'ocr-gpu',
      Statistic: 'Maximum',
      Period: '60',
      EvaluationPeriods: '3',
      DatapointsToAlarm: '2',
      Threshold: '20.5',
      ComparisonOperator: 'GreaterThanThreshold',
      ActionsEnabled: 'false',
      'AlarmActions.member.1': TOPIC,
      'Tags.member.1.Key': 'app',
      'Tags.member.1.Value': 'filot',
    });
    expect(put.status).toBe(200);
    expect(await put.text()).toContain('<PutMetricAlarmResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata>');
    const described = await query({ Action: 'DescribeAlarms', 'AlarmNames.member.1': 'query-alarm' });
    const xml = await described.text();
    expect(xml).toContain('<DescribeAlarmsResult><MetricAlarms><member><AlarmName>query-alarm</AlarmName>');
    expect(xml).toContain('<StateValue>INSUFFICIENT_DATA</StateValue>');
    expect(xml).toContain('<Dimensions><member><Name>QueueName</Name><Value>ocr-gpu</Value></member></Dimensions>');
    expect(xml).toContain('<Threshold>20.5</Threshold>');
    expect(xml).toContain('<ActionsEnabled>false</ActionsEnabled>');
    expect(xml).toContain(`<AlarmActions><member>${TOPIC}</member></AlarmActions>`);
    expect(xml).toContain('<AlarmConfigurationUpdatedTimestamp>2026-01-01T00:00:00.000Z</AlarmConfigurationUpdatedTimestamp>');
    expect(await describeOne('query-alarm')).toMatchObject({ Threshold: 20.5, DatapointsToAlarm: 2, ActionsEnabled: false, Dimensions: QUEUE });
    expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:query-alarm` }))).Tags).toEqual([{ Key: 'app', Value: 'filot' }]);
  });

  it('puts metric data with ISO timestamps and answers errors as XML', async () => {
    const put = await query({ Action: 'PutMetricData', Namespace: 'Filot/OCR', 'MetricData.member.1.MetricName': 'QueueDepth', 'MetricData.member.1.Value': '7', 'MetricData.member.1.Timestamp': '2026-01-01T00:00:30Z' });
    expect(put.status).toBe(200);
    const stats = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'Filot/OCR', MetricName: 'QueueDepth', StartTime: new Date(T0), EndTime: new Date(T0 + MIN), Period: 60, Statistics: ['Sum'] }));
    expect(stats.Datapoints).toEqual([{ Timestamp: new Date(T0), Sum: 7, Unit: 'None' }]);
    const missing = await query({ Action: 'DeleteAlarms', 'AlarmNames.member.1': 'nope' });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/<Error><Type>Sender<\/Type><Code>ResourceNotFound<\/Code><Message>1 of the alarms in the request were not found: nope<\/Message><\/Error>/);
    const bad = await query({ Action: 'PutMetricAlarm', AlarmName: 'x', EvaluationPeriods: 'three', ComparisonOperator: 'GreaterThanThreshold' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>InvalidParameterValue</Code><Message>The value three for parameter EvaluationPeriods is invalid.</Message>');
  });
});

describe('faults', () => {
  it("gets through 30 % throttling with the SDK's retries", async () => {
    const patient = new CloudWatchClient({ endpoint: s.endpoint, region: REGION, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 10 });
    try {
      s.sim.injectFault({ service: 'cloudwatch', throttleRate: 0.3 });
      await patient.send(new PutMetricAlarmCommand(QUEUE_DEPTH_ALARM));
      // Three minutes of the QueueScaler's 10-second publications, a minute per call.
      for (let minute = 0; minute < 3; minute++) {
        const data = Array.from({ length: 6 }, (_, i) => ({ MetricName: 'QueueDepth', Dimensions: QUEUE, Value: 25, Timestamp: new Date(T0 + minute * MIN + i * 10_000) }));
        await patient.send(new PutMetricDataCommand({ Namespace: 'Filot/OCR', MetricData: data }));
      }
      s.sim.advance(180);
      const out = await patient.send(new DescribeAlarmsCommand({ AlarmNames: [QUEUE_DEPTH_ALARM.AlarmName as string] }));
      expect(out.MetricAlarms?.[0]?.StateValue).toBe('ALARM');
      const stats = await patient.send(new GetMetricStatisticsCommand({ Namespace: 'Filot/OCR', MetricName: 'QueueDepth', Dimensions: QUEUE, StartTime: new Date(T0), EndTime: new Date(T0 + 3 * MIN), Period: 60, Statistics: ['SampleCount'] }));
      // Every datum arrived exactly once despite the retries.
      expect(stats.Datapoints?.map((d) => d.SampleCount)).toEqual([6, 6, 6]);
      const throttled = Object.values(s.sim.throttleCounts().cloudwatch ?? {}).reduce((a, b) => a + b, 0);
      expect(throttled).toBeGreaterThan(0);
    } finally {
      patient.destroy();
    }
  }, 60_000);

  it('surfaces an injected internal error as InternalServiceFault (500)', async () => {
    const once = new CloudWatchClient({ endpoint: s.endpoint, region: REGION, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
    try {
      s.sim.injectFault({ service: 'cloudwatch', operation: 'DescribeAlarms', errorRate: 1, count: 1 });
      await expectError(once.send(new DescribeAlarmsCommand({})), InternalServiceFault, 'InternalServiceError', 500);
      expect((await once.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    } finally {
      once.destroy();
    }
  });
});
