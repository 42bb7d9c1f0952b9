/**
 * The simulated EC2 Auto Scaling, driven through the real @aws-sdk/client-auto-scaling: every
 * operation Berth uses, AWS's error texts, pagination, and the instance lifecycle in simulated time.
 */
import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingActivitiesCommand,
  DescribeTagsCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { Activity, AutoScalingGroup, Filter, Instance } from '@aws-sdk/client-auto-scaling';
import {
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { ContainerInstance } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import type { AutoScalingGroupSeed } from '../../sim/autoscaling/autoscaling-sim.ts';
import type { SimulatorOptions } from '../../sim/simulator.ts';
import type { HistoryEvent } from '../../sim/world.ts';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

const ACCOUNT = '070017891928';
const ZONES = ['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c'];
const BOOT = 120;
const TERMINATE = 30;
const GPU_GROUP: AutoScalingGroupSeed = {
  name: 'filot-ocr-gpu-asg',
  instanceType: 'g5.xlarge',
  minSize: 0,
  maxSize: 4,
  desiredCapacity: 0,
  cluster: 'filot-ocr-gpu-cluster',
  bootSeconds: BOOT,
  terminationSeconds: TERMINATE,
  availabilityZones: ZONES,
  tags: [
    { key: 'team', value: 'ocr', propagateAtLaunch: true },
    { key: 'env', value: 'prod' },
  ],
};
const CPU_GROUP: AutoScalingGroupSeed = { name: 'web-asg', instanceType: 'm5.large', minSize: 1, maxSize: 6, desiredCapacity: 1, cluster: 'web', bootSeconds: 60, tags: [{ key: 'env', value: 'staging' }] };

let s: SimClients | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function start(groups: readonly AutoScalingGroupSeed[] = [GPU_GROUP], options: Omit<SimulatorOptions, 'seed'> & { maxAttempts?: number } = {}): Promise<SimClients> {
  s = await simWithClients({ ...options, seed: { accountId: ACCOUNT, region: 'ap-southeast-2', autoScalingGroups: groups } });
  return s;
}

/** The error a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function group(c: SimClients, name = GPU_GROUP.name): Promise<AutoScalingGroup> {
  const out = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const found = out.AutoScalingGroups?.[0];
  if (!found) throw new Error(`group ${name} not found`);
  return found;
}

async function instances(c: SimClients, name = GPU_GROUP.name): Promise<Instance[]> {
  return (await group(c, name)).Instances ?? [];
}

async function setDesired(c: SimClients, desired: number, name = GPU_GROUP.name): Promise<void> {
  await c.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired }));
}

async function activities(c: SimClients, name = GPU_GROUP.name): Promise<Activity[]> {
  return (await c.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }))).Activities ?? [];
}

function events(c: SimClients, type: string): HistoryEvent[] {
  return c.sim.history.filter((e) => e.service === 'autoscaling' && e.type === type);
}

/** Every page of a paginated call, following NextToken. */
async function allPages<T>(fetch: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(token);
    items.push(...(page.items ?? []));
    token = page.next;
    pages++;
  } while (token !== undefined && pages < 100);
  return { items, pages };
}

const byId = (list: readonly Instance[], id: string | undefined) => list.find((i) => i.InstanceId === id);

