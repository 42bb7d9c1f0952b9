/**
 * Inventory and prune against the simulator through the real SDK: what this Berth owns but git no
 * longer declares is reported as orphaned, left alone without --prune, deleted (or released) with
 * it; what another instance owns, or nobody does, is never touched; a revision that would prune
 * everything is refused.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand, TagResourceCommand as TagAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateServiceCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, TagResourceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { ReconcileError } from '../../controller/aws/errors.ts';
import { applyPlan } from '../../controller/engine/apply.ts';
import { ownershipTags } from '../../controller/engine/ownership.ts';
import { buildPlan } from '../../controller/engine/plan.ts';
import { desiredTaskDefinition } from '../../controller/kinds/service/task-definition.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import type { ManifestEntry, ServiceManifest } from '../../controller/manifests/types.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const root = new URL('../..', import.meta.url).pathname;
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };
const REGION = 'ap-southeast-2';

let s: SimClients;
let aws: AwsContext;
let manifests: ManifestEntry[];

beforeEach(async () => {
  s = await simWithClients();
  aws = createAwsContext({ endpoint: s.endpoint, credentials, maxAttempts: 3 });
  manifests = [...validateSources(await readManifestFiles('manifests', root)).manifests];
});
afterEach(async () => {
  aws.close();
  await s.close();
});

const plan = (entries: readonly ManifestEntry[], options: { prune?: boolean; allowEmpty?: boolean } = {}) =>
  buildPlan({ manifests: entries, aws, instance: 'berth', defaultRegion: REGION, now: new Date(s.sim.now()), ...options });

async function apply(entries: readonly ManifestEntry[], options: { prune?: boolean } = {}) {
  const p = await plan(entries, options);
  return { plan: p, outcomes: await applyPlan(p, { manifests: entries, aws, instance: 'berth', defaultRegion: REGION, revision: 'abc1234' }) };
}

const without = (...names: string[]): ManifestEntry[] => manifests.filter((e) => !names.includes(e.manifest.metadata.name));
const actions = (entries: readonly { key: string; action: string }[]): Record<string, string> =>
  Object.fromEntries(entries.filter((e) => e.action !== 'no-change').map((e) => [e.key, e.action]));

async function serviceStatus(cluster: string, name: string): Promise<string | undefined> {
  const out = await s.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  return out.services?.[0]?.status;
}
async function alarmExists(name: string): Promise<boolean> {
  return ((await s.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms ?? []).length > 0;
}

/** A service in filot-backend-cluster that Berth did not create (untagged) or that another instance owns. */
async function foreignService(name: string, tags: { key: string; value: string }[]): Promise<void> {
  const backend = manifests.find((e) => e.manifest.metadata.name === 'filot-backend-service')?.manifest as ServiceManifest;
  const td = await s.ecs.send(new RegisterTaskDefinitionCommand({ ...desiredTaskDefinition(backend.spec.taskDefinition), family: `${name}-task`, tags }));
  await s.ecs.send(
    new CreateServiceCommand({
      cluster: 'filot-backend-cluster',
      serviceName: name,
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } },
      ...(tags.length > 0 && { tags }),
    }),
  );
}

