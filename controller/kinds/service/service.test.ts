import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { ServiceManifest } from '../../manifests/types.ts';
import { desiredService, diffService, normalizeService, serviceUpdateInput } from './service.ts';
import type { ServiceDiff } from './service.ts';
import {
  clusterDefaultManifest,
  clusterDefaultObserved,
  codeDeployObserved,
  fargateManifest,
  fargateObserved,
  gpuManifest,
  gpuObserved,
  minimalManifest,
  minimalObserved,
} from './testdata/services.ts';

type Spec = ServiceManifest['spec'];

function manifest(patch: Partial<Spec>, base: ServiceManifest = fargateManifest): ServiceManifest {
  return { ...base, spec: { ...base.spec, ...patch } };
}

const NO_DIFF: ServiceDiff = { inPlace: [], replaceRequired: [], forceNewDeployment: false };

describe('desiredService', () => {
  it('names the service after the manifest unless spec.serviceName says otherwise', () => {
    expect(desiredService(fargateManifest).serviceName).toBe('api');
    expect(desiredService(manifest({ serviceName: 'api-v2' })).serviceName).toBe('api-v2');
  });

  it('takes the managed fields and nothing else', () => {
    expect(desiredService(minimalManifest)).toEqual({
      cluster: 'arn:aws:ecs:ap-southeast-2:111122223333:cluster/web',
      serviceName: 'min',
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a'] } },
    });
    const desired = desiredService(fargateManifest);
    expect(desired).not.toHaveProperty('taskDefinition');
    expect(desired).not.toHaveProperty('tags');
    expect(desired).not.toHaveProperty('region');
  });

  it('leaves desiredCount out when another actor owns it', () => {
    expect(desiredService(fargateManifest, { desiredCountOwnedElsewhere: true })).not.toHaveProperty('desiredCount');
    expect(desiredService(fargateManifest, { desiredCountOwnedElsewhere: false }).desiredCount).toBe(2);
  });
});

describe('diffService: a service as ECS returns it shows no diff', () => {
  it.each<[string, ServiceManifest, Service, boolean]>([
    ['Fargate behind a load balancer, with alarms', fargateManifest, fargateObserved, false],
    ['EC2 GPU worker scaled elsewhere, AZ rebalancing chosen by ECS', gpuManifest, gpuObserved, true],
    ['every default left to ECS', minimalManifest, minimalObserved, false],
    ['no launch type: the cluster default strategy applies', clusterDefaultManifest, clusterDefaultObserved, false],
  ])('%s', (_name, m, observed, scaled) => {
    expect(diffService(desiredService(m, { desiredCountOwnedElsewhere: scaled }), observed)).toEqual(NO_DIFF);
  });

  it('the scaler-owned desiredCount is not compared', () => {
    expect(diffService(desiredService(fargateManifest, { desiredCountOwnedElsewhere: true }), { ...fargateObserved, desiredCount: 7 })).toEqual(NO_DIFF);
  });
});

