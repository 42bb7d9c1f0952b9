/**
 * `applyPlan` against the simulator through the real SDK: convergence, drift, crash idempotence,
 * a rollout the circuit breaker fails, and throttling.
 */
import { DescribeServicesCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, UpdateClusterSettingsCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { applyPlan } from '../../controller/engine/apply.ts';
import type { ApplyInput } from '../../controller/engine/apply.ts';
import { buildPlan } from '../../controller/engine/plan.ts';
import { desiredTaskDefinition } from '../../controller/kinds/service/task-definition.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import type { ManifestEntry, ServiceManifest } from '../../controller/manifests/types.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const root = new URL('../..', import.meta.url).pathname;
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };

let s: SimClients;
let aws: AwsContext;
let manifests: ManifestEntry[];

beforeEach(async () => {
  // The default seed: the deployment's own g5 group filot-ocr-gpu-asg, which manifests/ adopts.
  s = await simWithClients();
  aws = createAwsContext({ endpoint: s.endpoint, credentials, maxAttempts: 3 });
  const result = validateSources(await readManifestFiles('manifests', root));
  manifests = [...result.manifests];
});
afterEach(async () => {
  aws.close();
  await s.close();
});

const common = (): Omit<ApplyInput, 'manifests'> => ({
  aws,
  instance: 'berth',
  defaultRegion: undefined,
  revision: 'abc1234',
  // --wait polls on the simulator's virtual clock: a poll advances it instead of sleeping.
  sleep: (ms) => Promise.resolve(s.sim.advance(ms / 1000)),
  now: () => new Date(s.sim.now()),
  pollMs: 5000,
  timeoutMs: 600_000,
});

async function planAndApply(entries: readonly ManifestEntry[] = manifests, extra: Partial<ApplyInput> = {}) {
  const plan = await buildPlan({ manifests: entries, aws, instance: 'berth', defaultRegion: undefined, now: new Date(s.sim.now()) });
  const outcomes = await applyPlan(plan, { ...common(), manifests: entries, ...extra });
  return { plan, outcomes };
}

async function planActions(entries: readonly ManifestEntry[] = manifests): Promise<Record<string, string>> {
  const plan = await buildPlan({ manifests: entries, aws, instance: 'berth', defaultRegion: undefined, now: new Date(s.sim.now()) });
  return Object.fromEntries(plan.entries.map((e) => [e.key, e.action === 'update' ? `update ${e.changes.map((c) => c.path).join(',')}` : e.action]));
}

function withService(name: string, change: (m: ServiceManifest) => ServiceManifest): ManifestEntry[] {
  return manifests.map((e) => (e.manifest.kind === 'Service' && e.manifest.metadata.name === name ? { ...e, manifest: change(e.manifest) } : e));
}

/** Every resource of manifests/ (QueueScalers are not planned here) with no change. */
const allNoChange = (): Record<string, string> =>
  Object.fromEntries(manifests.filter((e) => e.manifest.kind !== 'QueueScaler').map((e) => [`${e.manifest.kind}/${e.manifest.metadata.name}`, 'no-change']));

