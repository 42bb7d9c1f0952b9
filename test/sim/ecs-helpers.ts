/** Shared set-up for the ECS simulator tests: a seeded simulator and a few SDK calls they all make. */
import { CreateServiceCommand, DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { CreateServiceCommandInput, ECSClient, RegisterTaskDefinitionCommandInput, Service, Task } from '@aws-sdk/client-ecs';
import { expect } from 'vitest';
import type { SimBehaviour } from '../../sim/world.ts';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'ap-southeast-2';
export const SUBNETS = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0a1b2c3d'] } };

/** A simulator with the given clusters and no Auto Scaling group. */
export function ecsSim(options: { clusters?: readonly string[]; behaviour?: Partial<SimBehaviour>; maxAttempts?: number } = {}): Promise<SimClients> {
  return simWithClients({
    seed: { accountId: ACCOUNT, region: REGION, clusters: (options.clusters ?? ['web']).map((name) => ({ name })), autoScalingGroups: [], ...(options.behaviour && { behaviour: options.behaviour }) },
    ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
  });
}

export function arn(resource: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:${resource}`;
}

/** A Fargate task definition of one container. */
export async function registerFargate(ecs: ECSClient, family: string, image = 'nginx:1.27', extra: Partial<RegisterTaskDefinitionCommandInput> = {}): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image, portMappings: [{ containerPort: 8080 }] }],
      ...extra,
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

/** An EC2 task definition for the GPU worker: bridge mode, one GPU, memberOf g5 instances. */
export async function registerGpuWorker(ecs: ECSClient, family = 'ocr', extra: Partial<RegisterTaskDefinitionCommandInput> = {}): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      cpu: '2048',
      memory: '8192',
      containerDefinitions: [{ name: 'worker', image: '070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/ocr:1', resourceRequirements: [{ type: 'GPU', value: '1' }] }],
      ...extra,
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

export async function createFargateService(ecs: ECSClient, name: string, taskDefinition: string, desiredCount: number, extra: Partial<CreateServiceCommandInput> = {}): Promise<Service> {
  const out = await ecs.send(
    new CreateServiceCommand({ cluster: 'web', serviceName: name, taskDefinition, desiredCount, launchType: 'FARGATE', networkConfiguration: SUBNETS, ...extra }),
  );
  return out.service ?? {};
}

export async function describeService(ecs: ECSClient, name: string, cluster = 'web'): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }));
  const service = out.services?.[0];
  expect(service, `service ${name}`).toBeDefined();
  return service as Service;
}

/** The service's tasks (desired RUNNING unless told otherwise), described. */
export async function serviceTasks(ecs: ECSClient, serviceName: string, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING', cluster = 'web'): Promise<Task[]> {
  const list = await ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus }));
  if (!list.taskArns?.length) return [];
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: list.taskArns }));
  return out.tasks ?? [];
}

/** The rejection of `promise`, checked to be of the SDK's exception class `type`. */
export async function rejection<T>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

/** What `sim.ecs.registerContainerInstance` takes, for a g5.xlarge with one NVIDIA A10G. */
export function g5Instance(ec2InstanceId: string, cluster = 'gpu', gpuIds: readonly string[] = [`GPU-${ec2InstanceId}-0`]) {
  return { region: REGION, cluster, ec2InstanceId, instanceType: 'g5.xlarge', availabilityZone: `${REGION}a`, cpu: 4096, memory: 15578, gpuIds };
}
