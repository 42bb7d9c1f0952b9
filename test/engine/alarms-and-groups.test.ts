/**
 * Alarm and AutoScalingGroup manifests through plan and apply, against the simulator through the
 * real SDK: alarm state as health, muting from git, drift, a group sized but never created, the
 * scaler's desiredCapacity left alone, and deployment alarms applied before their service.
 */
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { applyPlan } from '../../controller/engine/apply.ts';
import { buildPlan } from '../../controller/engine/plan.ts';
import type { PlanEntry } from '../../controller/engine/plan-types.ts';
import { desiredAlarm } from '../../controller/kinds/alarm/alarm.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import type { AlarmManifest, ManifestEntry } from '../../controller/manifests/types.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import type { SimulatorOptions } from '../../sim/simulator.ts';

const root = new URL('../..', import.meta.url).pathname;
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };
const GPU_QUEUE = 'filot-ocr-gpu-queue-depth-high';

let s: SimClients | undefined;
let aws: AwsContext | undefined;
let manifests: ManifestEntry[];

async function start(options: SimulatorOptions = {}): Promise<{ s: SimClients; aws: AwsContext }> {
  s = await simWithClients(options);
  aws = createAwsContext({ endpoint: s.endpoint, credentials, maxAttempts: 3 });
  return { s, aws };
}
beforeEach(async () => {
  manifests = [...validateSources(await readManifestFiles('manifests', root)).manifests];
});
afterEach(async () => {
  aws?.close();
  await s?.close();
});

async function plan(ctx: { s: SimClients; aws: AwsContext }, entries: readonly ManifestEntry[] = manifests) {
  return buildPlan({ manifests: entries, aws: ctx.aws, instance: 'berth', defaultRegion: undefined, now: new Date(ctx.s.sim.now()) });
}
async function apply(ctx: { s: SimClients; aws: AwsContext }, entries: readonly ManifestEntry[] = manifests) {
  const p = await plan(ctx, entries);
  return { plan: p, outcomes: await applyPlan(p, { manifests: entries, aws: ctx.aws, instance: 'berth', defaultRegion: undefined, revision: 'abc1234' }) };
}
const entryOf = (entries: readonly PlanEntry[], key: string): PlanEntry | undefined => entries.find((e) => e.key === key);
const changed = (entries: readonly PlanEntry[]): string[] => entries.filter((e) => e.action !== 'no-change').map((e) => `${e.key} ${e.action} ${e.changes.map((c) => c.path).join(',')}`);

function withAlarm(name: string, change: (m: AlarmManifest) => AlarmManifest): ManifestEntry[] {
  return manifests.map((e) => (e.manifest.kind === 'Alarm' && e.manifest.metadata.name === name ? { ...e, manifest: change(e.manifest) } : e));
}

