/**
 * Services through the real SDK and the simulator: every Service of manifests/ created from
 * `desiredService`, described back, shows no diff; a change in git or a drift in AWS shows exactly
 * that change, classified as UpdateService can or cannot make it; applying the in-place changes
 * converges.
 */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Service } from '@aws-sdk/client-ecs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredCluster } from '../../controller/kinds/cluster/cluster.ts';
import { desiredService, diffService, serviceUpdateInput } from '../../controller/kinds/service/service.ts';
import type { DesiredService } from '../../controller/kinds/service/service.ts';
import { desiredTaskDefinition } from '../../controller/kinds/service/task-definition.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import type { ClusterManifest, Manifest, ServiceManifest } from '../../controller/manifests/types.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const NO_DIFF = { inPlace: [], replaceRequired: [], forceNewDeployment: false };

let clients: SimClients;
let manifests: Manifest[];
let services: ServiceManifest[];
let scaled: Set<string>;

function desiredOf(m: ServiceManifest): DesiredService {
  return desiredService(m, { desiredCountOwnedElsewhere: scaled.has(m.metadata.name) });
}

function named(name: string): ServiceManifest {
  const m = services.find((s) => s.metadata.name === name);
  if (!m) throw new Error(`no Service ${name} in manifests/`);
  return m;
}

async function describeService(desired: DesiredService): Promise<Service> {
  const out = await clients.ecs.send(new DescribeServicesCommand({ cluster: desired.cluster, services: [desired.serviceName] }));
  const service = out.services?.[0];
  expect(service, desired.serviceName).toBeDefined();
  return service as Service;
}

beforeAll(async () => {
  const result = validateSources(await readManifestFiles('manifests', REPO_ROOT));
  expect(result.valid).toBe(true);
  manifests = result.manifests.map((e) => e.manifest);
  services = manifests.filter((m): m is ServiceManifest => m.kind === 'Service');
  scaled = new Set(manifests.flatMap((m) => (m.kind === 'QueueScaler' ? [m.spec.target.service] : [])));
  clients = await simWithClients({ seed: { accountId: '070017891928', region: 'ap-southeast-2', clusters: [], autoScalingGroups: [] } });
  // Clusters from their manifests, then every service from its manifest.
  for (const c of manifests.filter((m): m is ClusterManifest => m.kind === 'Cluster')) await clients.ecs.send(new CreateClusterCommand(desiredCluster(c)));
  for (const m of services) {
    const td = await clients.ecs.send(new RegisterTaskDefinitionCommand(desiredTaskDefinition(m.spec.taskDefinition)));
    await clients.ecs.send(new CreateServiceCommand({ ...desiredOf(m), taskDefinition: td.taskDefinition?.taskDefinitionArn }));
  }
});

afterAll(async () => {
  await clients.close();
});

describe('service round trip through the simulator', () => {
  it('covers every Service of manifests/', () => {
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['berth-controller', 'filot-backend-service', 'filot-ocr-gpu-service']);
  });

  it.each(['berth-controller', 'filot-backend-service', 'filot-ocr-gpu-service'])('%s: a freshly created service shows no diff', async (name) => {
    const desired = desiredOf(named(name));
    expect(diffService(desired, await describeService(desired))).toEqual(NO_DIFF);
  });

  it('a desiredCount changed in git shows exactly that, and applying it converges', async () => {
    const m = named('berth-controller');
    const changed = desiredOf({ ...m, spec: { ...m.spec, desiredCount: 3 } });
    const diff = diffService(changed, await describeService(changed));
    expect(diff).toEqual({ inPlace: [{ path: 'desiredCount', from: 1, to: 3 }], replaceRequired: [], forceNewDeployment: false });

    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(changed, diff)));
    expect(diffService(changed, await describeService(changed)).inPlace).toEqual([]);
    // Back to the manifest's count for the other tests.
    const original = desiredOf(m);
    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(original, diffService(original, await describeService(original)))));
    expect(diffService(original, await describeService(original)).inPlace).toEqual([]);
  });

  it('a deploymentConfiguration changed in git shows exactly that, and applying it converges', async () => {
    const m = named('filot-ocr-gpu-service');
    const deploymentConfiguration = { ...m.spec.deploymentConfiguration, maximumPercent: 150, minimumHealthyPercent: 50 };
    const changed = desiredOf({ ...m, spec: { ...m.spec, deploymentConfiguration } });
    const diff = diffService(changed, await describeService(changed));
    expect(diff).toEqual({
      inPlace: [
        { path: 'deploymentConfiguration.maximumPercent', from: 100, to: 150 },
        { path: 'deploymentConfiguration.minimumHealthyPercent', from: 0, to: 50 },
      ],
      replaceRequired: [],
      forceNewDeployment: false,
    });

    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(changed, diff)));
    expect(diffService(changed, await describeService(changed))).toEqual(NO_DIFF);
    const original = desiredOf(m);
    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(original, diffService(original, await describeService(original)))));
  });

  it('deployment alarms removed in git are turned off, and applying it converges', async () => {
    const m = named('filot-backend-service');
    const { alarms: _alarms, ...withoutAlarms } = m.spec.deploymentConfiguration ?? {};
    const changed = desiredOf({ ...m, spec: { ...m.spec, deploymentConfiguration: withoutAlarms } });
    const diff = diffService(changed, await describeService(changed));
    expect(diff).toEqual({
      inPlace: [{ path: 'deploymentConfiguration.alarms', from: { alarmNames: ['filot-backend-5xx-high'], enable: true, rollback: true }, to: undefined }],
      replaceRequired: [],
      forceNewDeployment: false,
    });
    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(changed, diff)));
    expect(diffService(changed, await describeService(changed))).toEqual(NO_DIFF);
    const original = desiredOf(m);
    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(original, diffService(original, await describeService(original)))));
    expect(diffService(original, await describeService(original))).toEqual(NO_DIFF);
  });

  it('a launchType change lands in replaceRequired', async () => {
    const m = named('berth-controller');
    const changed = desiredOf({ ...m, spec: { ...m.spec, launchType: 'EC2' } });
    const diff = diffService(changed, await describeService(changed));
    expect(diff).toEqual({ inPlace: [], replaceRequired: [{ path: 'launchType', from: 'FARGATE', to: 'EC2' }], forceNewDeployment: false });
  });

  it('a drift made outside git shows as the change that reverts it', async () => {
    const desired = desiredOf(named('berth-controller'));
    await clients.ecs.send(new UpdateServiceCommand({ cluster: desired.cluster, service: desired.serviceName, enableExecuteCommand: true, healthCheckGracePeriodSeconds: 30 }));
    const diff = diffService(desired, await describeService(desired));
    expect(diff.inPlace).toEqual([
      { path: 'enableExecuteCommand', from: true, to: false },
      { path: 'healthCheckGracePeriodSeconds', from: 30, to: 0 },
    ]);
    await clients.ecs.send(new UpdateServiceCommand(serviceUpdateInput(desired, diff)));
    expect(diffService(desired, await describeService(desired)).inPlace).toEqual([]);
  });

  it('the QueueScaler-owned desiredCount is never diffed', async () => {
    const desired = desiredOf(named('filot-ocr-gpu-service'));
    expect(desired).not.toHaveProperty('desiredCount');
    await clients.ecs.send(new UpdateServiceCommand({ cluster: desired.cluster, service: desired.serviceName, desiredCount: 3 }));
    expect(diffService(desired, await describeService(desired))).toEqual(NO_DIFF);
  });
});
