import type { Cluster } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { FieldChange } from '../../engine/plan-types.ts';
import type { ClusterManifest } from '../../manifests/types.ts';
import { desiredCluster, diffCluster, normalizeCluster } from './cluster.ts';

const ACCOUNT = '111122223333';

const manifest: ClusterManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'Cluster',
  metadata: { name: 'web' },
  spec: {
    settings: [{ name: 'containerInsights', value: 'enhanced' }],
    capacityProviders: ['FARGATE_SPOT', 'FARGATE'],
    defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    tags: [{ key: 'app', value: 'filot' }],
  },
};

/** {@link manifest} as DescribeClusters (with SETTINGS, CONFIGURATIONS and TAGS) returns it. */
const observed: Cluster = {
  clusterArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:cluster/web`,
  clusterName: 'web',
  status: 'ACTIVE',
  registeredContainerInstancesCount: 0,
  runningTasksCount: 3,
  pendingTasksCount: 0,
  activeServicesCount: 2,
  statistics: [],
  tags: [{ key: 'app', value: 'filot' }],
  settings: [{ name: 'containerInsights', value: 'enhanced' }],
  capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
  defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
  attachments: [],
};

/** A cluster made with nothing but its name, as DescribeClusters returns it. */
const bare: Cluster = {
  clusterArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:cluster/bare`,
  clusterName: 'bare',
  status: 'ACTIVE',
  settings: [{ name: 'containerInsights', value: 'disabled' }],
  capacityProviders: [],
  defaultCapacityProviderStrategy: [],
  configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
};

function withSpec(spec: Partial<ClusterManifest['spec']>, name = 'web'): ClusterManifest {
  return { ...manifest, metadata: { name }, spec: { ...manifest.spec, ...spec } };
}

describe('desiredCluster', () => {
  it('is the CreateCluster input of the managed fields, named after the manifest', () => {
    expect(desiredCluster(manifest)).toEqual({
      clusterName: 'web',
      settings: [{ name: 'containerInsights', value: 'enhanced' }],
      capacityProviders: ['FARGATE_SPOT', 'FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
    expect(desiredCluster(withSpec({ clusterName: 'web-prod' })).clusterName).toBe('web-prod');
  });
});

describe('diffCluster', () => {
  it.each<[string, ClusterManifest, Cluster]>([
    ['a cluster as ECS returns it', manifest, observed],
    ['a bare cluster against a manifest that sets nothing', { ...manifest, metadata: { name: 'bare' }, spec: {} }, bare],
    ['execute-command logging DEFAULT spelled out', withSpec({ configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } } }), { ...observed, configuration: { executeCommandConfiguration: {} } }],
    ['settings left to the account default', withSpec({ settings: undefined }), { ...observed, settings: [{ name: 'containerInsights', value: 'enabled' }] }],
    [
      'a Service Connect namespace named in git, returned as an ARN',
      withSpec({ serviceConnectDefaults: { namespace: 'filot' } }),
      { ...observed, serviceConnectDefaults: { namespace: `arn:aws:servicediscovery:ap-southeast-2:${ACCOUNT}:namespace/ns-abc` } },
    ],
  ])('no change: %s', (_name, m, live) => {
    expect(diffCluster(desiredCluster(m), live)).toEqual([]);
  });

  it.each<[string, ClusterManifest, Cluster, FieldChange[]]>([
    ['Container Insights changed', withSpec({ settings: [{ name: 'containerInsights', value: 'enabled' }] }), observed, [{ path: 'settings[containerInsights].value', from: 'enhanced', to: 'enabled' }]],
    ['a capacity provider added', withSpec({ capacityProviders: ['FARGATE', 'FARGATE_SPOT', 'gpu-asg'] }), observed, [{ path: 'capacityProviders', from: ['FARGATE', 'FARGATE_SPOT'], to: ['FARGATE', 'FARGATE_SPOT', 'gpu-asg'] }]],
    [
      'a default strategy weight',
      withSpec({ defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 2 }] }),
      observed,
      [{ path: 'defaultCapacityProviderStrategy[FARGATE].weight', from: 1, to: 2 }],
    ],
    [
      'execute-command logging overridden',
      withSpec({ configuration: { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: '/ecs/exec' } } } }),
      observed,
      [{ path: 'configuration', from: undefined, to: { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: '/ecs/exec' } } } }],
    ],
    ['Service Connect namespace missing', withSpec({ serviceConnectDefaults: { namespace: 'filot' } }), observed, [{ path: 'serviceConnectDefaults', from: undefined, to: { namespace: 'filot' } }]],
  ])('%s', (_name, m, live, expected) => {
    expect(diffCluster(desiredCluster(m), live)).toEqual(expected);
  });

  it('ignores tags: ownership and manifest tags are compared elsewhere', () => {
    expect(diffCluster(desiredCluster(manifest), { ...observed, tags: [{ key: 'other', value: 'x' }] })).toEqual([]);
  });
});

describe('normalizeCluster', () => {
  it('keeps only the managed fields, sorted, with defaults filled in', () => {
    expect(normalizeCluster(observed)).toEqual({
      clusterName: 'web',
      settings: [{ name: 'containerInsights', value: 'enhanced' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
    });
  });
});