describe('DescribeAutoScalingGroups', () => {
  it("returns AWS's full group shape", async () => {
    const c = await start();
    const g = await group(c);
    expect(g.AutoScalingGroupARN).toMatch(/^arn:aws:autoscaling:ap-southeast-2:070017891928:autoScalingGroup:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}:autoScalingGroupName\/filot-ocr-gpu-asg$/);
    expect(g).toMatchObject({
      AutoScalingGroupName: 'filot-ocr-gpu-asg',
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: 0,
      DefaultCooldown: 300,
      AvailabilityZones: ZONES,
      HealthCheckType: 'EC2',
      HealthCheckGracePeriod: 300,
      Instances: [],
      NewInstancesProtectedFromScaleIn: false,
      TerminationPolicies: ['Default'],
      ServiceLinkedRoleARN: 'arn:aws:iam::070017891928:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      LaunchTemplate: { LaunchTemplateName: 'filot-ocr-gpu-asg-lt', Version: '$Latest' },
    });
    expect(g.LaunchTemplate?.LaunchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(g.CreatedTime).toBeInstanceOf(Date);
    expect(g.VPCZoneIdentifier?.split(',')).toHaveLength(3);
    expect(g.Tags).toEqual([
      { ResourceId: 'filot-ocr-gpu-asg', ResourceType: 'auto-scaling-group', Key: 'env', Value: 'prod', PropagateAtLaunch: false },
      { ResourceId: 'filot-ocr-gpu-asg', ResourceType: 'auto-scaling-group', Key: 'team', Value: 'ocr', PropagateAtLaunch: true },
    ]);
  });

  it('leaves out groups that do not exist, without an error, and lists all groups sorted when no name is given', async () => {
    const c = await start([GPU_GROUP, CPU_GROUP]);
    const some = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['nope', 'web-asg'] }));
    expect(some.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['web-asg']);
    const all = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
    expect(all.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['filot-ocr-gpu-asg', 'web-asg']);
    expect(all.NextToken).toBeUndefined();
  });

  it('keeps regions apart', async () => {
    const c = await start([GPU_GROUP, { ...CPU_GROUP, region: 'us-east-1' }]);
    const sydney = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
    expect(sydney.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['filot-ocr-gpu-asg']);
    const virginia = new AutoScalingClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'x' } });
    try {
      const out = await virginia.send(new DescribeAutoScalingGroupsCommand({}));
      expect(out.AutoScalingGroups?.map((g) => [g.AutoScalingGroupName, g.AvailabilityZones])).toEqual([['web-asg', ['us-east-1a', 'us-east-1b', 'us-east-1c']]]);
    } finally {
      virginia.destroy();
    }
  });

  it('filters by tag-key, tag-value and tag:<key>, every filter applying and any value of one', async () => {
    const c = await start([GPU_GROUP, CPU_GROUP, { ...CPU_GROUP, name: 'batch-asg', tags: [{ key: 'team', value: 'batch' }] }]);
    const names = async (Filters: Filter[]) => (await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ Filters }))).AutoScalingGroups?.map((g) => g.AutoScalingGroupName);
    expect(await names([{ Name: 'tag-key', Values: ['team'] }])).toEqual(['batch-asg', 'filot-ocr-gpu-asg']);
    expect(await names([{ Name: 'tag-value', Values: ['staging', 'batch'] }])).toEqual(['batch-asg', 'web-asg']);
    expect(await names([{ Name: 'tag:env', Values: ['prod'] }])).toEqual(['filot-ocr-gpu-asg']);
    expect(await names([{ Name: 'tag:env', Values: ['prod', 'staging'] }])).toEqual(['filot-ocr-gpu-asg', 'web-asg']);
    expect(await names([{ Name: 'tag-key', Values: ['env'] }, { Name: 'tag:team', Values: ['ocr'] }])).toEqual(['filot-ocr-gpu-asg']);
    expect(await names([{ Name: 'tag:env', Values: ['dev'] }])).toEqual([]);
    const err = await failure(c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'instance-type', Values: ['g5.xlarge'] }] })));
    expect(err.name).toBe('ValidationError');
    expect(err.message).toContain('instance-type');
  });

  it('pages with MaxRecords and NextToken, and refuses a bad token or too large a page', async () => {
    const c = await start(['e', 'a', 'd', 'b', 'c'].map((n) => ({ ...CPU_GROUP, name: `asg-${n}`, desiredCapacity: 0, minSize: 0 })));
    const { items, pages } = await allPages(async (NextToken) => {
      const out = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2, NextToken }));
      expect(out.AutoScalingGroups?.length).toBeLessThanOrEqual(2);
      return { items: out.AutoScalingGroups, next: out.NextToken };
    });
    expect(pages).toBe(3);
    expect(items.map((g) => g.AutoScalingGroupName)).toEqual(['asg-a', 'asg-b', 'asg-c', 'asg-d', 'asg-e']);
    const bad = await failure(c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ NextToken: 'not-a-token' })));
    expect(bad.name).toBe('InvalidNextToken');
    expect(bad.message).toBe('The NextToken value is not valid.');
    const big = await failure(c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 101 })));
    expect(big.name).toBe('ValidationError');
    expect(big.message).toBe("1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100");
  });
});

