/** The simulator speaks each service's wire protocol well enough for the real SDK clients. */
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, ResourceNotFound } from '@aws-sdk/client-cloudwatch';
import { ClusterNotFoundException, DescribeClustersCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

let s: SimClients;
beforeAll(async () => {
  s = await simWithClients({ seed: { accountId: '070017891928', clusters: [{ name: 'web' }], autoScalingGroups: [{ name: 'gpu', instanceType: 'g5.xlarge', minSize: 0, maxSize: 4, desiredCapacity: 0, cluster: 'web' }] } });
});
afterAll(async () => s.close());

describe('wire protocols', () => {
  it('ECS: AWS JSON 1.1 requests, responses and typed errors', async () => {
    const out = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web', 'nope'] }));
    expect(out.clusters?.map((c) => c.clusterArn)).toEqual(['arn:aws:ecs:ap-southeast-2:070017891928:cluster/web']);
    expect(out.failures?.[0]?.reason).toBe('MISSING');
    const err = await s.ecs.send(new ListServicesCommand({ cluster: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterNotFoundException);
    expect((err as ClusterNotFoundException).$metadata.httpStatusCode).toBe(400);
  });

  it('Auto Scaling: AWS Query in, XML out, XML errors', async () => {
    const out = await s.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['gpu'] }));
    expect(out.AutoScalingGroups?.[0]).toMatchObject({ AutoScalingGroupName: 'gpu', MinSize: 0, MaxSize: 4, DesiredCapacity: 0 });
    const err = await s.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'missing', DesiredCapacity: 1 })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ValidationError');
    expect((err as Error).message).toContain('missing');
  });

  it('CloudWatch: AWS JSON 1.0 in query-compatible mode, with Query error codes', async () => {
    const out = await s.cloudwatch.send(new DescribeAlarmsCommand({}));
    expect(out.MetricAlarms).toEqual([]);
    const err = await s.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['x'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFound);
    expect((err as ResourceNotFound & { Code?: string }).Code).toBe('ResourceNotFound');
  });

  it('CloudWatch: the older AWS Query form', async () => {
    const res = await fetch(s.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/ap-southeast-2/monitoring/aws4_request, SignedHeaders=host, Signature=x' },
      body: 'Action=DescribeAlarms&Version=2010-08-01',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms></MetricAlarms>');
  });

  it('counts calls and keeps the admin API apart from AWS routes', async () => {
    const calls = (await (await fetch(`${s.endpoint}/_sim/calls`)).json()) as { calls: Record<string, Record<string, number>> };
    expect(calls.calls.ecs?.DescribeClusters).toBe(1);
    expect(calls.calls.autoscaling?.DescribeAutoScalingGroups).toBe(1);
    const missing = await fetch(`${s.endpoint}/_sim/nope`);
    expect(missing.status).toBe(404);
  });
});
