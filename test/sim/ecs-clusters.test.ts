/**
 * Cluster updates in the simulated ECS through the real @aws-sdk/client-ecs: UpdateCluster,
 * UpdateClusterSettings and PutClusterCapacityProviders, and what DescribeClusters then returns.
 */
import {
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  InvalidParameterException,
  NamespaceNotFoundException,
  PutClusterCapacityProvidersCommand,
  ResourceInUseException,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import type { Cluster, ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, createFargateService, ecsSim, registerFargate, rejection } from './ecs-helpers.ts';
import type { SimClients } from './helpers.ts';

let s: SimClients;
beforeEach(async () => {
  s = await ecsSim();
});
afterEach(async () => s.close());

async function describeCluster(ecs: ECSClient, name: string, include: ('SETTINGS' | 'CONFIGURATIONS' | 'TAGS')[] = ['SETTINGS', 'CONFIGURATIONS']): Promise<Cluster> {
  const out = await ecs.send(new DescribeClustersCommand({ clusters: [name], include }));
  const cluster = out.clusters?.[0];
  expect(cluster, `cluster ${name}`).toBeDefined();
  return cluster as Cluster;
}

const EXEC_OVERRIDE = {
  executeCommandConfiguration: {
    kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    logging: 'OVERRIDE' as const,
    logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
  },
};
const NAMESPACE_ARN = /^arn:aws:servicediscovery:ap-southeast-2:111122223333:namespace\/ns-[0-9a-f]{16}$/;

describe('UpdateCluster', () => {
  it('sets Container Insights, ECS Exec and the Service Connect namespace; DescribeClusters returns them when asked', async () => {
    const out = await s.ecs.send(
      new UpdateClusterCommand({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'enhanced' }], configuration: EXEC_OVERRIDE, serviceConnectDefaults: { namespace: 'internal' } }),
    );
    expect(out.cluster).toMatchObject({ clusterName: 'web', settings: [{ name: 'containerInsights', value: 'enhanced' }], configuration: EXEC_OVERRIDE });
    const namespace = out.cluster?.serviceConnectDefaults?.namespace ?? '';
    expect(namespace).toMatch(NAMESPACE_ARN);

    const full = await describeCluster(s.ecs, 'web');
    expect(full.settings).toEqual([{ name: 'containerInsights', value: 'enhanced' }]);
    expect(full.configuration).toEqual(EXEC_OVERRIDE);
    expect(full.serviceConnectDefaults).toEqual({ namespace });
    // Settings and configuration only on request; the Service Connect defaults always.
    const plain = await describeCluster(s.ecs, 'web', []);
    expect(plain).not.toHaveProperty('settings');
    expect(plain).not.toHaveProperty('configuration');
    expect(plain.serviceConnectDefaults).toEqual({ namespace });
    expect((await describeCluster(s.ecs, 'web', ['SETTINGS'])).configuration).toBeUndefined();
    expect((await describeCluster(s.ecs, 'web', ['CONFIGURATIONS'])).settings).toBeUndefined();
  });

  it('changes only what it is given, and keeps a namespace name to the same ARN', async () => {
    await s.ecs.send(new UpdateClusterCommand({ cluster: 'web', configuration: EXEC_OVERRIDE, serviceConnectDefaults: { namespace: 'internal' } }));
    const first = (await describeCluster(s.ecs, 'web')).serviceConnectDefaults?.namespace;
    await s.ecs.send(new UpdateClusterCommand({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    const after = await describeCluster(s.ecs, 'web');
    expect(after.configuration).toEqual(EXEC_OVERRIDE);
    expect(after.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    expect(after.serviceConnectDefaults?.namespace).toBe(first);

    await s.ecs.send(new UpdateClusterCommand({ cluster: 'web', serviceConnectDefaults: { namespace: 'internal' } }));
    expect((await describeCluster(s.ecs, 'web')).serviceConnectDefaults?.namespace).toBe(first);
    // An ARN is kept as given; an empty namespace removes the defaults.
    const arn = `arn:aws:servicediscovery:${REGION}:${ACCOUNT}:namespace/ns-0123456789abcdef`;
    await s.ecs.send(new UpdateClusterCommand({ cluster: 'web', serviceConnectDefaults: { namespace: arn } }));
    expect((await describeCluster(s.ecs, 'web')).serviceConnectDefaults).toEqual({ namespace: arn });
    await s.ecs.send(new UpdateClusterCommand({ cluster: 'web', serviceConnectDefaults: { namespace: '' } }));
    expect(await describeCluster(s.ecs, 'web')).not.toHaveProperty('serviceConnectDefaults');
    // Logging back to DEFAULT replaces the whole ECS Exec configuration.
    await s.ecs.send(new UpdateClusterCommand({ cluster: 'web', configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } } }));
    expect((await describeCluster(s.ecs, 'web')).configuration).toEqual({ executeCommandConfiguration: { logging: 'DEFAULT' } });
  });

  it('rejects what AWS rejects, and a rejected update changes nothing', async () => {
    const update = (input: Omit<ConstructorParameters<typeof UpdateClusterCommand>[0], 'cluster'>) =>
      rejection(s.ecs.send(new UpdateClusterCommand({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'enabled' }], ...input })), InvalidParameterException);
    const logWithoutOverride = await update({ configuration: { executeCommandConfiguration: { logging: 'NONE', logConfiguration: { cloudWatchLogGroupName: '/ecs/exec' } } } });
    expect(logWithoutOverride.message).toBe("You must set logging to 'OVERRIDE' when you supply a log configuration.");
    // logging defaults to DEFAULT: a log configuration alone is refused too.
    const logAlone = await update({ configuration: { executeCommandConfiguration: { logConfiguration: { s3BucketName: 'exec-logs' } } } });
    expect(logAlone.message).toBe("You must set logging to 'OVERRIDE' when you supply a log configuration.");
    await update({ configuration: { executeCommandConfiguration: { logging: 'OVERRIDE' } } });
    await update({ settings: [{ name: 'containerInsights', value: 'sometimes' }] });
    await update({ serviceConnectDefaults: { namespace: 'a/b' } });
    await rejection(
      s.ecs.send(new UpdateClusterCommand({ cluster: 'web', serviceConnectDefaults: { namespace: `arn:aws:servicediscovery:us-east-1:${ACCOUNT}:namespace/ns-0123456789abcdef` } })),
      NamespaceNotFoundException,
    );
    const untouched = await describeCluster(s.ecs, 'web');
    expect(untouched.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
    expect(untouched).not.toHaveProperty('configuration');
    expect(untouched).not.toHaveProperty('serviceConnectDefaults');

    const missing = await rejection(s.ecs.send(new UpdateClusterCommand({ cluster: 'nope', settings: [{ name: 'containerInsights', value: 'enabled' }] })), ClusterNotFoundException);
    expect(missing.message).toBe('Cluster not found.');
  });

  it('CreateCluster keeps the same members, checked the same way', async () => {
    const created = await s.ecs.send(
      new CreateClusterCommand({
        clusterName: 'batch',
        configuration: EXEC_OVERRIDE,
        serviceConnectDefaults: { namespace: 'batch' },
        capacityProviders: ['FARGATE_SPOT', 'FARGATE'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 4 }],
      }),
    );
    expect(created.cluster).toMatchObject({
      configuration: EXEC_OVERRIDE,
      capacityProviders: ['FARGATE_SPOT', 'FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 4, base: 0 }],
    });
    expect(created.cluster?.serviceConnectDefaults?.namespace).toMatch(NAMESPACE_ARN);
    expect((await describeCluster(s.ecs, 'batch')).configuration).toEqual(EXEC_OVERRIDE);
    const bad = await rejection(s.ecs.send(new CreateClusterCommand({ clusterName: 'asg', capacityProviders: ['my-asg-provider'], defaultCapacityProviderStrategy: [] })), InvalidParameterException);
    expect(bad.message).toBe('The specified capacity provider was not found. Specify a valid capacity provider and try again.');
    expect((await s.ecs.send(new DescribeClustersCommand({ clusters: ['asg'] }))).failures).toHaveLength(1);
  });
});

