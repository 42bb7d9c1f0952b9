/**
 * `buildPlan` against the simulator through the real SDK: what exists, what differs and what
 * Berth refuses, for this repository's manifests; and how few AWS calls observation costs.
 */
import { CreateOrUpdateTagsCommand } from '@aws-sdk/client-auto-scaling';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Tag } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { desiredAlarm } from '../../controller/kinds/alarm/alarm.ts';
import { desiredCluster } from '../../controller/kinds/cluster/cluster.ts';
import { desiredService } from '../../controller/kinds/service/service.ts';
import { desiredTaskDefinition } from '../../controller/kinds/service/task-definition.ts';
import { ownershipTags } from '../../controller/engine/ownership.ts';
import { buildPlan } from '../../controller/engine/plan.ts';
import type { PlanEntry } from '../../controller/engine/plan-types.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import type { ManifestEntry, ServiceManifest } from '../../controller/manifests/types.ts';
import { manifestKey } from '../../controller/manifests/types.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const root = new URL('../..', import.meta.url).pathname;
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };

let s: SimClients;
let aws: AwsContext;
let manifests: readonly ManifestEntry[];

beforeEach(async () => {
  // The default seed: the deployment's own g5 group filot-ocr-gpu-asg, which manifests/ adopts.
  s = await simWithClients();
  aws = createAwsContext({ endpoint: s.endpoint, credentials, maxAttempts: 3 });
  const result = validateSources(await readManifestFiles('manifests', root));
  expect(result.valid).toBe(true);
  manifests = result.manifests;
});
afterEach(async () => {
  aws.close();
  await s.close();
});

function plan(entries: readonly ManifestEntry[] = manifests) {
  return buildPlan({ manifests: entries, aws, instance: 'berth', defaultRegion: undefined, now: new Date() });
}

const byKey = (entries: readonly PlanEntry[]): Record<string, PlanEntry> => Object.fromEntries(entries.map((e) => [e.key, e]));

/** Creates what the manifests describe the way Berth does (with its tags), so a plan should find nothing to do. */
async function createLikeBerth(tags: (key: string) => Tag[] = (key) => ownershipTags('berth', key, 'abc123')): Promise<void> {
  const scaled = new Set(manifests.flatMap((e) => (e.manifest.kind === 'QueueScaler' ? [e.manifest.spec.target.service] : [])));
  for (const { manifest } of manifests) {
    if (manifest.kind !== 'Cluster') continue;
    await s.ecs.send(new CreateClusterCommand({ ...desiredCluster(manifest), tags: [...(manifest.spec.tags ?? []), ...tags(manifestKey(manifest))] }));
  }
  for (const { manifest } of manifests) {
    if (manifest.kind === 'Alarm') {
      const Tags = [...(manifest.spec.tags ?? []), ...tags(manifestKey(manifest))].map((t) => ({ Key: t.key, Value: t.value }));
      await s.cloudwatch.send(new PutMetricAlarmCommand({ ...desiredAlarm(manifest), Tags }));
    }
    if (manifest.kind === 'AutoScalingGroup') {
      const Tags = tags(manifestKey(manifest)).map((t) => ({ ResourceId: manifest.metadata.name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: false }));
      if (Tags.length > 0) await s.autoscaling.send(new CreateOrUpdateTagsCommand({ Tags }));
    }
  }
  for (const { manifest } of manifests) {
    if (manifest.kind !== 'Service') continue;
    const td = await s.ecs.send(new RegisterTaskDefinitionCommand(desiredTaskDefinition(manifest.spec.taskDefinition)));
    await s.ecs.send(
      new CreateServiceCommand({
        ...desiredService(manifest, { desiredCountOwnedElsewhere: scaled.has(manifest.metadata.name) }),
        taskDefinition: td.taskDefinition?.taskDefinitionArn,
        tags: [...(manifest.spec.tags ?? []), ...tags(manifestKey(manifest))],
      }),
    );
  }
}

