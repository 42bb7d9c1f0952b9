/**
 * Task definitions through the real SDK and the simulator: what Berth registers, described back,
 * shows no diff, whichever of the many equivalent ways AWS accepts the manifest wrote it; a real
 * difference shows exactly one readable change.
 */
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTaskDefinition, desiredTaskDefinition, taskDefinitionsEqual } from '../../controller/kinds/service/task-definition.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import type { ContainerDefinitionSpec, ServiceManifest, TaskDefinitionSpec } from '../../controller/manifests/types.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const ACCOUNT = '070017891928';
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let clients: SimClients;

beforeAll(async () => {
  clients = await simWithClients({ seed: { accountId: ACCOUNT, region: 'ap-southeast-2', clusters: [], autoScalingGroups: [] } });
});

afterAll(async () => {
  await clients.close();
});

/** Registers what Berth would register for `spec` and describes it back. */
async function registerAndDescribe(spec: TaskDefinitionSpec): Promise<TaskDefinition> {
  const registered = await clients.ecs.send(new RegisterTaskDefinitionCommand(desiredTaskDefinition(spec)));
  const arn = registered.taskDefinition?.taskDefinitionArn;
  expect(arn).toBeDefined();
  const described = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
  expect(described.taskDefinition).toBeDefined();
  return described.taskDefinition as TaskDefinition;
}

const SECRET = (name: string): string => `arn:aws:secretsmanager:ap-southeast-2:${ACCOUNT}:secret:filot/${name}`;
const IMAGE = `${ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/filot-backend`;