describe('inventory and prune', () => {
  it('reports an alarm and a service removed from git as orphaned, keeps them without --prune, deletes them with it, and never touches what it does not own', async () => {
    await apply(manifests);
    // Look-alikes: same cluster, same naming pattern; one untagged, one owned by another Berth.
    await foreignService('filot-backend-service-canary', []);
    await foreignService('filot-backend-service-staging', ownershipTags('berth-staging', 'Service/filot-backend-service-staging', undefined).map((t) => ({ key: t.key ?? '', value: t.value ?? '' })));
    const { MetricAlarms: [staging] = [] } = await s.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['filot-backend-memory-high'] }));
    expect(staging).toBeDefined();

    const revision = without('berth-controller', 'filot-backend-memory-high');
    const reported = await plan(revision);
    expect(actions(reported.entries)).toEqual({
      'Alarm/filot-backend-memory-high': 'orphaned',
      'Service/filot-backend-cluster/berth-controller': 'orphaned',
    });
    expect(reported.entries.find((e) => e.key === 'Service/filot-backend-cluster/berth-controller')?.health.message).toBe('owned by Berth (from Service/berth-controller), no longer in git');

    // Without --prune: applied, and the orphans stay.
    const kept = await apply(revision);
    expect(kept.outcomes.every((o) => o.status === 'unchanged')).toBe(true);
    expect(await serviceStatus('filot-backend-cluster', 'berth-controller')).toBe('ACTIVE');
    expect(await alarmExists('filot-backend-memory-high')).toBe(true);

    // With --prune: the service is scaled to 0 and deleted, its revisions deregistered, the alarm deleted.
    const pruned = await apply(revision, { prune: true });
    expect(actions(pruned.plan.entries)).toEqual({
      'Alarm/filot-backend-memory-high': 'prune',
      'Service/filot-backend-cluster/berth-controller': 'prune',
      'TaskDefinition/berth-controller': 'prune',
    });
    expect(pruned.outcomes.filter((o) => o.status !== 'unchanged').map((o) => [o.key, o.status, o.message])).toEqual([
      ['Service/filot-backend-cluster/berth-controller', 'applied', 'pruned: scaled to 0 and deleted'],
      ['Alarm/filot-backend-memory-high', 'applied', 'pruned: deleted'],
      ['TaskDefinition/berth-controller', 'applied', 'pruned: 1 revision deregistered'],
    ]);
    expect(await serviceStatus('filot-backend-cluster', 'berth-controller')).not.toBe('ACTIVE');
    expect(await alarmExists('filot-backend-memory-high')).toBe(false);
    const td = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'berth-controller:1' }));
    expect(td.taskDefinition?.status).toBe('INACTIVE');

    // The look-alikes are untouched, and nothing is left to prune.
    expect(await serviceStatus('filot-backend-cluster', 'filot-backend-service-canary')).toBe('ACTIVE');
    expect(await serviceStatus('filot-backend-cluster', 'filot-backend-service-staging')).toBe('ACTIVE');
    expect(actions((await plan(revision, { prune: true })).entries)).toEqual({});
  });

  it('keeps a resource tagged berth.dev/prune=false, and releases an adopted group without changing its capacity', async () => {
    await apply(manifests);
    const arn = (await s.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['filot-backend-cpu-high'] }))).MetricAlarms?.[0]?.AlarmArn;
    await s.cloudwatch.send(new TagAlarmCommand({ ResourceARN: arn, Tags: [{ Key: 'berth.dev/prune', Value: 'false' }] }));

    const revision = without('filot-backend-cpu-high', 'filot-ocr-gpu-asg', 'ocr-gpu');
    const { plan: p, outcomes } = await apply(revision, { prune: true });
    expect(p.entries.find((e) => e.key === 'Alarm/filot-backend-cpu-high')).toMatchObject({ action: 'orphaned', reason: 'PruneDisabled' });
    expect(outcomes.find((o) => o.key === 'AutoScalingGroup/filot-ocr-gpu-asg')).toMatchObject({ status: 'applied', message: 'released: Berth\'s tags removed, capacity left at 0 (min 0, max 4)' });
    expect(await alarmExists('filot-backend-cpu-high')).toBe(true);
    const group = (await s.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['filot-ocr-gpu-asg'] }))).AutoScalingGroups?.[0];
    expect(group?.Tags?.filter((t) => t.Key?.startsWith('berth.dev/'))).toEqual([]);
    expect([group?.MinSize, group?.MaxSize, group?.DesiredCapacity]).toEqual([0, 4, 0]);
  });

  it('refuses a revision that would prune everything it owns unless --allow-empty', async () => {
    await apply(manifests);
    const unrelated = manifests.filter((e) => e.manifest.kind === 'Cluster').map((e) => ({ ...e, manifest: { ...e.manifest, metadata: { name: `elsewhere-${e.manifest.metadata.name}` } } }));
    for (const revision of [[], unrelated]) {
      const refused = await plan(revision, { prune: true }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ReconcileError);
      expect((refused as ReconcileError).reason).toBe('PruneEverything');
      expect((refused as ReconcileError).message).toContain('pass --allow-empty');
    }
    // Without --prune the same revision only reports.
    expect(Object.values(actions((await plan([])).entries)).every((a) => a === 'orphaned')).toBe(true);
    // With --allow-empty everything but the clusters goes.
    const all = await plan([], { prune: true, allowEmpty: true });
    expect(all.entries.filter((e) => e.action === 'prune').map((e) => e.kind).sort()).toEqual([
      ...Array<string>(8).fill('Alarm'),
      'AutoScalingGroup',
      'Service',
      'Service',
      'Service',
      'TaskDefinition',
      'TaskDefinition',
      'TaskDefinition',
    ]);
    expect(all.entries.filter((e) => e.kind === 'Cluster').map((e) => [e.action, e.reason])).toEqual([
      ['orphaned', 'NotPruned'],
      ['orphaned', 'NotPruned'],
    ]);
  });

  it('checks ownership again on the live resource before pruning it', async () => {
    await apply(manifests);
    const revision = without('berth-controller');
    const p = await plan(revision, { prune: true });
    // Between plan and apply someone hands the service to another Berth instance.
    const arn = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['berth-controller'] }))).services?.[0]?.serviceArn;
    await s.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'berth.dev/managed-by', value: 'someone-else' }] }));
    const outcomes = await applyPlan(p, { manifests: revision, aws, instance: 'berth', defaultRegion: REGION, revision: 'abc1234' });
    expect(outcomes.find((o) => o.key === 'Service/filot-backend-cluster/berth-controller')).toMatchObject({ status: 'refused', message: 'no longer tagged berth.dev/managed-by=berth; left alone' });
    expect(await serviceStatus('filot-backend-cluster', 'berth-controller')).toBe('ACTIVE');
  });
});