describe('applyPlan', () => {
  it('creates everything in manifests/, waits for Healthy, and an immediate plan shows no changes', async () => {
    const { outcomes } = await planAndApply(manifests, { wait: true });
    const alarms = manifests.filter((e) => e.manifest.kind === 'Alarm').map((e) => [`Alarm/${e.manifest.metadata.name}`, 'applied', undefined]);
    expect(alarms).toHaveLength(8);
    expect(outcomes.map((o) => [o.key, o.status, o.health?.status])).toEqual([
      ['Cluster/filot-backend-cluster', 'applied', undefined],
      ['Cluster/filot-ocr-gpu-cluster', 'applied', undefined],
      ['AutoScalingGroup/filot-ocr-gpu-asg', 'applied', undefined],
      ...alarms,
      ['Service/filot-backend-service', 'applied', 'Healthy'],
      ['Service/berth-controller', 'applied', 'Healthy'],
      ['Service/filot-ocr-gpu-service', 'applied', 'Healthy'],
    ]);
    expect(await planActions()).toEqual(allNoChange());
  });

  it('converges a task definition written the other ways AWS accepts, with no diff afterwards', async () => {
    const variant = withService('filot-backend-service', (m) => ({
      ...m,
      spec: {
        ...m.spec,
        taskDefinition: {
          ...m.spec.taskDefinition,
          cpu: '0.5 vCPU',
          memory: '2 GB',
          containerDefinitions: m.spec.taskDefinition.containerDefinitions.map((c) => ({
            ...c,
            essential: undefined,
            portMappings: c.portMappings?.map((p) => ({ containerPort: p.containerPort, name: p.name, appProtocol: p.appProtocol })),
            environment: [...(c.environment ?? [])].reverse(),
            mountPoints: [],
          })),
        },
      },
    }));
    await planAndApply(variant);
    expect(await planActions(variant)).toEqual(allNoChange());
    expect(await planActions(manifests)).toEqual(allNoChange());
  });

  it('restores a desiredCount and an image changed behind its back', async () => {
    await planAndApply();
    const backend = manifests.find((e) => e.manifest.metadata.name === 'filot-backend-service')?.manifest as ServiceManifest;
    const td = desiredTaskDefinition(backend.spec.taskDefinition);
    const hotfix = await s.ecs.send(new RegisterTaskDefinitionCommand({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, image: `${c.image?.split(':')[0]}:hotfix` })) }));
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'filot-backend-cluster', service: 'filot-backend-service', desiredCount: 5, taskDefinition: hotfix.taskDefinition?.taskDefinitionArn }));
    expect((await planActions())['Service/filot-backend-service']).toBe('update taskDefinition.containerDefinitions[filot-backend].image,desiredCount');
    const { outcomes } = await planAndApply(manifests, { wait: true });
    expect(outcomes.find((o) => o.key === 'Service/filot-backend-service')?.status).toBe('applied');
    expect(await planActions()).toEqual(allNoChange());
    const live = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['filot-backend-service'] }))).services?.[0];
    expect(live?.desiredCount).toBe(2);
    expect(live?.runningCount).toBe(2);
  });

  it('restores a cluster setting changed behind its back', async () => {
    await planAndApply();
    await s.ecs.send(new UpdateClusterSettingsCommand({ cluster: 'filot-ocr-gpu-cluster', settings: [{ name: 'containerInsights', value: 'disabled' }] }));
    expect((await planActions())['Cluster/filot-ocr-gpu-cluster']).toBe('update settings[containerInsights].value');
    const { outcomes } = await planAndApply();
    expect(outcomes.find((o) => o.key === 'Cluster/filot-ocr-gpu-cluster')?.status).toBe('applied');
    expect(await planActions()).toEqual(allNoChange());
  });

  it('registers no second revision after a crash between RegisterTaskDefinition and UpdateService', async () => {
    await planAndApply();
    const newImage = withService('filot-backend-service', (m) => ({
      ...m,
      spec: { ...m.spec, taskDefinition: { ...m.spec.taskDefinition, containerDefinitions: m.spec.taskDefinition.containerDefinitions.map((c) => ({ ...c, image: c.image.replace('2024-12-01', '2024-12-02') })) } },
    }));
    const crashed = await planAndApply(newImage, {
      afterRegister: () => Promise.reject(new Error('killed between RegisterTaskDefinition and UpdateService')),
    });
    expect(crashed.outcomes.find((o) => o.key === 'Service/filot-backend-service')?.status).toBe('failed');
    aws.counter.reset();
    const { outcomes } = await planAndApply(newImage);
    expect(outcomes.find((o) => o.key === 'Service/filot-backend-service')?.status).toBe('applied');
    expect(aws.counter.calls()['ecs:RegisterTaskDefinition']).toBeUndefined();
    const revisions = await s.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'filot-backend-task' }));
    expect(revisions.taskDefinitionArns?.map((a) => a.split(':').pop())).toEqual(['1', '2']);
    expect(await planActions(newImage)).toMatchObject({ 'Service/filot-backend-service': 'no-change' });
  });

  it('reports a rollout the circuit breaker fails as Degraded, and does not roll the same spec out again', async () => {
    await planAndApply(manifests, { wait: true });
    const broken = withService('filot-backend-service', (m) => ({
      ...m,
      spec: { ...m.spec, taskDefinition: { ...m.spec.taskDefinition, containerDefinitions: m.spec.taskDefinition.containerDefinitions.map((c) => ({ ...c, image: `${c.image.split(':')[0]}:broken` })) } },
    }));
    const { outcomes } = await planAndApply(broken, { wait: true });
    const backend = outcomes.find((o) => o.key === 'Service/filot-backend-service');
    expect(backend?.status).toBe('failed');
    expect(backend?.health?.status).toBe('Degraded');
    expect(backend?.message).toContain('ECS deployment circuit breaker: tasks failed to start.');
    expect(backend?.message).toMatch(/rolling back to deployment/);

    aws.counter.reset();
    const again = await planAndApply(broken, { wait: true });
    expect(again.plan.entries.find((e) => e.key === 'Service/filot-backend-service')).toMatchObject({ action: 'refused', reason: 'RolledBack' });
    expect(again.outcomes.find((o) => o.key === 'Service/filot-backend-service')?.status).toBe('refused');
    expect(aws.counter.calls()['ecs:RegisterTaskDefinition']).toBeUndefined();
    expect(aws.counter.calls()['ecs:UpdateService']).toBeUndefined();
  });

  it('converges with 30 % of every ECS call throttled, and counts the calls', async () => {
    aws.close();
    aws = createAwsContext({ endpoint: s.endpoint, credentials, maxAttempts: 8 });
    s.sim.injectFault({ service: 'ecs', throttleRate: 0.3 });
    const { outcomes } = await planAndApply();
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const throttles = Object.values(aws.counter.throttles()).reduce((a, b) => a + b, 0);
    const calls = Object.values(aws.counter.calls()).reduce((a, b) => a + b, 0);
    expect(throttles).toBeGreaterThan(0);
    expect(calls).toBeGreaterThan(throttles);
    s.sim.clearFaults();
    expect(await planActions()).toEqual(allNoChange());
  });
});