describe('UpdateAutoScalingGroup and SetDesiredCapacity', () => {
  it('updates sizes and protection of new instances', async () => {
    const c = await start();
    await c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, MinSize: 1, MaxSize: 3, DesiredCapacity: 2, NewInstancesProtectedFromScaleIn: true }));
    const g = await group(c);
    expect(g).toMatchObject({ MinSize: 1, MaxSize: 3, DesiredCapacity: 2, NewInstancesProtectedFromScaleIn: true });
    expect(g.Instances?.map((i) => i.ProtectedFromScaleIn)).toEqual([true, true]);
  });

  it('moves the desired capacity into a new min..max when none is given', async () => {
    const c = await start();
    await setDesired(c, 2);
    await c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, MinSize: 3 }));
    expect(await group(c)).toMatchObject({ MinSize: 3, MaxSize: 4, DesiredCapacity: 3 });
    await c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, MinSize: 0, MaxSize: 1 }));
    expect(await group(c)).toMatchObject({ MinSize: 0, MaxSize: 1, DesiredCapacity: 1 });
  });

  it("refuses sizes outside the bounds with AWS's messages and changes nothing", async () => {
    const c = await start();
    const outside = await failure(c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, DesiredCapacity: 5 })));
    expect(outside.name).toBe('ValidationError');
    expect(outside.message).toBe('Desired capacity:5 must be between the specified min size:0 and max size:4');
    expect(outside.$metadata?.httpStatusCode).toBe(400);
    const inverted = await failure(c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, MinSize: 3, MaxSize: 2 })));
    expect(inverted.name).toBe('ValidationError');
    expect(inverted.message).toBe('Max bound, 2, must be greater than or equal to min bound, 3');
    const above = await failure(setDesired(c, 5));
    expect(above.name).toBe('ValidationError');
    expect(above.message).toBe('New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.');
    await c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, MinSize: 1 }));
    const below = await failure(setDesired(c, 0));
    expect(below.message).toBe('New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.');
    expect(await group(c)).toMatchObject({ MinSize: 1, MaxSize: 4, DesiredCapacity: 1 });
  });

  it("answers a group that does not exist with AWS's not-found ValidationError", async () => {
    const c = await start();
    for (const call of [
      setDesired(c, 1, 'ghost-asg'),
      c.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'ghost-asg', DesiredCapacity: 1, HonorCooldown: true })),
      c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'ghost-asg', MaxSize: 2 })),
      c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: 'ghost-asg', InstanceIds: ['i-0123456789abcdef0'], ProtectedFromScaleIn: true })),
    ]) {
      const err = await failure(call);
      expect(err.name).toBe('ValidationError');
      expect(err.message).toBe('AutoScalingGroup name not found - AutoScalingGroup: ghost-asg not found');
    }
  });

  it('accepts HonorCooldown', async () => {
    const c = await start();
    await c.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GPU_GROUP.name, DesiredCapacity: 1, HonorCooldown: true }));
    expect((await group(c)).DesiredCapacity).toBe(1);
  });
});

describe('instance lifecycle', () => {
  it('launches Pending instances across zones, InService after the boot time, and terminates them down to zero', async () => {
    const c = await start();
    await setDesired(c, 2);
    const pending = await instances(c);
    expect(pending).toHaveLength(2);
    for (const i of pending) {
      expect(i.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
      expect(i).toMatchObject({ InstanceType: 'g5.xlarge', LifecycleState: 'Pending', HealthStatus: 'Healthy', ProtectedFromScaleIn: false });
      expect(i.LaunchTemplate?.LaunchTemplateName).toBe('filot-ocr-gpu-asg-lt');
    }
    expect(new Set(pending.map((i) => i.AvailabilityZone)).size).toBe(2);
    const launches = await activities(c);
    expect(launches).toHaveLength(2);
    for (const a of launches) {
      expect(a.Description).toMatch(/^Launching a new EC2 instance: i-[0-9a-f]{17}$/);
      expect(a.StatusCode).toBe('InProgress');
      expect(a.Cause).toMatch(
        /^At 2026-01-01T00:00:00Z a user request explicitly set group desired capacity changing the desired capacity from 0 to 2\. {2}At 2026-01-01T00:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 2\.$/,
      );
    }

    c.sim.advance(BOOT - 1);
    expect((await instances(c)).map((i) => i.LifecycleState)).toEqual(['Pending', 'Pending']);
    c.sim.advance(1);
    expect((await instances(c)).map((i) => i.LifecycleState)).toEqual(['InService', 'InService']);
    expect((await activities(c)).map((a) => [a.StatusCode, a.Progress])).toEqual([
      ['Successful', 100],
      ['Successful', 100],
    ]);
    expect(events(c, 'instance-launched').map((e) => e.detail.instanceId)).toEqual(pending.map((i) => i.InstanceId));
    expect(events(c, 'instance-in-service')).toHaveLength(2);

    await setDesired(c, 0);
    const leaving = await instances(c);
    expect(leaving.map((i) => i.LifecycleState)).toEqual(['Terminating', 'Terminating']);
    const [latest] = await activities(c);
    expect(latest?.Description).toMatch(/^Terminating EC2 instance: i-[0-9a-f]{17}$/);
    expect(latest?.StatusCode).toBe('InProgress');
    expect(latest?.Cause).toMatch(/a user request explicitly set group desired capacity changing the desired capacity from 2 to 0\. {2}At .* an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 2 to 0\. {2}At .* instance i-[0-9a-f]{17} was selected for termination\.$/);
    c.sim.advance(TERMINATE);
    expect(await instances(c)).toEqual([]);
    expect((await activities(c)).filter((a) => a.Description?.startsWith('Terminating')).map((a) => a.StatusCode)).toEqual(['Successful', 'Successful']);
    const terminated = events(c, 'instance-terminated');
    expect(terminated.map((e) => e.detail.instanceId).sort()).toEqual(pending.map((i) => i.InstanceId).sort());
    expect(terminated.every((e) => e.detail.reason === 'scale-in' && e.detail.group === GPU_GROUP.name)).toBe(true);
  });

  it('balances instances across the zones', async () => {
    const c = await start();
    await setDesired(c, 4);
    const zones = (await instances(c)).map((i) => i.AvailabilityZone ?? '');
    const perZone = ZONES.map((z) => zones.filter((x) => x === z).length).sort();
    expect(perZone).toEqual([1, 1, 2]);
  });

  it('starts seeded capacity InService', async () => {
    const c = await start([{ ...GPU_GROUP, desiredCapacity: 2 }]);
    expect((await instances(c)).map((i) => i.LifecycleState)).toEqual(['InService', 'InService']);
  });

  it('never terminates an instance protected from scale-in, staying above desired until protection is removed', async () => {
    const c = await start();
    await setDesired(c, 3);
    c.sim.advance(BOOT);
    const [a, b, third] = await instances(c);
    await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [a?.InstanceId ?? '', b?.InstanceId ?? ''], ProtectedFromScaleIn: true }));

    await setDesired(c, 0);
    c.sim.advance(TERMINATE);
    const left = await group(c);
    expect(left.DesiredCapacity).toBe(0);
    expect(left.Instances?.map((i) => [i.InstanceId, i.LifecycleState, i.ProtectedFromScaleIn])).toEqual([
      [a?.InstanceId, 'InService', true],
      [b?.InstanceId, 'InService', true],
    ]);
    expect(events(c, 'instance-terminated').map((e) => e.detail.instanceId)).toEqual([third?.InstanceId]);

    // Removing protection from one lets the group finish the scale-in it owes.
    await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [b?.InstanceId ?? ''], ProtectedFromScaleIn: false }));
    expect(byId(await instances(c), b?.InstanceId)?.LifecycleState).toBe('Terminating');
    c.sim.advance(TERMINATE);
    expect((await instances(c)).map((i) => i.InstanceId)).toEqual([a?.InstanceId]);
    expect(events(c, 'instance-terminated').every((e) => e.detail.protected === false)).toBe(true);
  });

  it('protects new instances when NewInstancesProtectedFromScaleIn is set', async () => {
    const c = await start();
    await c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GPU_GROUP.name, NewInstancesProtectedFromScaleIn: true }));
    await setDesired(c, 2);
    c.sim.advance(BOOT);
    await setDesired(c, 1);
    c.sim.advance(TERMINATE);
    const g = await group(c);
    expect(g.Instances?.map((i) => [i.LifecycleState, i.ProtectedFromScaleIn])).toEqual([
      ['InService', true],
      ['InService', true],
    ]);
    expect(events(c, 'instance-terminated')).toEqual([]);
  });

  it('scales in the zone with the most instances first', async () => {
    const c = await start();
    await setDesired(c, 4);
    c.sim.advance(BOOT);
    const before = await instances(c);
    const crowded = ZONES.find((z) => before.filter((i) => i.AvailabilityZone === z).length === 2);
    await setDesired(c, 3);
    const leaving = (await instances(c)).filter((i) => i.LifecycleState === 'Terminating');
    expect(leaving).toHaveLength(1);
    expect(leaving[0]?.AvailabilityZone).toBe(crowded);
  });
});

