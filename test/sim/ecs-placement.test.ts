/**
 * EC2 task placement in the simulated ECS, through the real @aws-sdk/client-ecs. Container
 * instances are registered by calling the ECS side's hook directly (the Auto Scaling simulator
 * calls the same hook when an instance is InService). EC2 tasks run 5 s after placement.
 */
import {
  CreateServiceCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { CreateServiceCommandInput } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { arn, describeService, ecsSim, g5Instance, registerGpuWorker, REGION, serviceTasks } from './ecs-helpers.ts';
import type { SimClients } from './helpers.ts';

const NO_INSTANCES =
  '(service ocr) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

function closestMatch(containerInstanceArn: string, reason: string): string {
  const id = containerInstanceArn.split('/').pop() ?? '';
  return `(service ocr) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${id}) ${reason}. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`;
}

let s: SimClients;
beforeEach(async () => {
  s = await ecsSim({ clusters: ['gpu'] });
});
afterEach(async () => s.close());

/** The GPU worker service as the manifests describe it: memberOf g5, 100 % / 0 %. */
async function createOcrService(desiredCount: number, extra: Partial<CreateServiceCommandInput> = {}): Promise<void> {
  await s.ecs.send(
    new CreateServiceCommand({
      cluster: 'gpu',
      serviceName: 'ocr',
      taskDefinition: 'ocr',
      desiredCount,
      launchType: 'EC2',
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g5.*' }],
      placementStrategy: [{ type: 'binpack', field: 'memory' }],
      deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0, deploymentCircuitBreaker: { enable: true, rollback: true } },
      ...extra,
    }),
  );
}

function register(instance: ReturnType<typeof g5Instance>): string {
  const ciArn = s.sim.ecs.registerContainerInstance(instance);
  expect(ciArn).toMatch(/^arn:aws:ecs:ap-southeast-2:111122223333:container-instance\/gpu\/[0-9a-f]{32}$/);
  return ciArn ?? '';
}

