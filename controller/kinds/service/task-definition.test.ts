import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { FieldChange } from '../../engine/plan-types.ts';
import type { ContainerDefinitionSpec, TaskDefinitionSpec } from '../../manifests/types.ts';
import { desiredTaskDefinition, diffTaskDefinition, normalizeTaskDefinition, taskDefinitionsEqual } from './task-definition.ts';
import { bridgeObserved, bridgeSpec, fargateObserved, fargateSpec } from './testdata/task-definitions.ts';

type Patch = Partial<TaskDefinitionSpec>;
type ContainerPatch = Partial<ContainerDefinitionSpec>;

function spec(patch: Patch = {}, container: ContainerPatch = {}, base: TaskDefinitionSpec = fargateSpec): TaskDefinitionSpec {
  const [first, ...rest] = base.containerDefinitions;
  if (!first) throw new Error('fixture without container');
  return { ...base, ...patch, containerDefinitions: [{ ...first, ...container }, ...rest] };
}

function observed(patch: Partial<TaskDefinition> = {}, container: Record<string, unknown> = {}, base: TaskDefinition = fargateObserved): TaskDefinition {
  const [first, ...rest] = base.containerDefinitions ?? [];
  return { ...base, ...patch, containerDefinitions: [{ ...first, ...container }, ...rest] };
}

const C = 'taskDefinition.containerDefinitions[api]';

describe('desiredTaskDefinition', () => {
  it.each<[string, string | number, string]>([
    ['cpu units as a string', '512', '512'],
    ['cpu units as a number', 512, '512'],
    ['vCPUs', '0.5 vCPU', '512'],
    ['vCPUs, lower case, spaces', ' 2 vcpu ', '2048'],
  ])('cpu: %s', (_name, cpu, expected) => {
    expect(desiredTaskDefinition(spec({ cpu })).cpu).toBe(expected);
  });

  it.each<[string, string | number, string]>([
    ['MiB as a string', '2048', '2048'],
    ['MiB as a number', 2048, '2048'],
    ['GB', '2 GB', '2048'],
    ['GB without a space', '0.5GB', '512'],
  ])('memory: %s', (_name, memory, expected) => {
    expect(desiredTaskDefinition(spec({ memory })).memory).toBe(expected);
  });

  it('leaves cpu and memory out when the manifest does', () => {
    const input = desiredTaskDefinition(bridgeSpec);
    expect(input).not.toHaveProperty('cpu');
    expect(input).not.toHaveProperty('memory');
  });

  it('passes everything else through in the AWS shape', () => {
    const input = desiredTaskDefinition(spec({ tags: [{ key: 'app', value: 'filot' }] }, { dockerLabels: { team: 'ocr' } }));
    expect(input.family).toBe('api');
    expect(input.networkMode).toBe('awsvpc');
    expect(input.tags).toEqual([{ key: 'app', value: 'filot' }]);
    expect(input.containerDefinitions?.[0]).toMatchObject({ name: 'api', portMappings: [{ containerPort: 8080 }], dockerLabels: { team: 'ocr' } });
  });
});