describe('alarms and groups', () => {
  it('shows an alarm in ALARM as Degraded with CloudWatch’s reason after breaching data', async () => {
    const ctx = await start();
    await apply(ctx);
    expect(entryOf((await plan(ctx)).entries, `Alarm/${GPU_QUEUE}`)?.health.status).toBe('Progressing');
    // Queue depth above 20 for 3 minutes.
    for (let minute = 0; minute < 4; minute++) {
      await ctx.s.cloudwatch.send(
        new PutMetricDataCommand({ Namespace: 'Filot/OCR', MetricData: [{ MetricName: 'QueueDepth', Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }], Timestamp: new Date(ctx.s.sim.now()), Value: 30 }] }),
      );
      ctx.s.sim.advance(60);
    }
    const after = await plan(ctx);
    const entry = entryOf(after.entries, `Alarm/${GPU_QUEUE}`);
    const live = (await ctx.s.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [GPU_QUEUE] }))).MetricAlarms?.[0];
    expect(live?.StateValue).toBe('ALARM');
    expect(entry).toMatchObject({ action: 'no-change', health: { status: 'Degraded', message: `ALARM: ${live?.StateReason ?? ''}` } });
    expect(entry?.health.message).toMatch(/^ALARM: Threshold Crossed: 3 out of the last 3 datapoints \[30\.0 .*\] were greater than the threshold \(20\.0\)/);
  });

  it('mutes an alarm from git with DisableAlarmActions, and corrects a threshold changed behind its back', async () => {
    const ctx = await start();
    await apply(ctx);
    const muted = withAlarm(GPU_QUEUE, (m) => ({ ...m, spec: { ...m.spec, actionsEnabled: false } }));
    expect(changed((await plan(ctx, muted)).entries)).toEqual([`Alarm/${GPU_QUEUE} update actionsEnabled`]);
    ctx.aws.counter.reset();
    await apply(ctx, muted);
    expect(ctx.aws.counter.calls()['cloudwatch:DisableAlarmActions']).toBe(1);
    expect(ctx.aws.counter.calls()['cloudwatch:PutMetricAlarm']).toBeUndefined();
    expect((await ctx.s.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [GPU_QUEUE] }))).MetricAlarms?.[0]?.ActionsEnabled).toBe(false);
    expect(changed((await plan(ctx, muted)).entries)).toEqual([]);

    const cpu = manifests.find((e) => e.manifest.metadata.name === 'filot-backend-cpu-high')?.manifest as AlarmManifest;
    await ctx.s.cloudwatch.send(new PutMetricAlarmCommand({ ...desiredAlarm(cpu), Threshold: 95 }));
    const drifted = entryOf((await plan(ctx, muted)).entries, 'Alarm/filot-backend-cpu-high');
    expect(drifted?.changes).toEqual([{ path: 'threshold', from: 95, to: 80 }]);
    await apply(ctx, muted);
    expect(changed((await plan(ctx, muted)).entries)).toEqual([]);
  });

  it('sizes the adopted group, restores a maxSize changed behind its back, and leaves desiredCapacity to the QueueScaler', async () => {
    const ctx = await start();
    const first = await apply(ctx);
    expect(first.outcomes.find((o) => o.key === 'AutoScalingGroup/filot-ocr-gpu-asg')).toMatchObject({ status: 'applied', message: 'adopted' });
    const group = async () => (await ctx.s.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['filot-ocr-gpu-asg'] }))).AutoScalingGroups?.[0];
    expect(Object.fromEntries((await group())?.Tags?.filter((t) => t.Key?.startsWith('berth.dev/')).map((t) => [t.Key, t.Value]) ?? [])).toEqual({
      'berth.dev/managed-by': 'berth',
      'berth.dev/manifest': 'AutoScalingGroup/filot-ocr-gpu-asg',
      'berth.dev/revision': 'abc1234',
    });

    // The scaler's field: a desired capacity of 1 is not drift. A maxSize of 6 is.
    await ctx.s.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'filot-ocr-gpu-asg', MaxSize: 6, DesiredCapacity: 1 }));
    const p = await plan(ctx);
    expect(changed(p.entries)).toEqual(['AutoScalingGroup/filot-ocr-gpu-asg update maxSize']);
    expect(entryOf(p.entries, 'AutoScalingGroup/filot-ocr-gpu-asg')?.health).toEqual({ status: 'Progressing', message: '0 of 1 instances InService' });
    await apply(ctx);
    expect([(await group())?.MinSize, (await group())?.MaxSize, (await group())?.DesiredCapacity]).toEqual([0, 4, 1]);
    ctx.s.sim.advance(600);
    expect(entryOf((await plan(ctx)).entries, 'AutoScalingGroup/filot-ocr-gpu-asg')?.health).toEqual({ status: 'Healthy', message: '1 of 1 instances InService' });
  });

  it('refuses a group that does not exist, naming it, and never creates one', async () => {
    const ctx = await start({ seed: { accountId: '070017891928', region: 'ap-southeast-2', autoScalingGroups: [] } });
    const { plan: p, outcomes } = await apply(ctx);
    expect(entryOf(p.entries, 'AutoScalingGroup/filot-ocr-gpu-asg')).toMatchObject({
      action: 'refused',
      reason: 'AutoScalingGroupNotFound',
      message:
        'Auto Scaling group filot-ocr-gpu-asg does not exist in ap-southeast-2. Berth never creates groups: create it with your infrastructure code (launch template, subnets, instance role), or correct spec.autoScalingGroupName',
    });
    expect(outcomes.find((o) => o.key === 'AutoScalingGroup/filot-ocr-gpu-asg')?.status).toBe('refused');
    expect((await ctx.s.autoscaling.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups).toEqual([]);
  });

  it('applies deployment alarms before the service that names them, and skips the service when its alarm fails', async () => {
    const ctx = await start();
    ctx.s.sim.injectFault({ service: 'cloudwatch', operation: 'PutMetricAlarm', error: { code: 'LimitExceeded', message: 'The maximum number of alarms has been reached', status: 400 } });
    const { outcomes } = await apply(ctx);
    expect(outcomes.find((o) => o.key === 'Alarm/filot-backend-5xx-high')?.status).toBe('failed');
    expect(outcomes.find((o) => o.key === 'Service/filot-backend-service')).toMatchObject({ status: 'skipped', message: 'Alarm/filot-backend-5xx-high failed to apply' });
    // Services without deployment alarms go ahead.
    expect(outcomes.find((o) => o.key === 'Service/berth-controller')?.status).toBe('applied');

    ctx.s.sim.clearFaults();
    const again = await apply(ctx);
    expect(again.outcomes.filter((o) => o.status !== 'unchanged').map((o) => [o.key, o.status])).toEqual([
      ...manifests.filter((e) => e.manifest.kind === 'Alarm').map((e) => [`Alarm/${e.manifest.metadata.name}`, 'applied']),
      ['Service/filot-backend-service', 'applied'],
    ]);
  });

  it('refuses a service whose deployment alarm neither exists nor is declared', async () => {
    const ctx = await start();
    const noAlarm = manifests.filter((e) => e.manifest.metadata.name !== 'filot-backend-5xx-high');
    const entry = entryOf((await plan(ctx, noAlarm)).entries, 'Service/filot-backend-service');
    expect(entry).toMatchObject({ action: 'refused', reason: 'DeploymentAlarmNotFound' });
    expect(entry?.message).toBe('deploymentConfiguration.alarms names filot-backend-5xx-high, which does not exist in ap-southeast-2 and no Alarm manifest declares: add the Alarm manifest, or correct alarmNames');
  });
});