/** The Fargate task definition written out in full: every default explicit. */
const fargate: TaskDefinitionSpec = {
  family: 'roundtrip-fargate',
  cpu: '512',
  memory: '2048',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/filot-ecs-task-execution-role`,
  containerDefinitions: [
    {
      name: 'filot-backend',
      image: `${IMAGE}:2024-12-01`,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      environment: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'NODE_ENV', value: 'production' },
        { name: 'PORT', value: '8080' },
      ],
      secrets: [
        { name: 'DATABASE_URL', valueFrom: SECRET('database-url') },
        { name: 'JWT_SECRET', valueFrom: SECRET('jwt-secret') },
      ],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/filot-backend', 'awslogs-region': 'ap-southeast-2', 'awslogs-stream-prefix': 'ecs' } },
    },
  ],
};

/** The EC2 task definition written out in full. */
const bridge: TaskDefinitionSpec = {
  family: 'roundtrip-bridge',
  networkMode: 'bridge',
  requiresCompatibilities: ['EC2'],
  containerDefinitions: [{ name: 'worker', image: 'worker:1', memory: 512, essential: true, portMappings: [{ containerPort: 9000, hostPort: 0, protocol: 'tcp' }] }],
};

function container(spec: TaskDefinitionSpec, patch: Partial<ContainerDefinitionSpec>, drop: readonly (keyof ContainerDefinitionSpec)[] = []): TaskDefinitionSpec {
  const [first] = spec.containerDefinitions;
  if (!first) throw new Error('no container');
  const next: Record<string, unknown> = { ...first, ...patch };
  for (const key of drop) delete next[key];
  return { ...spec, containerDefinitions: [next as unknown as ContainerDefinitionSpec] };
}

function without<K extends keyof TaskDefinitionSpec>(spec: TaskDefinitionSpec, key: K): TaskDefinitionSpec {
  const copy = { ...spec };
  delete copy[key];
  return copy;
}

const fargateContainer = fargate.containerDefinitions[0];

/** Equivalent ways to write each canonical task definition. */
const EQUIVALENT: readonly [string, TaskDefinitionSpec, TaskDefinitionSpec][] = [
  ['written out in full', fargate, fargate],
  ['cpu as a number', fargate, { ...fargate, cpu: 512 }],
  ['cpu in vCPUs', fargate, { ...fargate, cpu: '0.5 vCPU' }],
  ['memory as a number', fargate, { ...fargate, memory: 2048 }],
  ['memory in GB', fargate, { ...fargate, memory: '2 GB' }],
  ['hostPort omitted in awsvpc', fargate, container(fargate, { portMappings: [{ containerPort: 8080, protocol: 'tcp' }] })],
  ['protocol omitted', fargate, container(fargate, { portMappings: [{ containerPort: 8080, hostPort: 8080 }] })],
  ['hostPort and protocol omitted', fargate, container(fargate, { portMappings: [{ containerPort: 8080 }] })],
  ['essential omitted', fargate, container(fargate, {}, ['essential'])],
  ['environment in another order', fargate, container(fargate, { environment: [...(fargateContainer?.environment ?? [])].reverse() })],
  ['secrets in another order', fargate, container(fargate, { secrets: [...(fargateContainer?.secrets ?? [])].reverse() })],
  ['empty lists instead of absent', fargate, container({ ...fargate, volumes: [], placementConstraints: [] }, { mountPoints: [], volumesFrom: [], ulimits: [], systemControls: [], dockerLabels: {} })],
  ['container cpu 0', fargate, container(fargate, { cpu: 0 })],
  ['networkMode bridge omitted on EC2', bridge, without(bridge, 'networkMode')],
  ['bridge hostPort omitted (dynamic)', bridge, container(bridge, { portMappings: [{ containerPort: 9000 }] })],
  ['bridge: everything defaulted omitted', bridge, container(without(bridge, 'networkMode'), { portMappings: [{ containerPort: 9000 }] }, ['essential'])],
];

describe('task definition round trip through the simulator', () => {
  it.each(EQUIVALENT)('%s: no diff against its own revision or the canonical form', async (_name, canonical, variant) => {
    const observed = await registerAndDescribe(variant);
    expect(diffTaskDefinition(variant, observed)).toEqual([]);
    expect(diffTaskDefinition(canonical, observed)).toEqual([]);
    expect(taskDefinitionsEqual(variant, observed)).toBe(true);
  });

  it.each<[string, TaskDefinitionSpec, { path: string; from: unknown; to: unknown }]>([
    ['image tag', container(fargate, { image: `${IMAGE}:2024-12-02` }), { path: 'taskDefinition.containerDefinitions[filot-backend].image', from: `${IMAGE}:2024-12-01`, to: `${IMAGE}:2024-12-02` }],
    [
      'one environment value',
      container(fargate, { environment: [{ name: 'NODE_ENV', value: 'production' }, { name: 'PORT', value: '8080' }, { name: 'LOG_LEVEL', value: 'debug' }] }),
      { path: 'taskDefinition.containerDefinitions[filot-backend].environment[LOG_LEVEL].value', from: 'info', to: 'debug' },
    ],
    [
      "a secret's valueFrom",
      container(fargate, { secrets: [{ name: 'JWT_SECRET', valueFrom: SECRET('jwt-secret-v2') }, { name: 'DATABASE_URL', valueFrom: SECRET('database-url') }] }),
      { path: 'taskDefinition.containerDefinitions[filot-backend].secrets[JWT_SECRET].valueFrom', from: SECRET('jwt-secret'), to: SECRET('jwt-secret-v2') },
    ],
    ['a port', container(fargate, { portMappings: [{ containerPort: 8081 }] }), { path: 'taskDefinition.containerDefinitions[filot-backend].portMappings[0].containerPort', from: 8080, to: 8081 }],
    ['the task memory', { ...fargate, memory: '3 GB' }, { path: 'taskDefinition.memory', from: '2048', to: '3072' }],
  ])('a real difference shows one readable change: %s', async (_name, changed, change) => {
    const observed = await registerAndDescribe(fargate);
    expect(diffTaskDefinition(changed, observed)).toEqual([change]);
    expect(taskDefinitionsEqual(changed, observed)).toBe(false);
  });
});

describe('the production manifests round trip', async () => {
  const result = validateSources(await readManifestFiles('manifests', REPO_ROOT));
  const services = result.manifests.map((e) => e.manifest).filter((m): m is ServiceManifest => m.kind === 'Service');

  it('are valid and hold services', () => {
    expect(result.valid).toBe(true);
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['berth-controller', 'filot-backend-service', 'filot-ocr-gpu-service']);
  });

  it.each(services.map((s) => [s.metadata.name, s] as const))('%s: its registered task definition shows no diff', async (_name, service) => {
    const observed = await registerAndDescribe(service.spec.taskDefinition);
    expect(diffTaskDefinition(service.spec.taskDefinition, observed)).toEqual([]);
    expect(diffTaskDefinition(desiredTaskDefinition(service.spec.taskDefinition), observed)).toEqual([]);
  });
});