describe('SetInstanceProtection', () => {
  it('sets and clears protection', async () => {
    const c = await start();
    await setDesired(c, 2);
    c.sim.advance(BOOT);
    const [a, b] = await instances(c);
    await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [a?.InstanceId ?? ''], ProtectedFromScaleIn: true }));
    expect((await instances(c)).map((i) => i.ProtectedFromScaleIn)).toEqual([true, false]);
    await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [a?.InstanceId ?? '', b?.InstanceId ?? ''], ProtectedFromScaleIn: false }));
    expect((await instances(c)).map((i) => i.ProtectedFromScaleIn)).toEqual([false, false]);
  });

  it("refuses instances outside the group, and instances not InService, with AWS's messages", async () => {
    const c = await start([GPU_GROUP, CPU_GROUP]);
    await setDesired(c, 1);
    c.sim.advance(BOOT);
    const [mine] = await instances(c);
    const [other] = await instances(c, CPU_GROUP.name);
    const foreign = await failure(c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [mine?.InstanceId ?? '', other?.InstanceId ?? ''], ProtectedFromScaleIn: true })));
    expect(foreign.name).toBe('ValidationError');
    expect(foreign.message).toBe(`The instance ${other?.InstanceId} is not part of Auto Scaling group filot-ocr-gpu-asg.`);
    // All or nothing: the valid instance of the refused call stays unprotected.
    expect(byId(await instances(c), mine?.InstanceId)?.ProtectedFromScaleIn).toBe(false);

    await setDesired(c, 2);
    const pending = (await instances(c)).find((i) => i.LifecycleState === 'Pending');
    const notReady = await failure(c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [pending?.InstanceId ?? ''], ProtectedFromScaleIn: true })));
    expect(notReady.name).toBe('ValidationError');
    expect(notReady.message).toBe(`The instance ${pending?.InstanceId} is not in InService or EnteringStandby or Standby.`);
  });
});