describe('ECS EC2 placement', () => {
  it('places no task without a container instance: the service logs why, once, and waits', async () => {
    await registerGpuWorker(s.ecs);
    await createOcrService(1);
    s.sim.advance(5);
    const waiting = await describeService(s.ecs, 'ocr', 'gpu');
    expect(waiting.events?.[0]?.message).toBe(NO_INSTANCES);
    // AWS never creates the task: nothing pending, nothing to list.
    expect(waiting).toMatchObject({ desiredCount: 1, runningCount: 0, pendingCount: 0 });
    expect((await s.ecs.send(new ListTasksCommand({ cluster: 'gpu' }))).taskArns).toEqual([]);
    s.sim.advance(600);
    const later = await describeService(s.ecs, 'ocr', 'gpu');
    expect(later.events?.filter((e) => e.message === NO_INSTANCES)).toHaveLength(1);
  });

  it('places the task as soon as a g5.xlarge registers, gives it the GPU, and runs it', async () => {
    await registerGpuWorker(s.ecs);
    await createOcrService(1);
    s.sim.advance(30);
    const ciArn = register(g5Instance('i-0aaa'));
    expect(s.sim.history.find((e) => e.type === 'container-instance-registered')?.detail).toMatchObject({ ec2InstanceId: 'i-0aaa', instanceType: 'g5.xlarge', cluster: 'gpu' });

    const placed = await describeService(s.ecs, 'ocr', 'gpu');
    expect(placed).toMatchObject({ pendingCount: 1, runningCount: 0 });
    const [pending] = await serviceTasks(s.ecs, 'ocr', 'RUNNING', 'gpu');
    expect(pending).toMatchObject({ lastStatus: 'PENDING', containerInstanceArn: ciArn, launchType: 'EC2', availabilityZone: `${REGION}a` });
    expect(pending?.containers?.[0]?.gpuIds).toEqual(['GPU-i-0aaa-0']);

    s.sim.advance(5);
    expect(await describeService(s.ecs, 'ocr', 'gpu')).toMatchObject({ runningCount: 1, pendingCount: 0 });
    expect(s.sim.history.find((e) => e.type === 'task-started')?.detail).toMatchObject({ instance: 'i-0aaa', service: 'ocr' });
    expect(s.sim.ecs.tasksOnInstance(REGION, 'i-0aaa')).toBe(1);

    const described = await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'gpu', containerInstances: [ciArn] }));
    const ci = described.containerInstances?.[0];
    expect(ci).toMatchObject({ ec2InstanceId: 'i-0aaa', status: 'ACTIVE', agentConnected: true, runningTasksCount: 1, pendingTasksCount: 0 });
    const resource = (list: typeof ci extends undefined ? never : NonNullable<typeof ci>['remainingResources'], name: string) => list?.find((r) => r.name === name);
    expect(resource(ci?.registeredResources, 'GPU')?.stringSetValue).toEqual(['GPU-i-0aaa-0']);
    expect(resource(ci?.remainingResources, 'GPU')?.stringSetValue).toEqual([]);
    expect(resource(ci?.registeredResources, 'CPU')?.integerValue).toBe(4096);
    expect(resource(ci?.remainingResources, 'CPU')?.integerValue).toBe(2048);
    expect(resource(ci?.remainingResources, 'MEMORY')?.integerValue).toBe(15578 - 8192);
    expect(ci?.attributes).toEqual(
      expect.arrayContaining([
        { name: 'ecs.instance-type', value: 'g5.xlarge' },
        { name: 'ecs.availability-zone', value: `${REGION}a` },
        { name: 'ecs.os-type', value: 'linux' },
        { name: 'ecs.cpu-architecture', value: 'x86_64' },
      ]),
    );
  });

  it('accounts for GPUs: a second 1-GPU task does not fit on a 1-GPU instance', async () => {
    // Small enough that CPU and memory would fit two: the GPU is what runs out.
    await registerGpuWorker(s.ecs, 'ocr', { cpu: '1024', memory: '4096' });
    await createOcrService(2);
    const first = register(g5Instance('i-0aaa'));
    s.sim.advance(10);
    const service = await describeService(s.ecs, 'ocr', 'gpu');
    expect(service).toMatchObject({ runningCount: 1, pendingCount: 0 });
    expect(service.events?.[0]?.message).toBe(closestMatch(first, 'has insufficient GPU available'));
    const second = register(g5Instance('i-0bbb'));
    s.sim.advance(10);
    expect((await describeService(s.ecs, 'ocr', 'gpu')).runningCount).toBe(2);
    const tasks = await serviceTasks(s.ecs, 'ocr', 'RUNNING', 'gpu');
    expect(tasks.map((t) => t.containerInstanceArn).sort()).toEqual([first, second].sort());
    const onSecond = await s.ecs.send(new ListTasksCommand({ cluster: 'gpu', containerInstance: second.split('/').pop() }));
    expect(onSecond.taskArns).toEqual(tasks.filter((t) => t.containerInstanceArn === second).map((t) => t.taskArn));
  });

  it('places a waiting service when another service frees the GPU', async () => {
    await registerGpuWorker(s.ecs);
    await s.ecs.send(new CreateServiceCommand({ cluster: 'gpu', serviceName: 'hog', taskDefinition: 'ocr', desiredCount: 1, launchType: 'EC2' }));
    register(g5Instance('i-0aaa'));
    s.sim.advance(10);
    await createOcrService(1);
    s.sim.advance(10);
    expect((await describeService(s.ecs, 'ocr', 'gpu')).runningCount).toBe(0);
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'gpu', service: 'hog', desiredCount: 0 }));
    s.sim.advance(2);
    // The hog's task stopped (after 2 s) and gave its GPU back; ocr's task was placed right then.
    expect((await describeService(s.ecs, 'ocr', 'gpu')).pendingCount).toBe(1);
    s.sim.advance(5);
    expect((await describeService(s.ecs, 'ocr', 'gpu')).runningCount).toBe(1);
  });

  it('keeps memberOf g5.* tasks off a t3 instance', async () => {
    await s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ocr', containerDefinitions: [{ name: 'w', image: 'ocr:1', memory: 512 }] }));
    await createOcrService(1);
    const t3 = register({ ...g5Instance('i-0t3'), instanceType: 't3.xlarge', gpuIds: [] });
    s.sim.advance(10);
    const service = await describeService(s.ecs, 'ocr', 'gpu');
    expect(service.runningCount).toBe(0);
    expect(service.events?.[0]?.message).toBe(closestMatch(t3, 'encountered error "MemberOf placement constraint unsatisfied."'));
    const g5 = register(g5Instance('i-0g5'));
    s.sim.advance(10);
    const [task] = await serviceTasks(s.ecs, 'ocr', 'RUNNING', 'gpu');
    expect(task).toMatchObject({ containerInstanceArn: g5, lastStatus: 'RUNNING' });
  });

  it('matches an exact instance type with == in a task definition constraint', async () => {
    await s.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'ocr',
        containerDefinitions: [{ name: 'w', image: 'ocr:1', memory: 512 }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == g5.xlarge' }],
      }),
    );
    await s.ecs.send(new CreateServiceCommand({ cluster: 'gpu', serviceName: 'ocr', taskDefinition: 'ocr', desiredCount: 1, launchType: 'EC2' }));
    register({ ...g5Instance('i-0big'), instanceType: 'g5.2xlarge' });
    s.sim.advance(10);
    expect((await describeService(s.ecs, 'ocr', 'gpu')).runningCount).toBe(0);
    const exact = register(g5Instance('i-0exact'));
    s.sim.advance(10);
    expect((await serviceTasks(s.ecs, 'ocr', 'RUNNING', 'gpu'))[0]?.containerInstanceArn).toBe(exact);
  });

  it('puts each task on its own instance with distinctInstance', async () => {
    await s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ocr', containerDefinitions: [{ name: 'w', image: 'ocr:1', memory: 512 }] }));
    await createOcrService(2, { placementConstraints: [{ type: 'distinctInstance' }] });
    const only = register(g5Instance('i-0aaa'));
    s.sim.advance(10);
    const service = await describeService(s.ecs, 'ocr', 'gpu');
    expect(service.runningCount).toBe(1);
    expect(service.events?.[0]?.message).toBe(closestMatch(only, 'encountered error "DistinctInstance placement constraint unsatisfied."'));
  });

  it('reports insufficient memory and taken host ports', async () => {
    await s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'big', containerDefinitions: [{ name: 'w', image: 'w:1', memory: 20000 }] }));
    await s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ocr', containerDefinitions: [{ name: 'w', image: 'w:1', memory: 256, portMappings: [{ containerPort: 80, hostPort: 80 }] }] }));
    const ci = register(g5Instance('i-0aaa'));
    await s.ecs.send(new CreateServiceCommand({ cluster: 'gpu', serviceName: 'big', taskDefinition: 'big', desiredCount: 1, launchType: 'EC2' }));
    await createOcrService(2, { placementConstraints: [] });
    s.sim.advance(10);
    const big = await describeService(s.ecs, 'big', 'gpu');
    expect(big.events?.[0]?.message).toBe(closestMatch(ci, 'has insufficient memory available').replace('(service ocr)', '(service big)'));
    const ocr = await describeService(s.ecs, 'ocr', 'gpu');
    expect(ocr.runningCount).toBe(1);
    expect(ocr.events?.[0]?.message).toBe(closestMatch(ci, 'is already using a port required by your task'));
    const described = await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'gpu', containerInstances: [ci] }));
    expect(described.containerInstances?.[0]?.remainingResources?.find((r) => r.name === 'PORTS')?.stringSetValue).toContain('80');
  });

  it('deploys a new revision on a single GPU: the old task stops first, then the new one takes the GPU', async () => {
    await registerGpuWorker(s.ecs);
    const v2 = await registerGpuWorker(s.ecs);
    await createOcrService(1, { taskDefinition: 'ocr:1' });
    register(g5Instance('i-0aaa'));
    s.sim.advance(10);
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'gpu', service: 'ocr', taskDefinition: 'ocr:2' }));
    s.sim.advance(1);
    expect(await describeService(s.ecs, 'ocr', 'gpu')).toMatchObject({ runningCount: 0, pendingCount: 0 });
    s.sim.advance(1);
    const [replacement] = await serviceTasks(s.ecs, 'ocr', 'RUNNING', 'gpu');
    expect(replacement).toMatchObject({ taskDefinitionArn: v2, lastStatus: 'PENDING' });
    expect(replacement?.containers?.[0]?.gpuIds).toEqual(['GPU-i-0aaa-0']);
    s.sim.advance(5);
    const done = await describeService(s.ecs, 'ocr', 'gpu');
    expect(done.deployments?.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([[v2, 'COMPLETED']]);
  });
});

