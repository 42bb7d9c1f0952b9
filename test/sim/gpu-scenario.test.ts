/**
 * The full GPU path through ECS and Auto Scaling together, as Berth's queue scaler will drive it:
 * a GPU worker service with no instance stays unplaced with AWS's event; raising the g5 group
 * boots an instance that joins the cluster; the task is placed on it and runs; scaling both back
 * to zero never terminates an instance that still runs a task.
 */
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

const CLUSTER = 'filot-ocr-gpu-cluster';
const GROUP = 'filot-ocr-gpu-asg';
const SERVICE = 'filot-ocr-gpu-service';

let s: SimClients;
beforeEach(async () => {
  // The default seed: the deployment's g5.xlarge group, min 0 max 4 desired 0, joining the GPU cluster.
  s = await simWithClients();
  await s.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  const td = await s.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'filot-ocr-gpu-worker',
      requiresCompatibilities: ['EC2'],
      networkMode: 'bridge',
      cpu: '2048',
      memory: '8192',
      containerDefinitions: [
        { name: 'filot-ocr-gpu-worker', image: '070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/filot-ocr-gpu-worker:2024-12-01', resourceRequirements: [{ type: 'GPU', value: '1' }] },
      ],
    }),
  );
  await s.ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: SERVICE,
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      launchType: 'EC2',
      desiredCount: 0,
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g5.*' }],
    }),
  );
});
afterEach(async () => s.close());

async function service() {
  const out = await s.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
  const svc = out.services?.[0];
  if (!svc) throw new Error('service missing');
  return svc;
}

async function group() {
  const out = await s.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
  const g = out.AutoScalingGroups?.[0];
  if (!g) throw new Error('group missing');
  return g;
}

describe('GPU worker: service and Auto Scaling group together', () => {
  it('goes from zero to a running GPU task and back to zero', async () => {
    // Service desired 1 with no instance: nothing is placed, and the service says why.
    await s.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 1 }));
    s.sim.advance(10);
    let svc = await service();
    expect(svc.runningCount).toBe(0);
    expect(svc.events?.map((e) => e.message)).toContain(
      `(service ${SERVICE}) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
    );

    // Raise the group: the instance is Pending while it boots, then InService and in the cluster.
    await s.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }));
    s.sim.advance(1);
    expect((await group()).Instances?.map((i) => i.LifecycleState)).toEqual(['Pending']);
    s.sim.advance(180);
    const instance = (await group()).Instances?.[0];
    expect(instance?.LifecycleState).toBe('InService');
    const arns = (await s.ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER }))).containerInstanceArns ?? [];
    expect(arns).toHaveLength(1);
    const ci = (await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: arns }))).containerInstances?.[0];
    expect(ci?.ec2InstanceId).toBe(instance?.InstanceId);
    expect(ci?.attributes?.find((a) => a.name === 'ecs.instance-type')?.value).toBe('g5.xlarge');

    // The task is placed on that instance and runs, holding its one GPU.
    s.sim.advance(30);
    svc = await service();
    expect(svc.runningCount).toBe(1);
    const taskArns = (await s.ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }))).taskArns ?? [];
    const task = (await s.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }))).tasks?.[0];
    expect(task?.lastStatus).toBe('RUNNING');
    expect(task?.containerInstanceArn).toBe(ci?.containerInstanceArn);
    const busy = (await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: arns }))).containerInstances?.[0];
    expect(busy?.runningTasksCount).toBe(1);
    expect(busy?.remainingResources?.find((r) => r.name === 'GPU')?.stringSetValue ?? []).toEqual([]);

    // Down: the service first, then the group; the instance is terminated only once it is idle.
    await s.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 0 }));
    s.sim.advance(30);
    expect((await service()).runningCount).toBe(0);
    await s.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 0 }));
    s.sim.advance(120);
    expect((await group()).Instances).toEqual([]);
    const terminated = s.sim.history.filter((e) => e.type === 'instance-terminated');
    expect(terminated).toHaveLength(1);
    expect(terminated.every((e) => e.detail.tasksRunning === 0)).toBe(true);
  });

  it('never lets scale-in take a protected instance that still runs a task', async () => {
    await s.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 2 }));
    await s.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 1 }));
    s.sim.advance(240);
    expect((await service()).runningCount).toBe(1);
    const ci = (await s.ecs.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: (await s.ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER }))).containerInstanceArns ?? [] }))).containerInstances ?? [];
    const busy = ci.find((c) => (c.runningTasksCount ?? 0) > 0);
    const idle = ci.find((c) => (c.runningTasksCount ?? 0) === 0);
    expect(busy && idle).toBeTruthy();

    // Protect the busy instance, as the queue scaler will; scale the group to 0.
    await s.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GROUP, InstanceIds: [busy?.ec2InstanceId ?? ''], ProtectedFromScaleIn: true }));
    await s.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 0 }));
    s.sim.advance(120);
    // Only the idle one went; the busy one stays (the group sits above desired) and its task keeps running.
    expect((await group()).Instances?.map((i) => i.InstanceId)).toEqual([busy?.ec2InstanceId]);
    expect((await service()).runningCount).toBe(1);
    expect(s.sim.history.filter((e) => e.type === 'instance-terminated').map((e) => e.detail.instanceId)).toEqual([idle?.ec2InstanceId]);

    // Once the work is done and protection is lifted, the group finishes scaling in.
    await s.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 0 }));
    s.sim.advance(30);
    await s.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GROUP, InstanceIds: [busy?.ec2InstanceId ?? ''], ProtectedFromScaleIn: false }));
    s.sim.advance(120);
    expect((await group()).Instances).toEqual([]);
    expect(s.sim.history.filter((e) => e.type === 'instance-terminated').every((e) => e.detail.tasksRunning === 0)).toBe(true);
  });
});