describe('UpdateClusterSettings', () => {
  it('sets Container Insights and returns the cluster with its settings', async () => {
    const out = await s.ecs.send(new UpdateClusterSettingsCommand({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    expect(out.cluster).toMatchObject({ clusterName: 'web', settings: [{ name: 'containerInsights', value: 'enabled' }] });
    expect((await describeCluster(s.ecs, 'web')).settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    await rejection(s.ecs.send(new UpdateClusterSettingsCommand({ cluster: 'web', settings: [] })), InvalidParameterException);
    await rejection(s.ecs.send(new UpdateClusterSettingsCommand({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'on' }] })), InvalidParameterException);
    await rejection(s.ecs.send(new UpdateClusterSettingsCommand({ cluster: 'nope', settings: [{ name: 'containerInsights', value: 'enabled' }] })), ClusterNotFoundException);
    expect((await describeCluster(s.ecs, 'web')).settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
  });
});

describe('PutClusterCapacityProviders', () => {
  it('associates the Fargate providers and sets the default strategy, with weight and base filled in', async () => {
    const out = await s.ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'web',
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }],
      }),
    );
    const expected = {
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1, base: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
      ],
    };
    expect(out.cluster).toMatchObject({ clusterName: 'web', ...expected });
    expect(await describeCluster(s.ecs, 'web', [])).toMatchObject(expected);
    // Empty lists take everything away again.
    await s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: [], defaultCapacityProviderStrategy: [] }));
    expect(await describeCluster(s.ecs, 'web', [])).toMatchObject({ capacityProviders: [], defaultCapacityProviderStrategy: [] });
  });

  it('rejects unknown providers, a default strategy of providers not associated, and bad weights', async () => {
    const put = (capacityProviders: string[], defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[]) =>
      rejection(s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders, defaultCapacityProviderStrategy })), InvalidParameterException);
    expect((await put(['FARGATE', 'my-asg-provider'], [])).message).toBe('The specified capacity provider was not found. Specify a valid capacity provider and try again.');
    expect((await put(['FARGATE'], [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }])).message).toBe(
      'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
    );
    await put(['FARGATE'], [{ capacityProvider: 'FARGATE', weight: 1001 }]);
    await put(['FARGATE'], [{ capacityProvider: 'FARGATE', base: -1 }]);
    await put(['FARGATE', 'FARGATE_SPOT'], [
      { capacityProvider: 'FARGATE', base: 1 },
      { capacityProvider: 'FARGATE_SPOT', base: 2 },
    ]);
    // Both members are required (an empty list is how to ask for none).
    await rejection(s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: undefined })), InvalidParameterException);
    await rejection(s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'nope', capacityProviders: [], defaultCapacityProviderStrategy: [] })), ClusterNotFoundException);
    expect(await describeCluster(s.ecs, 'web', [])).toMatchObject({ capacityProviders: [], defaultCapacityProviderStrategy: [] });
  });

  it('refuses to take away a provider a service uses, until the service is gone', async () => {
    await s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [] }));
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 1, { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
    s.sim.advance(30);
    const inUse = await rejection(
      s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] })),
      ResourceInUseException,
    );
    expect(inUse.message).toBe('The specified capacity provider is in use and cannot be removed.');
    // Another provider can go.
    await s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: ['FARGATE_SPOT'], defaultCapacityProviderStrategy: [] }));
    await s.ecs.send(new DeleteServiceCommand({ cluster: 'web', service: 'api', force: true }));
    s.sim.advance(30);
    await s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: [], defaultCapacityProviderStrategy: [] }));
    expect((await describeCluster(s.ecs, 'web', [])).capacityProviders).toEqual([]);
  });
});