describe('buildPlan', () => {
  it('plans to create every cluster, alarm and service of manifests/ on an empty account, and to adopt its group', async () => {
    const { entries } = await plan();
    const alarms = manifests.filter((e) => e.manifest.kind === 'Alarm').map((e) => [`Alarm/${e.manifest.metadata.name}`, 'create', 'Missing']);
    expect(alarms).toHaveLength(8);
    expect(entries.map((e) => [e.key, e.action, e.health.status])).toEqual([
      ['Cluster/filot-backend-cluster', 'create', 'Missing'],
      ['Cluster/filot-ocr-gpu-cluster', 'create', 'Missing'],
      ['AutoScalingGroup/filot-ocr-gpu-asg', 'update', 'Healthy'],
      ...alarms,
      ['Service/filot-backend-service', 'create', 'Missing'],
      ['Service/berth-controller', 'create', 'Missing'],
      ['Service/filot-ocr-gpu-service', 'create', 'Missing'],
    ]);
    const gpu = byKey(entries)['Service/filot-ocr-gpu-service'];
    // The QueueScaler owns the GPU service's desiredCount: the plan never sets it.
    expect(gpu?.changes.map((c) => c.path)).not.toContain('desiredCount');
    // The group already has the manifest's sizes (0–4); adopting it only adds Berth's tags.
    expect(byKey(entries)['AutoScalingGroup/filot-ocr-gpu-asg']?.changes).toEqual([{ path: 'tags[berth.dev/managed-by]', from: undefined, to: '(adopted: Berth adds its ownership tags)' }]);
  });

  it('finds nothing to change once everything exists as Berth would have made it', async () => {
    await createLikeBerth();
    const { entries } = await plan();
    expect(entries.map((e) => [e.key, e.action, e.changes])).toEqual(entries.map((e) => [e.key, 'no-change', []]));
  });

  it('shows exactly the fields changed behind its back', async () => {
    await createLikeBerth();
    const td = await s.ecs.send(
      new RegisterTaskDefinitionCommand({
        ...desiredTaskDefinition((manifests.find((e) => e.manifest.metadata.name === 'filot-backend-service')?.manifest as ServiceManifest).spec.taskDefinition),
        containerDefinitions: [
          {
            ...desiredTaskDefinition((manifests.find((e) => e.manifest.metadata.name === 'filot-backend-service')?.manifest as ServiceManifest).spec.taskDefinition).containerDefinitions?.[0],
            image: '070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/filot-backend:hotfix',
          },
        ],
      }),
    );
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'filot-backend-cluster', service: 'filot-backend-service', desiredCount: 5, taskDefinition: td.taskDefinition?.taskDefinitionArn }));
    const entry = byKey((await plan()).entries)['Service/filot-backend-service'];
    expect(entry?.action).toBe('update');
    expect(entry?.changes).toEqual([
      {
        path: 'taskDefinition.containerDefinitions[filot-backend].image',
        from: '070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/filot-backend:hotfix',
        to: '070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/filot-backend:2024-12-01',
      },
      { path: 'desiredCount', from: 5, to: 2 },
    ]);
  });

  it('refuses resources it does not own unless the manifest adopts them', async () => {
    await createLikeBerth(() => []);
    const entries = byKey((await plan()).entries);
    expect(entries['Service/filot-backend-service']).toMatchObject({
      action: 'refused',
      reason: 'NotOwned',
      message: 'ECS service filot-backend-service exists but was not created by Berth (no berth.dev/managed-by tag). To manage it from git, add the annotation berth.dev/adopt: "true" to Service/filot-backend-service; Berth then adds its tags.',
    });
    expect(entries['Cluster/filot-ocr-gpu-cluster']?.reason).toBe('NotOwned');

    const adopting = manifests.map((e) =>
      e.manifest.metadata.name === 'filot-backend-service' ? ({ ...e, manifest: { ...e.manifest, metadata: { ...e.manifest.metadata, annotations: { 'berth.dev/adopt': 'true' as const } } } }) : e,
    );
    const adopted = byKey((await plan(adopting)).entries)['Service/filot-backend-service'];
    expect(adopted?.action).toBe('update');
    expect(adopted?.changes).toEqual([{ path: 'tags[berth.dev/managed-by]', from: undefined, to: '(adopted: Berth adds its ownership tags)' }]);
  });

  it('refuses a change UpdateService cannot make, saying what to do', async () => {
    await createLikeBerth();
    const ec2 = manifests.map((e) =>
      e.manifest.kind === 'Service' && e.manifest.metadata.name === 'berth-controller' ? { ...e, manifest: { ...e.manifest, spec: { ...e.manifest.spec, launchType: 'EC2' as const } } } : e,
    );
    const entry = byKey((await plan(ec2)).entries)['Service/berth-controller'];
    expect(entry?.action).toBe('refused');
    expect(entry?.reason).toBe('ReplaceRequired');
    expect(entry?.changes).toEqual([{ path: 'launchType', from: 'FARGATE', to: 'EC2' }]);
  });

  it('observes in batches: ⌈services/10⌉ DescribeServices, one DescribeTaskDefinition per ARN, none on a second plan', async () => {
    await createLikeBerth();
    const backend = manifests.find((e) => e.manifest.metadata.name === 'filot-backend-service') as ManifestEntry<ServiceManifest>;
    // 25 more services like the backend, sharing its task definition.
    const many: ManifestEntry[] = [...manifests];
    const td = await s.ecs.send(new RegisterTaskDefinitionCommand(desiredTaskDefinition(backend.manifest.spec.taskDefinition)));
    for (let i = 0; i < 25; i++) {
      const manifest: ServiceManifest = { ...backend.manifest, metadata: { name: `copy-${i}` }, spec: { ...backend.manifest.spec, serviceName: `copy-${i}` } };
      many.push({ manifest, source: backend.source });
      await s.ecs.send(new CreateServiceCommand({ ...desiredService(manifest), taskDefinition: td.taskDefinition?.taskDefinitionArn, tags: [...(manifest.spec.tags ?? []), ...ownershipTags('berth', `Service/copy-${i}`, undefined)] }));
    }
    aws.counter.reset();
    const first = await plan(many);
    expect(first.entries.filter((e) => e.action !== 'no-change')).toEqual([]);
    const calls = aws.counter.calls();
    // 27 services in filot-backend-cluster (3 calls) and 1 in the GPU cluster (1 call).
    expect(calls['ecs:DescribeServices']).toBe(4);
    expect(calls['ecs:DescribeClusters']).toBe(1);
    // Distinct task definition ARNs in use: backend:1, backend:2 (shared by the 25 copies), berth, gpu worker.
    expect(calls['ecs:DescribeTaskDefinition']).toBe(4);
    // The 8 alarms in one DescribeAlarms, the group in one DescribeAutoScalingGroups (at its
    // desired capacity, so no activities), and the whole inventory in one GetResources.
    expect(calls['cloudwatch:DescribeAlarms']).toBe(1);
    expect(calls['cloudwatch:ListTagsForResource']).toBeUndefined();
    expect(calls['autoscaling:DescribeAutoScalingGroups']).toBe(1);
    expect(calls['autoscaling:DescribeScalingActivities']).toBeUndefined();
    expect(calls['tagging:GetResources']).toBe(1);
    aws.counter.reset();
    await plan(many);
    expect(aws.counter.calls()['ecs:DescribeTaskDefinition']).toBeUndefined();
    expect(aws.counter.calls()['ecs:DescribeServices']).toBe(4);
  });
});