describe('DescribeAutoScalingInstances', () => {
  it('describes instances by ID, ignoring unknown IDs', async () => {
    const c = await start([GPU_GROUP, CPU_GROUP]);
    await setDesired(c, 1);
    const [gpu] = await instances(c);
    const out = await c.autoscaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [gpu?.InstanceId ?? '', 'i-0000000000000000f'] }));
    expect(out.AutoScalingInstances).toEqual([
      {
        InstanceId: gpu?.InstanceId,
        InstanceType: 'g5.xlarge',
        AutoScalingGroupName: GPU_GROUP.name,
        AvailabilityZone: gpu?.AvailabilityZone,
        LifecycleState: 'Pending',
        HealthStatus: 'HEALTHY',
        LaunchTemplate: expect.objectContaining({ LaunchTemplateName: 'filot-ocr-gpu-asg-lt' }) as unknown,
        ProtectedFromScaleIn: false,
      },
    ]);
    const all = await c.autoscaling.send(new DescribeAutoScalingInstancesCommand({}));
    expect(all.AutoScalingInstances?.map((i) => i.AutoScalingGroupName)).toEqual([GPU_GROUP.name, CPU_GROUP.name]);
  });

  it('pages with MaxRecords (at most 50)', async () => {
    const c = await start([{ ...CPU_GROUP, desiredCapacity: 5 }]);
    const { items, pages } = await allPages(async (NextToken) => {
      const out = await c.autoscaling.send(new DescribeAutoScalingInstancesCommand({ MaxRecords: 2, NextToken }));
      return { items: out.AutoScalingInstances, next: out.NextToken };
    });
    expect(pages).toBe(3);
    expect(new Set(items.map((i) => i.InstanceId)).size).toBe(5);
    expect(items.map((i) => i.InstanceId)).toEqual((await instances(c, CPU_GROUP.name)).map((i) => i.InstanceId));
    const big = await failure(c.autoscaling.send(new DescribeAutoScalingInstancesCommand({ MaxRecords: 51 })));
    expect(big.name).toBe('ValidationError');
    expect(big.message).toContain('less than or equal to 50');
  });
});

describe('TerminateInstanceInAutoScalingGroup', () => {
  it('without decrement: terminates the instance and launches a replacement', async () => {
    const c = await start();
    await setDesired(c, 2);
    c.sim.advance(BOOT);
    const [victim, keeper] = await instances(c);
    const out = await c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim?.InstanceId, ShouldDecrementDesiredCapacity: false }));
    expect(out.Activity).toMatchObject({
      AutoScalingGroupName: GPU_GROUP.name,
      Description: `Terminating EC2 instance: ${victim?.InstanceId}`,
      StatusCode: 'InProgress',
    });
    expect(out.Activity?.Cause).toMatch(new RegExp(`^At \\S+Z instance ${victim?.InstanceId} was taken out of service in response to a user request\\.$`));
    expect(out.Activity?.ActivityId).toMatch(/^[0-9a-f-]{36}$/);
    const g = await group(c);
    expect(g.DesiredCapacity).toBe(2);
    expect(byId(g.Instances ?? [], victim?.InstanceId)?.LifecycleState).toBe('Terminating');
    expect(byId(g.Instances ?? [], keeper?.InstanceId)?.LifecycleState).toBe('InService');
    const replacement = (g.Instances ?? []).find((i) => i.InstanceId !== victim?.InstanceId && i.InstanceId !== keeper?.InstanceId);
    expect(replacement?.LifecycleState).toBe('Pending');
    c.sim.advance(BOOT);
    expect((await instances(c)).map((i) => i.LifecycleState)).toEqual(['InService', 'InService']);
    expect(events(c, 'instance-terminated').map((e) => [e.detail.instanceId, e.detail.reason])).toEqual([[victim?.InstanceId, 'user-request']]);
  });

  it('with decrement: lowers the desired capacity and launches nothing', async () => {
    const c = await start();
    await setDesired(c, 2);
    c.sim.advance(BOOT);
    const [victim] = await instances(c);
    const out = await c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim?.InstanceId, ShouldDecrementDesiredCapacity: true }));
    expect(out.Activity?.Cause).toMatch(/was taken out of service in response to a user request, shrinking the capacity from 2 to 1\.$/);
    c.sim.advance(TERMINATE);
    const g = await group(c);
    expect(g.DesiredCapacity).toBe(1);
    expect(g.Instances?.map((i) => i.LifecycleState)).toEqual(['InService']);
    expect(byId(g.Instances ?? [], victim?.InstanceId)).toBeUndefined();
  });

  it('terminates an instance protected from scale-in (protection guards scale-in only)', async () => {
    const c = await start();
    await setDesired(c, 1);
    c.sim.advance(BOOT);
    const [only] = await instances(c);
    await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [only?.InstanceId ?? ''], ProtectedFromScaleIn: true }));
    await c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: only?.InstanceId, ShouldDecrementDesiredCapacity: true }));
    expect(byId(await instances(c), only?.InstanceId)?.LifecycleState).toBe('Terminating');
  });

  it("refuses unknown instances and a decrement below the minimum with AWS's messages", async () => {
    const c = await start([{ ...GPU_GROUP, minSize: 1, desiredCapacity: 1 }]);
    const [only] = await instances(c);
    const unknown = await failure(c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-0123456789abcdef0', ShouldDecrementDesiredCapacity: false })));
    expect(unknown.name).toBe('ValidationError');
    expect(unknown.message).toBe('Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0');
    const atMin = await failure(c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: only?.InstanceId, ShouldDecrementDesiredCapacity: true })));
    expect(atMin.name).toBe('ValidationError');
    expect(atMin.message).toBe(
      "Currently, desiredSize equals minSize (1). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
    );
    expect(byId(await instances(c), only?.InstanceId)?.LifecycleState).toBe('InService');
  });
});