describe('ECS container instances', () => {
  it('stops the tasks of a terminated instance and drops the instance from the cluster', async () => {
    await registerGpuWorker(s.ecs);
    await createOcrService(1);
    const ciArn = register(g5Instance('i-0aaa'));
    s.sim.advance(10);
    const [task] = await serviceTasks(s.ecs, 'ocr', 'RUNNING', 'gpu');

    s.sim.ecs.deregisterContainerInstance(REGION, 'i-0aaa');
    expect(s.sim.ecs.tasksOnInstance(REGION, 'i-0aaa')).toBe(0);
    const [stopped] = await serviceTasks(s.ecs, 'ocr', 'STOPPED', 'gpu');
    expect(stopped).toMatchObject({ taskArn: task?.taskArn, lastStatus: 'STOPPED', stoppedReason: 'Host EC2 (instance i-0aaa) terminated.' });
    expect(s.sim.history.find((e) => e.type === 'task-stopped')?.detail).toMatchObject({ taskArn: task?.taskArn, instance: 'i-0aaa', reason: 'Host EC2 (instance i-0aaa) terminated.' });
    expect(s.sim.history.find((e) => e.type === 'container-instance-deregistered')?.detail).toMatchObject({ ec2InstanceId: 'i-0aaa', containerInstanceArn: ciArn });

    const service = await describeService(s.ecs, 'ocr', 'gpu');
    expect(service).toMatchObject({ runningCount: 0, pendingCount: 0 });
    // The replacement has nowhere to go.
    expect(service.events?.[0]?.message).toBe(NO_INSTANCES);
    expect((await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu' }))).containerInstanceArns).toEqual([]);
    const described = await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'gpu', containerInstances: [ciArn] }));
    expect(described.containerInstances?.[0]).toMatchObject({ status: 'INACTIVE', agentConnected: false });
  });

  it('lists instances by status and cluster query language filter, paginated', async () => {
    const a = register(g5Instance('i-0aaa'));
    const b = register({ ...g5Instance('i-0bbb'), instanceType: 't3.large', gpuIds: [] });
    const c = register(g5Instance('i-0ccc'));
    const all = await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu' }));
    expect(all.containerInstanceArns).toEqual([a, b, c]);
    const g5 = await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu', filter: 'attribute:ecs.instance-type =~ g5.*' }));
    expect(g5.containerInstanceArns).toEqual([a, c]);
    const byId = await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu', filter: 'ec2InstanceId in (i-0bbb, i-0ccc) and not attribute:ecs.instance-type == g5.xlarge' }));
    expect(byId.containerInstanceArns).toEqual([b]);
    const page = await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu', maxResults: 2 }));
    expect(page.containerInstanceArns).toEqual([a, b]);
    const next = await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu', maxResults: 2, nextToken: page.nextToken }));
    expect(next.containerInstanceArns).toEqual([c]);
    s.sim.ecs.deregisterContainerInstance(REGION, 'i-0bbb');
    expect((await s.ecs.send(new ListContainerInstancesCommand({ cluster: 'gpu', status: 'ACTIVE' }))).containerInstanceArns).toEqual([a, c]);
    const missing = await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'gpu', containerInstances: ['0123456789abcdef0123456789abcdef'] }));
    expect(missing.failures).toEqual([{ arn: arn('container-instance/gpu/0123456789abcdef0123456789abcdef'), reason: 'MISSING' }]);
  });

  it('does not register an instance with a cluster that does not exist, and registers each instance once', () => {
    expect(s.sim.ecs.registerContainerInstance(g5Instance('i-0aaa', 'nope'))).toBeUndefined();
    const first = register(g5Instance('i-0aaa'));
    expect(s.sim.ecs.registerContainerInstance(g5Instance('i-0aaa'))).toBe(first);
  });
});
