/**
 * Auto Scaling groups through Berth's port, the real SDK and the simulator: a seeded group is
 * described (and an unknown one reported missing), sized from a manifest until it shows no diff, a
 * desired capacity changed behind Berth's back shows as exactly that change, and an impossible size
 * is a StalledError from the classifier. Every call is counted by the context.
 */
import { SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { StalledError } from '../../controller/aws/errors.ts';
import type { AutoScalingPort } from '../../controller/aws/ports.ts';
import { desiredGroup, diffGroup } from '../../controller/kinds/auto-scaling-group/auto-scaling-group.ts';
import type { AutoScalingGroupManifest } from '../../controller/manifests/types.ts';
import { CREDENTIALS, rejectionOf } from '../aws/helpers.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const ACCOUNT = '070017891928';
const REGION = 'ap-southeast-2';
const GROUP = 'filot-ocr-gpu-asg';

const manifest: AutoScalingGroupManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'AutoScalingGroup',
  metadata: { name: 'filot-ocr-gpu' },
  spec: { autoScalingGroupName: GROUP, minSize: 0, maxSize: 3, desiredCapacity: 1 },
};

let clients: SimClients;
let aws: AwsContext;
let port: AutoScalingPort;

async function describeGroup(name: string): Promise<AutoScalingGroup> {
  const { groups, missing } = await port.describeGroups([name]);
  expect(missing).toEqual([]);
  expect(groups).toHaveLength(1);
  return groups[0] as AutoScalingGroup;
}

beforeAll(async () => {
  clients = await simWithClients({
    seed: {
      accountId: ACCOUNT,
      region: REGION,
      clusters: [{ name: 'filot-ocr-gpu-cluster' }],
      autoScalingGroups: [{ name: GROUP, instanceType: 'g5.xlarge', minSize: 0, maxSize: 4, desiredCapacity: 0, cluster: 'filot-ocr-gpu-cluster' }],
    },
  });
  aws = createAwsContext({ endpoint: clients.endpoint, credentials: CREDENTIALS, maxAttempts: 3 });
  port = aws.autoscaling(REGION);
});

afterAll(async () => {
  aws.close();
  await clients.close();
});

describe('Auto Scaling group round trip through the simulator', () => {
  it('describes the seeded group and reports an unknown one missing', async () => {
    const { groups, missing } = await port.describeGroups([GROUP, 'no-such-asg', GROUP]);
    expect(groups.map((g) => [g.AutoScalingGroupName, g.MinSize, g.MaxSize, g.DesiredCapacity])).toEqual([[GROUP, 0, 4, 0]]);
    expect(missing).toEqual(['no-such-asg']);
    expect(port.region).toBe(REGION);
  });

  it('makes no call for no names', async () => {
    const before = aws.counter.calls()['autoscaling:DescribeAutoScalingGroups'] ?? 0;
    expect(await port.describeGroups([])).toEqual({ groups: [], missing: [] });
    expect(aws.counter.calls()['autoscaling:DescribeAutoScalingGroups'] ?? 0).toBe(before);
  });

  it('shows no diff once sized from the manifest', async () => {
    const desired = desiredGroup(manifest, { desiredCapacityOwnedElsewhere: false });
    expect(diffGroup(desired, await describeGroup(GROUP))).toEqual([
      { path: 'maxSize', from: 4, to: 3 },
      { path: 'desiredCapacity', from: 0, to: 1 },
    ]);
    await port.updateCapacity(desired);
    expect(diffGroup(desired, await describeGroup(GROUP))).toEqual([]);
  });

  it('shows a desired capacity changed behind its back as exactly that change', async () => {
    await clients.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 2 }));
    const observed = await describeGroup(GROUP);
    expect(diffGroup(desiredGroup(manifest, { desiredCapacityOwnedElsewhere: false }), observed)).toEqual([{ path: 'desiredCapacity', from: 2, to: 1 }]);
    // Owned by a QueueScaler: the change is not Berth's to revert.
    expect(diffGroup(desiredGroup(manifest, { desiredCapacityOwnedElsewhere: true }), observed)).toEqual([]);
  });

  it('tags the group', async () => {
    await port.createOrUpdateTags(GROUP, [{ key: 'berth.dev/managed-by', value: 'berth' }]);
    const tags = (await describeGroup(GROUP)).Tags ?? [];
    expect(tags).toContainEqual(expect.objectContaining({ Key: 'berth.dev/managed-by', Value: 'berth', PropagateAtLaunch: false, ResourceType: 'auto-scaling-group' }));
  });

  it('refuses a desired capacity outside min..max as a StalledError', async () => {
    const err = await rejectionOf(port.updateCapacity({ name: GROUP, minSize: 0, maxSize: 3, desiredCapacity: 5 }));
    expect(err).toBeInstanceOf(StalledError);
    expect(err).toMatchObject({ reason: 'InvalidParameter', operation: 'autoscaling:UpdateAutoScalingGroup' });
    expect((err as Error).message).toMatch(/^autoscaling:UpdateAutoScalingGroup failed: Desired capacity:5 must be between/);
  });

  it('counts its calls as autoscaling:<Operation>', () => {
    const calls = aws.counter.calls();
    expect(calls['autoscaling:DescribeAutoScalingGroups']).toBe(5);
    expect(calls['autoscaling:UpdateAutoScalingGroup']).toBe(2);
    expect(calls['autoscaling:CreateOrUpdateTags']).toBe(1);
    // The SDK client of the test itself is not the context's.
    expect(calls['autoscaling:SetDesiredCapacity']).toBeUndefined();
  });
});

describe('describeGroups batching', () => {
  it('asks for at most 50 names a call', async () => {
    const names = Array.from({ length: 120 }, (_, i) => `asg-${String(i).padStart(3, '0')}`);
    const sim = await simWithClients({
      seed: { accountId: ACCOUNT, region: REGION, clusters: [{ name: 'web' }], autoScalingGroups: names.map((name) => ({ name, instanceType: 'm5.large', minSize: 0, maxSize: 2, desiredCapacity: 0, cluster: 'web' })) },
    });
    const context = createAwsContext({ endpoint: sim.endpoint, credentials: CREDENTIALS, maxAttempts: 3 });
    try {
      const { groups, missing } = await context.autoscaling(REGION).describeGroups([...names, 'gone']);
      expect(groups.map((g) => g.AutoScalingGroupName)).toEqual(names);
      expect(missing).toEqual(['gone']);
      expect(context.counter.calls()).toEqual({ 'autoscaling:DescribeAutoScalingGroups': 3 });
    } finally {
      context.close();
      await sim.close();
    }
  });
});