describe('tags', () => {
  it('creates, updates and deletes tags, reflected in the group', async () => {
    const c = await start();
    await c.autoscaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          { ResourceId: GPU_GROUP.name, ResourceType: 'auto-scaling-group', Key: 'owner', Value: 'berth', PropagateAtLaunch: false },
          { ResourceId: GPU_GROUP.name, ResourceType: 'auto-scaling-group', Key: 'env', Value: 'dev', PropagateAtLaunch: true },
        ],
      }),
    );
    expect((await group(c)).Tags?.map((t) => [t.Key, t.Value, t.PropagateAtLaunch])).toEqual([
      ['env', 'dev', true],
      ['owner', 'berth', false],
      ['team', 'ocr', true],
    ]);
    await c.autoscaling.send(new DeleteTagsCommand({ Tags: [{ ResourceId: GPU_GROUP.name, ResourceType: 'auto-scaling-group', Key: 'team' }] }));
    expect((await group(c)).Tags?.map((t) => t.Key)).toEqual(['env', 'owner']);
  });

  it('refuses tags on a group that does not exist, changing nothing', async () => {
    const c = await start();
    const err = await failure(
      c.autoscaling.send(
        new CreateOrUpdateTagsCommand({
          Tags: [
            { ResourceId: GPU_GROUP.name, ResourceType: 'auto-scaling-group', Key: 'owner', Value: 'berth' },
            { ResourceId: 'ghost-asg', ResourceType: 'auto-scaling-group', Key: 'owner', Value: 'berth' },
          ],
        }),
      ),
    );
    expect(err.name).toBe('ValidationError');
    expect(err.message).toBe('AutoScalingGroup not found - AutoScaling Group ghost-asg not found');
    expect((await group(c)).Tags?.map((t) => t.Key)).toEqual(['env', 'team']);
    const del = await failure(c.autoscaling.send(new DeleteTagsCommand({ Tags: [{ ResourceId: 'ghost-asg', ResourceType: 'auto-scaling-group', Key: 'owner' }] })));
    expect(del.name).toBe('ValidationError');
  });

  it('describes tags with the auto-scaling-group, key, value and propagate-at-launch filters', async () => {
    const c = await start([GPU_GROUP, CPU_GROUP]);
    const tags = async (Filters?: Filter[]) => (await c.autoscaling.send(new DescribeTagsCommand({ Filters }))).Tags?.map((t) => `${t.ResourceId}:${t.Key}=${t.Value}`);
    expect(await tags()).toEqual(['filot-ocr-gpu-asg:env=prod', 'filot-ocr-gpu-asg:team=ocr', 'web-asg:env=staging']);
    expect(await tags([{ Name: 'auto-scaling-group', Values: ['web-asg'] }])).toEqual(['web-asg:env=staging']);
    expect(await tags([{ Name: 'key', Values: ['env'] }])).toEqual(['filot-ocr-gpu-asg:env=prod', 'web-asg:env=staging']);
    expect(await tags([{ Name: 'value', Values: ['ocr', 'staging'] }])).toEqual(['filot-ocr-gpu-asg:team=ocr', 'web-asg:env=staging']);
    expect(await tags([{ Name: 'propagate-at-launch', Values: ['true'] }])).toEqual(['filot-ocr-gpu-asg:team=ocr']);
    expect(await tags([{ Name: 'key', Values: ['env'] }, { Name: 'auto-scaling-group', Values: ['filot-ocr-gpu-asg'] }])).toEqual(['filot-ocr-gpu-asg:env=prod']);
    const full = await c.autoscaling.send(new DescribeTagsCommand({ Filters: [{ Name: 'auto-scaling-group', Values: ['web-asg'] }] }));
    expect(full.Tags).toEqual([{ ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'env', Value: 'staging', PropagateAtLaunch: false }]);
    const bad = await failure(c.autoscaling.send(new DescribeTagsCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })));
    expect(bad.name).toBe('ValidationError');
  });

  it('pages DescribeTags', async () => {
    const c = await start([GPU_GROUP, CPU_GROUP]);
    const { items, pages } = await allPages(async (NextToken) => {
      const out = await c.autoscaling.send(new DescribeTagsCommand({ MaxRecords: 2, NextToken }));
      return { items: out.Tags, next: out.NextToken };
    });
    expect(pages).toBe(2);
    expect(items.map((t) => `${t.ResourceId}:${t.Key}`)).toEqual(['filot-ocr-gpu-asg:env', 'filot-ocr-gpu-asg:team', 'web-asg:env']);
  });
});