describe('diffService: in-place changes', () => {
  it.each<[string, ServiceManifest, Service, ServiceDiff['inPlace']]>([
    ['desiredCount drift', fargateManifest, { ...fargateObserved, desiredCount: 5 }, [{ path: 'desiredCount', from: 5, to: 2 }]],
    [
      'deploymentConfiguration',
      manifest({ deploymentConfiguration: { ...fargateManifest.spec.deploymentConfiguration, maximumPercent: 150 } }),
      fargateObserved,
      [{ path: 'deploymentConfiguration.maximumPercent', from: 200, to: 150 }],
    ],
    [
      'alarms removed',
      manifest({ deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } }),
      fargateObserved,
      [{ path: 'deploymentConfiguration.alarms', from: { alarmNames: ['api-5xx-high'], enable: true, rollback: true }, to: undefined }],
    ],
    [
      'a subnet replaced',
      manifest({ networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0c', 'subnet-0a'], securityGroups: ['sg-01'] } } }),
      fargateObserved,
      [{ path: 'networkConfiguration.awsvpcConfiguration.subnets', from: ['subnet-0a', 'subnet-0b'], to: ['subnet-0a', 'subnet-0c'] }],
    ],
    ['ECS Exec turned on outside git', fargateManifest, { ...fargateObserved, enableExecuteCommand: true }, [{ path: 'enableExecuteCommand', from: true, to: false }]],
    ['a pinned platform version', manifest({ platformVersion: '1.4.0' }), fargateObserved, [{ path: 'platformVersion', from: undefined, to: '1.4.0' }]],
    [
      'a load balancer port',
      manifest({ loadBalancers: [{ targetGroupArn: fargateObserved.loadBalancers?.[0]?.targetGroupArn ?? '', containerName: 'api', containerPort: 9090 }] }),
      fargateObserved,
      [
        { path: 'loadBalancers[api:9090]', from: undefined, to: { targetGroupArn: fargateObserved.loadBalancers?.[0]?.targetGroupArn, containerName: 'api', containerPort: 9090 } },
        { path: 'loadBalancers[api:8080]', from: { targetGroupArn: fargateObserved.loadBalancers?.[0]?.targetGroupArn, containerName: 'api', containerPort: 8080 }, to: undefined },
      ],
    ],
    ['placement strategy', manifest({ placementStrategy: [{ type: 'binpack', field: 'cpu' }] }, gpuManifest), gpuObserved, [{ path: 'placementStrategy[0].field', from: 'memory', to: 'cpu' }]],
    ['AZ rebalancing set in git', manifest({ availabilityZoneRebalancing: 'ENABLED' }, gpuManifest), gpuObserved, [{ path: 'availabilityZoneRebalancing', from: 'DISABLED', to: 'ENABLED' }]],
  ])('%s', (_name, m, observed, inPlace) => {
    const scaled = m.spec.desiredCount === undefined;
    expect(diffService(desiredService(m, { desiredCountOwnedElsewhere: scaled }), observed)).toEqual({ inPlace, replaceRequired: [], forceNewDeployment: false });
  });

  it('moving from a launch type to a capacity provider strategy is in place, with a forced deployment', () => {
    const m = manifest({ launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
    expect(diffService(desiredService(m), fargateObserved)).toEqual({
      inPlace: [
        { path: 'capacityProviderStrategy', from: undefined, to: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }] },
        { path: 'launchType', from: 'FARGATE', to: undefined },
      ],
      replaceRequired: [],
      forceNewDeployment: true,
    });
  });

  it('moving from a capacity provider strategy back to the launch type is in place, with a forced deployment', () => {
    const observed: Service = { ...fargateObserved, launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }] };
    const diff = diffService(desiredService(fargateManifest), observed);
    expect(diff.replaceRequired).toEqual([]);
    expect(diff.inPlace.map((c) => c.path)).toEqual(['capacityProviderStrategy', 'launchType']);
    expect(diff.forceNewDeployment).toBe(true);
  });

  it('a changed capacity provider weight is keyed by provider', () => {
    const observed: Service = { ...clusterDefaultObserved };
    const m = manifest({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 3 }] }, clusterDefaultManifest);
    expect(diffService(desiredService(m), observed)).toEqual({
      inPlace: [{ path: 'capacityProviderStrategy[FARGATE_SPOT].weight', from: 1, to: 3 }],
      replaceRequired: [],
      forceNewDeployment: true,
    });
  });
});

