/**
 * Alarms through Berth's CloudWatch port and the simulator: every Alarm of manifests/ put from
 * `desiredAlarm`, described back in one call, shows no diff; a threshold changed behind Berth's
 * back shows as exactly that change; breaching data turns the GPU queue-depth alarm Degraded.
 */
import { PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import type { CloudWatchPort } from '../../controller/aws/ports.ts';
import { desiredAlarm, diffAlarm } from '../../controller/kinds/alarm/alarm.ts';
import { alarmHealth } from '../../controller/kinds/alarm/health.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import type { AlarmManifest } from '../../controller/manifests/types.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGION = 'ap-southeast-2';
const CREDENTIALS = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };
const GPU_QUEUE = 'filot-ocr-gpu-queue-depth-high';

let clients: SimClients;
let aws: AwsContext;
let cloudwatch: CloudWatchPort;
let alarms: AlarmManifest[];

beforeAll(async () => {
  const result = validateSources(await readManifestFiles('manifests', REPO_ROOT));
  expect(result.valid).toBe(true);
  alarms = result.manifests.map((e) => e.manifest).filter((m): m is AlarmManifest => m.kind === 'Alarm');
  clients = await simWithClients({ region: REGION, seed: { accountId: '070017891928', region: REGION, clusters: [], autoScalingGroups: [] } });
  aws = createAwsContext({ endpoint: clients.endpoint, credentials: CREDENTIALS, maxAttempts: 3 });
  cloudwatch = aws.cloudwatch(REGION);
  for (const m of alarms) await cloudwatch.putMetricAlarm(desiredAlarm(m));
});

afterAll(async () => {
  aws.close();
  await clients.close();
});

describe('alarm round trip through the simulator', () => {
  it('covers the 8 Alarms of manifests/, the metric-math one included', () => {
    expect(alarms).toHaveLength(8);
    expect(alarms.some((m) => m.spec.metrics !== undefined)).toBe(true);
  });

  it('describes all 8 in one DescribeAlarms call, each without a diff', async () => {
    aws.counter.reset();
    const names = alarms.map((m) => desiredAlarm(m).AlarmName);
    const { alarms: observed, missing } = await cloudwatch.describeAlarms([...names, 'no-such-alarm']);
    expect(aws.counter.calls()).toEqual({ 'cloudwatch:DescribeAlarms': 1 });
    expect(missing).toEqual(['no-such-alarm']);
    expect(observed.map((a) => a.AlarmName)).toEqual(names);
    for (const m of alarms) {
      const desired = desiredAlarm(m);
      const alarm = observed.find((a) => a.AlarmName === desired.AlarmName);
      expect(alarm, m.metadata.name).toBeDefined();
      if (alarm) expect(diffAlarm(desired, alarm), m.metadata.name).toEqual([]);
    }
  });

  it('a threshold changed behind Berth’s back shows as exactly that change', async () => {
    const m = alarms.find((a) => a.metadata.name === 'filot-backend-cpu-high');
    if (!m) throw new Error('filot-backend-cpu-high is not in manifests/');
    const desired = desiredAlarm(m);
    await clients.cloudwatch.send(new PutMetricAlarmCommand({ ...desired, Threshold: 95 }));
    const { alarms: [alarm] } = await cloudwatch.describeAlarms([desired.AlarmName]);
    if (!alarm) throw new Error('alarm not described');
    expect(diffAlarm(desired, alarm)).toEqual([{ path: 'threshold', from: 95, to: 80 }]);
  });

  it('tags and action switches go through the port', async () => {
    const { alarms: [alarm] } = await cloudwatch.describeAlarms(['filot-backend-memory-high']);
    const arn = alarm?.AlarmArn;
    if (arn === undefined) throw new Error('alarm without ARN');
    await cloudwatch.tagResource(arn, [{ Key: 'app', Value: 'filot' }]);
    expect(await cloudwatch.listTags(arn)).toEqual([{ Key: 'app', Value: 'filot' }]);
    await cloudwatch.setActionsEnabled(['filot-backend-memory-high'], false);
    const { alarms: [muted] } = await cloudwatch.describeAlarms(['filot-backend-memory-high']);
    expect(muted?.ActionsEnabled).toBe(false);
    if (muted) expect(diffAlarm(desiredAlarm(alarms.find((a) => a.metadata.name === 'filot-backend-memory-high') as AlarmManifest), muted)).toEqual([{ path: 'actionsEnabled', from: false, to: true }]);
    await cloudwatch.setActionsEnabled(['filot-backend-memory-high'], true);
  });

  it('breaching queue depth makes the GPU queue-depth alarm Degraded with CloudWatch’s reason', async () => {
    const before = (await cloudwatch.describeAlarms([GPU_QUEUE])).alarms[0];
    expect(alarmHealth(before, false).status).toBe('Progressing');
    for (let minute = 0; minute < 5; minute++) {
      await clients.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'Filot/OCR',
          MetricData: [{ MetricName: 'QueueDepth', Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }], Timestamp: new Date(clients.sim.now()), Value: 25 + minute }],
        }),
      );
      clients.sim.advance(60);
    }
    const { alarms: [after] } = await cloudwatch.describeAlarms([GPU_QUEUE]);
    expect(after?.StateValue).toBe('ALARM');
    const health = alarmHealth(after, false);
    expect(health.status).toBe('Degraded');
    expect(health.message).toBe(`ALARM: ${after?.StateReason ?? ''}`);
    expect(after?.StateReason).toMatch(/Threshold Crossed/);
    expect(aws.counter.calls()['cloudwatch:DescribeAlarms']).toBeGreaterThan(1);
  });
});