describe('DescribeScalingActivities', () => {
  it('lists activities newest first, per group, in pages', async () => {
    const c = await start([GPU_GROUP, CPU_GROUP]);
    await setDesired(c, 1);
    c.sim.advance(BOOT);
    await setDesired(c, 3);
    c.sim.advance(BOOT);
    await setDesired(c, 2);
    const { items, pages } = await allPages(async (NextToken) => {
      const out = await c.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: GPU_GROUP.name, MaxRecords: 3, NextToken }));
      return { items: out.Activities, next: out.NextToken };
    });
    expect(pages).toBe(2);
    expect(items.map((a) => a.Description?.replace(/i-[0-9a-f]{17}/, 'i-…'))).toEqual([
      'Terminating EC2 instance: i-…',
      'Launching a new EC2 instance: i-…',
      'Launching a new EC2 instance: i-…',
      'Launching a new EC2 instance: i-…',
    ]);
    const starts = items.map((a) => a.StartTime?.getTime() ?? 0);
    expect([...starts].sort((x, y) => y - x)).toEqual(starts);
    expect(items.every((a) => a.AutoScalingGroupName === GPU_GROUP.name && typeof a.Details === 'string')).toBe(true);
    expect(JSON.parse(items[0]?.Details ?? '{}')).toMatchObject({ 'Availability Zone': expect.stringMatching(/^ap-southeast-2[abc]$/) as unknown });
    expect(await activities(c, 'ghost-asg')).toEqual([]);
    const everyGroup = await c.autoscaling.send(new DescribeScalingActivitiesCommand({}));
    expect(new Set(everyGroup.Activities?.map((a) => a.AutoScalingGroupName))).toEqual(new Set([GPU_GROUP.name, CPU_GROUP.name]));
  });
});

describe('capacity shortage', () => {
  it('records Failed launches where EC2 has no capacity and launches in another zone', async () => {
    const c = await start([{ ...GPU_GROUP, capacityShortage: ['ap-southeast-2a'] }]);
    await setDesired(c, 1);
    const launched = await instances(c);
    expect(launched.map((i) => i.AvailabilityZone)).toEqual(['ap-southeast-2b']);
    const [ok, failed] = await activities(c);
    expect(ok?.StatusCode).toBe('InProgress');
    expect(failed?.StatusCode).toBe('Failed');
    expect(failed?.StatusMessage).toBe(
      'We currently do not have sufficient g5.xlarge capacity in the Availability Zone you requested (ap-southeast-2a). Our system will be working on provisioning additional capacity. You can currently get g5.xlarge capacity by not specifying an Availability Zone in your request or choosing ap-southeast-2b, ap-southeast-2c. Launching EC2 instance failed.',
    );
    expect(failed?.Description).toMatch(/^Launching a new EC2 instance\. {2}Status Reason: We currently do not have sufficient g5\.xlarge capacity/);
  });

  it('keeps retrying while no zone has capacity, and launches once capacity returns', async () => {
    const c = await start([{ ...GPU_GROUP, capacityShortage: ZONES }]);
    await setDesired(c, 1);
    expect(await instances(c)).toEqual([]);
    c.sim.advance(60);
    expect(await instances(c)).toEqual([]);
    const failures = (await activities(c)).filter((a) => a.StatusCode === 'Failed');
    expect(failures.length).toBeGreaterThan(ZONES.length);
    c.sim.autoscaling.setCapacityShortage(GPU_GROUP.name, []);
    expect((await instances(c)).map((i) => i.LifecycleState)).toEqual(['Pending']);
  });
});