describe('diffTaskDefinition: what AWS fills in or rewrites is no change', () => {
  it.each<[string, TaskDefinitionSpec, TaskDefinition]>([
    ['the manifest against its registered revision', fargateSpec, fargateObserved],
    ['cpu as a number', spec({ cpu: 512 }), fargateObserved],
    ['cpu in vCPUs', spec({ cpu: '0.5 vCPU' }), fargateObserved],
    ['memory as a number', spec({ memory: 1024 }), fargateObserved],
    ['memory in GB', spec({ memory: '1 GB' }), fargateObserved],
    ['hostPort given in awsvpc', spec({}, { portMappings: [{ containerPort: 8080, hostPort: 8080 }] }), fargateObserved],
    ['hostPort omitted in the output too', fargateSpec, observed({}, { portMappings: [{ containerPort: 8080, protocol: 'tcp' }] })],
    ['protocol given', spec({}, { portMappings: [{ containerPort: 8080, protocol: 'tcp' }] }), fargateObserved],
    ['essential given', spec({}, { essential: true }), fargateObserved],
    ['container cpu 0 given', spec({}, { cpu: 0 }), fargateObserved],
    ['environment in another order', spec({}, { environment: [...(fargateSpec.containerDefinitions[0]?.environment ?? [])].reverse() }), fargateObserved],
    ['secrets in the output order', spec({}, { secrets: [...(fargateSpec.containerDefinitions[0]?.secrets ?? [])].reverse() }), fargateObserved],
    ['empty lists and maps given', spec({ volumes: [], placementConstraints: [] }, { mountPoints: [], volumesFrom: [], ulimits: [], dockerLabels: {}, links: [] }), fargateObserved],
    ['health check defaults given', spec({}, { healthCheck: { command: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/health || exit 1'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 } }), fargateObserved],
    ['tags given', spec({ tags: [{ key: 'app', value: 'filot' }] }), fargateObserved],
    ['false flags given', spec({ enableFaultInjection: false }, { privileged: false, readonlyRootFilesystem: false, interactive: false, pseudoTerminal: false, disableNetworking: false }), fargateObserved],
    ['versionConsistency enabled given', spec({}, { versionConsistency: 'enabled' }), fargateObserved],
    ['networkMode bridge omitted on EC2', bridgeSpec, bridgeObserved],
    ['networkMode bridge given, omitted in the output', { ...bridgeSpec, networkMode: 'bridge' }, bridgeObserved],
    ['networkMode bridge returned, omitted in the manifest', bridgeSpec, { ...bridgeObserved, networkMode: 'bridge' }],
    ['bridge hostPort 0 given', { ...bridgeSpec, containerDefinitions: [{ name: 'worker', image: 'worker:1', memoryReservation: 256, portMappings: [{ containerPort: 9000, hostPort: 0 }] }] }, bridgeObserved],
    [
      'lists sorted by their natural key',
      spec(
        { requiresCompatibilities: ['FARGATE', 'EC2'] },
        { ulimits: [{ name: 'nproc', softLimit: 1, hardLimit: 1 }, { name: 'nofile', softLimit: 2, hardLimit: 2 }], mountPoints: [{ sourceVolume: 'b', containerPath: '/b' }, { sourceVolume: 'a', containerPath: '/a', readOnly: false }] },
      ),
      observed(
        { requiresCompatibilities: ['EC2', 'FARGATE'] },
        { ulimits: [{ name: 'nofile', softLimit: 2, hardLimit: 2 }, { name: 'nproc', softLimit: 1, hardLimit: 1 }], mountPoints: [{ sourceVolume: 'a', containerPath: '/a' }, { sourceVolume: 'b', containerPath: '/b', readOnly: false }] },
      ),
    ],
    [
      'volumes: host {} and the docker scope default',
      spec({ volumes: [{ name: 'scratch' }, { name: 'cache', dockerVolumeConfiguration: { driver: 'local' } }] }),
      observed({ volumes: [{ name: 'cache', dockerVolumeConfiguration: { scope: 'task', driver: 'local' } }, { name: 'scratch', host: {} }] }),
    ],
    [
      'EFS defaults',
      spec({ volumes: [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }] }),
      observed({ volumes: [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/', transitEncryption: 'DISABLED' } }] }),
    ],
  ])('%s', (_name, desired, live) => {
    expect(diffTaskDefinition(desired, live)).toEqual([]);
    expect(taskDefinitionsEqual(desired, live)).toBe(true);
    // The register input Berth sends compares the same as the manifest.
    expect(diffTaskDefinition(desiredTaskDefinition(desired), live)).toEqual([]);
  });
});

describe('diffTaskDefinition: real differences show one readable change each', () => {
  const image = `111122223333.dkr.ecr.ap-southeast-2.amazonaws.com/api`;
  it.each<[string, TaskDefinitionSpec, FieldChange[]]>([
    ['image tag', spec({}, { image: `${image}:1.0.1` }), [{ path: `${C}.image`, from: `${image}:1.0.0`, to: `${image}:1.0.1` }]],
    [
      'one environment value',
      spec({}, { environment: [{ name: 'NODE_ENV', value: 'production' }, { name: 'LOG_LEVEL', value: 'debug' }] }),
      [{ path: `${C}.environment[LOG_LEVEL].value`, from: 'info', to: 'debug' }],
    ],
    [
      "a secret's valueFrom",
      spec({}, { secrets: [{ name: 'JWT_SECRET', valueFrom: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:jwt-v2' }, { name: 'DATABASE_URL', valueFrom: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:db' }] }),
      [{ path: `${C}.secrets[JWT_SECRET].valueFrom`, from: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:jwt', to: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:jwt-v2' }],
    ],
    ['a port', spec({}, { portMappings: [{ containerPort: 9090 }] }), [{ path: `${C}.portMappings[0].containerPort`, from: 8080, to: 9090 }]],
    ['task cpu', spec({ cpu: '1 vCPU', memory: '2 GB' }), [{ path: 'taskDefinition.cpu', from: '512', to: '1024' }, { path: 'taskDefinition.memory', from: '1024', to: '2048' }]],
    ['essential false', spec({}, { essential: false }), [{ path: `${C}.essential`, from: true, to: false }]],
    ['an added variable', spec({}, { environment: [{ name: 'NODE_ENV', value: 'production' }, { name: 'LOG_LEVEL', value: 'info' }, { name: 'PORT', value: '8080' }] }), [{ path: `${C}.environment[PORT]`, from: undefined, to: { name: 'PORT', value: '8080' } }]],
    ['a removed secret', spec({}, { secrets: [{ name: 'DATABASE_URL', valueFrom: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:db' }] }), [{ path: `${C}.secrets[JWT_SECRET]`, from: { name: 'JWT_SECRET', valueFrom: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:jwt' }, to: undefined }]],
    ['a health check interval', spec({}, { healthCheck: { command: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/health || exit 1'], interval: 10 } }), [{ path: `${C}.healthCheck.interval`, from: 30, to: 10 }]],
    ['a log option', spec({}, { logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api2', 'awslogs-region': 'ap-southeast-2', 'awslogs-stream-prefix': 'ecs' } } }), [{ path: `${C}.logConfiguration.options.awslogs-group`, from: '/ecs/api', to: '/ecs/api2' }]],
    ['a read-only mount', spec({ volumes: [{ name: 'data' }] }, { mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }] }), [
      { path: `${C}.mountPoints`, from: undefined, to: [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }] },
      { path: 'taskDefinition.volumes', from: undefined, to: [{ name: 'data' }] },
    ]],
    ['the execution role', spec({ executionRoleArn: 'arn:aws:iam::111122223333:role/exec2' }), [{ path: 'taskDefinition.executionRoleArn', from: 'arn:aws:iam::111122223333:role/exec', to: 'arn:aws:iam::111122223333:role/exec2' }]],
    ['fault injection on', spec({ enableFaultInjection: true }), [{ path: 'taskDefinition.enableFaultInjection', from: undefined, to: true }]],
  ])('%s', (_name, desired, expected) => {
    expect(diffTaskDefinition(desired, fargateObserved)).toEqual(expected);
    expect(taskDefinitionsEqual(desired, fargateObserved)).toBe(false);
  });

  it('keys lists without names by their natural key', () => {
    const withMounts = spec({ volumes: [{ name: 'a' }, { name: 'b' }] }, { mountPoints: [{ sourceVolume: 'a', containerPath: '/a' }, { sourceVolume: 'b', containerPath: '/b' }] });
    const live = observed({ volumes: [{ name: 'a' }, { name: 'b' }] }, { mountPoints: [{ sourceVolume: 'b', containerPath: '/b', readOnly: true }, { sourceVolume: 'a', containerPath: '/a' }] });
    expect(diffTaskDefinition(withMounts, live)).toEqual([{ path: `${C}.mountPoints[/b].readOnly`, from: true, to: undefined }]);
  });

  it('a change of network mode is one change: the host port it implies is not a field of its own', () => {
    expect(diffTaskDefinition({ ...bridgeSpec, networkMode: 'host' }, bridgeObserved)).toEqual([{ path: 'taskDefinition.networkMode', from: 'bridge', to: 'host' }]);
  });
});

describe('normalizeTaskDefinition', () => {
  it('drops what DescribeTaskDefinition adds and fills in what it leaves out, the same for both sides', () => {
    expect(normalizeTaskDefinition(fargateObserved)).toEqual(normalizeTaskDefinition(fargateSpec));
    expect(normalizeTaskDefinition(fargateObserved)).toEqual({
      family: 'api',
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::111122223333:role/exec',
      containerDefinitions: [
        {
          name: 'api',
          image: '111122223333.dkr.ecr.ap-southeast-2.amazonaws.com/api:1.0.0',
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
          environment: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'NODE_ENV', value: 'production' },
          ],
          secrets: [
            { name: 'DATABASE_URL', valueFrom: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:db' },
            { name: 'JWT_SECRET', valueFrom: 'arn:aws:secretsmanager:ap-southeast-2:111122223333:secret:jwt' },
          ],
          healthCheck: { command: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/health || exit 1'], interval: 30, timeout: 5, retries: 3 },
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'ap-southeast-2', 'awslogs-stream-prefix': 'ecs' } },
        },
      ],
    });
  });

  it('sorts containers by name', () => {
    const two: TaskDefinitionSpec = { ...fargateSpec, containerDefinitions: [{ name: 'z', image: 'z' }, { name: 'a', image: 'a' }] };
    const names = (normalizeTaskDefinition(two)['containerDefinitions'] as { name: string }[]).map((c) => c.name);
    expect(names).toEqual(['a', 'z']);
  });

  it('keeps order-sensitive lists in their order', () => {
    const normalized = normalizeTaskDefinition(spec({}, { command: ['b', 'a'], dnsServers: ['10.0.0.2', '10.0.0.1'] }));
    expect(normalized['containerDefinitions']).toMatchObject([{ command: ['b', 'a'], dnsServers: ['10.0.0.2', '10.0.0.1'] }]);
  });

  it('does not change its input', () => {
    const input = structuredClone(fargateObserved);
    normalizeTaskDefinition(input);
    expect(input).toEqual(fargateObserved);
  });
});