describe('diffService: changes UpdateService cannot make', () => {
  it.each<[string, ServiceManifest, Service, string[]]>([
    ['launchType to another launchType', manifest({ launchType: 'EC2' }), fargateObserved, ['launchType']],
    ['schedulingStrategy', manifest({ schedulingStrategy: 'DAEMON' }, gpuManifest), gpuObserved, ['schedulingStrategy']],
    ['deployment controller', manifest({ deploymentController: { type: 'CODE_DEPLOY' } }), fargateObserved, ['deploymentController.type']],
    ['cluster', manifest({ cluster: 'other' }), fargateObserved, ['cluster']],
    ['service name', manifest({ serviceName: 'api-v2' }), fargateObserved, ['serviceName']],
    ['network configuration under CodeDeploy', manifest({ deploymentController: { type: 'CODE_DEPLOY' }, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0c'], securityGroups: ['sg-01'] } } }), codeDeployObserved, ['networkConfiguration.awsvpcConfiguration.subnets']],
  ])('%s', (_name, m, observed, paths) => {
    const scaled = m.spec.desiredCount === undefined;
    const diff = diffService(desiredService(m, { desiredCountOwnedElsewhere: scaled }), observed);
    expect(diff.replaceRequired.map((c) => c.path)).toEqual(paths);
    expect(diff.inPlace).toEqual([]);
  });

  it('a launch type swap is refused with the right values', () => {
    expect(diffService(desiredService(manifest({ launchType: 'EC2' })), fargateObserved).replaceRequired).toEqual([{ path: 'launchType', from: 'FARGATE', to: 'EC2' }]);
  });

  it('under CodeDeploy, what UpdateService does take stays in place', () => {
    const m = manifest({ deploymentController: { type: 'CODE_DEPLOY' }, desiredCount: 4 });
    expect(diffService(desiredService(m), codeDeployObserved)).toEqual({ inPlace: [{ path: 'desiredCount', from: 2, to: 4 }], replaceRequired: [], forceNewDeployment: false });
  });
});

describe('normalizeService', () => {
  it('fills in the DAEMON deployment defaults', () => {
    const daemon = normalizeService({ cluster: 'c', serviceName: 's', schedulingStrategy: 'DAEMON' });
    expect(daemon['deploymentConfiguration']).toEqual({ maximumPercent: 100, minimumHealthyPercent: 0, deploymentCircuitBreaker: { enable: false, rollback: false }, strategy: 'ROLLING' });
  });

  it('reads the cluster name from an ARN on both sides', () => {
    expect(normalizeService(fargateObserved)['cluster']).toBe('web');
    expect(normalizeService(desiredService(minimalManifest))['cluster']).toBe('web');
  });

  it('keeps only managed fields', () => {
    expect(Object.keys(normalizeService(fargateObserved)).sort()).toEqual([
      'availabilityZoneRebalancing',
      'cluster',
      'deploymentConfiguration',
      'deploymentController',
      'desiredCount',
      'enableECSManagedTags',
      'enableExecuteCommand',
      'healthCheckGracePeriodSeconds',
      'launchType',
      'loadBalancers',
      'networkConfiguration',
      'propagateTags',
      'schedulingStrategy',
      'serviceName',
    ]);
  });
});

describe('serviceUpdateInput', () => {
  it('sends the changed fields whole, in canonical form', () => {
    const m = manifest({ desiredCount: 3, deploymentConfiguration: { maximumPercent: 150, alarms: { alarmNames: ['api-5xx-high'], enable: true, rollback: true } } });
    const desired = desiredService(m);
    expect(serviceUpdateInput(desired, diffService(desired, fargateObserved))).toEqual({
      cluster: 'web',
      service: 'api',
      desiredCount: 3,
      deploymentConfiguration: {
        maximumPercent: 150,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: false, rollback: false },
        alarms: { alarmNames: ['api-5xx-high'], enable: true, rollback: true },
        strategy: 'ROLLING',
      },
    });
  });

  it('clears removed lists and alarms explicitly', () => {
    const m = manifest({ loadBalancers: undefined, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } });
    const desired = desiredService(m);
    const input = serviceUpdateInput(desired, diffService(desired, fargateObserved));
    expect(input.loadBalancers).toEqual([]);
    expect(input.deploymentConfiguration?.alarms).toEqual({ alarmNames: [], enable: false, rollback: false });
  });

  it('goes back to the LATEST platform version by naming it', () => {
    const desired = desiredService(manifest({ platformVersion: undefined }));
    const input = serviceUpdateInput(desired, diffService(desired, { ...fargateObserved, platformVersion: '1.4.0' }));
    expect(input).toEqual({ cluster: 'web', service: 'api', platformVersion: 'LATEST' });
  });

  it('goes back to the launch type by clearing the strategy, with a forced deployment', () => {
    const observed: Service = { ...fargateObserved, launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }] };
    const desired = desiredService(fargateManifest);
    const input = serviceUpdateInput(desired, diffService(desired, observed));
    expect(input).toEqual({ cluster: 'web', service: 'api', capacityProviderStrategy: [], forceNewDeployment: true });
  });
});