describe('instances in the ECS cluster (real ECS simulator)', () => {
  const CLUSTER = GPU_GROUP.cluster;

  async function containerInstances(c: SimClients): Promise<ContainerInstance[]> {
    const arns = (await c.ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER }))).containerInstanceArns ?? [];
    if (arns.length === 0) return [];
    return (await c.ecs.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: arns }))).containerInstances ?? [];
  }

  it('registers a booted instance with its cluster, retrying every 30 s while the cluster is missing', async () => {
    const c = await start();
    await setDesired(c, 1);
    const [instance] = await instances(c);
    c.sim.advance(BOOT);
    expect((await instances(c)).map((i) => i.LifecycleState)).toEqual(['InService']);
    // No cluster yet: the agent cannot register.
    expect(await failure(c.ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER })))).toBeInstanceOf(ClusterNotFoundException);
    c.sim.advance(5);
    await c.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    expect(await containerInstances(c)).toEqual([]);
    // The next retry (30 s after the first attempt) registers it, with the g5.xlarge's resources.
    c.sim.advance(25);
    const [registered] = await containerInstances(c);
    expect(registered?.ec2InstanceId).toBe(instance?.InstanceId);
    expect(registered?.attributes?.find((a) => a.name === 'ecs.instance-type')?.value).toBe('g5.xlarge');
    expect(registered?.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value).toBe(instance?.AvailabilityZone);
    const resource = (name: string) => registered?.registeredResources?.find((r) => r.name === name);
    expect(resource('CPU')?.integerValue).toBe(4 * 1024);
    expect(resource('MEMORY')?.integerValue).toBe(Math.floor(16 * 1024 * 0.94));
    expect(resource('GPU')?.stringSetValue).toEqual([expect.stringMatching(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)]);
  });

  it('leaves the cluster when terminated, stopping its tasks, and records the tasks it ran', async () => {
    const c = await start();
    await c.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const td = await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'worker',
        requiresCompatibilities: ['EC2'],
        memory: '4096',
        containerDefinitions: [{ name: 'worker', image: 'example.com/worker:1', resourceRequirements: [{ type: 'GPU', value: '1' }] }],
      }),
    );
    await setDesired(c, 2);
    c.sim.advance(BOOT);
    await c.ecs.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'worker', taskDefinition: td.taskDefinition?.taskDefinitionArn, launchType: 'EC2', desiredCount: 1 }));
    c.sim.advance(30);
    const placed = await containerInstances(c);
    const busy = placed.find((ci) => ci.runningTasksCount === 1);
    const idle = placed.find((ci) => ci.runningTasksCount === 0);
    expect(busy && idle).toBeTruthy();

    // The worker running a task protects its instance, as Berth's GPU workers do; scale in to 0.
    await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: GPU_GROUP.name, InstanceIds: [busy?.ec2InstanceId ?? ''], ProtectedFromScaleIn: true }));
    await setDesired(c, 0);
    c.sim.advance(TERMINATE);
    expect((await containerInstances(c)).map((ci) => ci.ec2InstanceId)).toEqual([busy?.ec2InstanceId]);
    const scaleIns = [...events(c, 'instance-terminating'), ...events(c, 'instance-terminated')].filter((e) => e.detail.reason === 'scale-in');
    expect(scaleIns.map((e) => e.detail.instanceId)).toEqual([idle?.ec2InstanceId, idle?.ec2InstanceId]);
    // The property integration tests rely on: scale-in never took down an instance running tasks.
    expect(scaleIns.every((e) => e.detail.tasksRunning === 0)).toBe(true);

    // A user may still terminate the busy one: its task stops with AWS's reason.
    await c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: busy?.ec2InstanceId, ShouldDecrementDesiredCapacity: false }));
    expect(events(c, 'instance-terminating').at(-1)?.detail).toMatchObject({ instanceId: busy?.ec2InstanceId, tasksRunning: 1, protected: true, reason: 'user-request' });
    c.sim.advance(5);
    const stopped = await c.ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED' }));
    const [task] = (await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: stopped.taskArns ?? [] }))).tasks ?? [];
    expect(task?.stoppedReason).toBe(`Host EC2 (instance ${busy?.ec2InstanceId}) terminated.`);
  });
});

describe('faults', () => {
  it("gets through 30 % throttling with the SDK's retries", async () => {
    const c = await start([GPU_GROUP], { maxAttempts: 10 });
    c.sim.injectFault({ service: 'autoscaling', throttleRate: 0.3 });
    for (let n = 1; n <= 3; n++) {
      await setDesired(c, n);
      expect((await group(c)).DesiredCapacity).toBe(n);
      expect((await instances(c)).length).toBe(n);
    }
    const throttled = c.sim.throttleCounts().autoscaling ?? {};
    expect(Object.values(throttled).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('surfaces injected throttling and contention under their Query error codes', async () => {
    const c = await start([GPU_GROUP], { maxAttempts: 1 });
    c.sim.injectFault({ service: 'autoscaling', operation: 'SetDesiredCapacity', throttleRate: 1, count: 1 });
    const throttled = await failure(setDesired(c, 1));
    expect(throttled.name).toBe('Throttling');
    expect(throttled.message).toBe('Rate exceeded');
    c.sim.injectFault({ service: 'autoscaling', operation: 'SetDesiredCapacity', error: { code: 'ResourceContention', message: 'You already have a pending update to an Auto Scaling resource (for example, a group, instance, or load balancer).', status: 500 }, count: 1 });
    const contended = await failure(setDesired(c, 1));
    expect(contended.name).toBe('ResourceContentionFault');
    expect(contended.$metadata?.httpStatusCode).toBe(500);
    await setDesired(c, 1);
    expect((await group(c)).DesiredCapacity).toBe(1);
  });
});
