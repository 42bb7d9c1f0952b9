/** The simulator's admin API under /_sim/: clock, faults, call counts, seed, reset, state. */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeClustersCommand, ECSClient, ECSServiceException, ServerException } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

let s: SimClients;
beforeAll(async () => {
  s = await simWithClients({ maxAttempts: 1, seed: { accountId: '070017891928', clusters: [{ name: 'web' }], autoScalingGroups: [] } });
});
afterAll(async () => s.close());

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${s.endpoint}/_sim/${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('/_sim/ admin API', () => {
  it('moves the virtual clock only when told to', async () => {
    const before = (await admin('GET', 'clock')).json.epochMs as number;
    await new Promise((r) => setTimeout(r, 50));
    expect((await admin('GET', 'clock')).json.epochMs).toBe(before);
    const after = await admin('POST', 'clock/advance', { seconds: 300 });
    expect(after.json.epochMs).toBe(before + 300_000);
    expect((await admin('POST', 'clock/advance', { seconds: -1 })).status).toBe(400);
  });

  it('injects a fixed error, throttling and 5xx per operation, and clears them', async () => {
    await admin('POST', 'faults', { service: 'ecs', operation: 'DescribeClusters', error: { code: 'AccessDeniedException', message: 'no', status: 400 }, count: 1 });
    const denied = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] })).catch((e: unknown) => e);
    expect((denied as Error).name).toBe('AccessDeniedException');
    // count: 1 — the next call goes through.
    expect((await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] }))).clusters).toHaveLength(1);

    await admin('POST', 'faults', { service: 'ecs', throttleRate: 1 });
    const throttled = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] })).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(ECSServiceException);
    expect((throttled as Error).name).toBe('ThrottlingException');
    // Other services are untouched by an ECS fault.
    expect((await s.cloudwatch.send(new DescribeAlarmsCommand({}))).MetricAlarms).toBeDefined();
    await admin('DELETE', 'faults');

    await admin('POST', 'faults', { service: 'ecs', errorRate: 1, count: 1 });
    const failed = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ServerException);
    expect((failed as ServerException).$metadata.httpStatusCode).toBe(500);

    await admin('POST', 'faults', { operation: 'DescribeClusters', latencyMs: 200, count: 1 });
    const t = performance.now();
    await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] }));
    expect(performance.now() - t).toBeGreaterThanOrEqual(190);
  });

  it('counts calls per service and operation, throttled ones apart', async () => {
    await admin('DELETE', 'calls');
    await admin('POST', 'faults', { service: 'ecs', throttleRate: 1, count: 2 });
    for (let i = 0; i < 3; i++) await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] })).catch(() => undefined);
    await s.cloudwatch.send(new DescribeAlarmsCommand({}));
    const { json } = await admin('GET', 'calls');
    expect(json).toEqual({ calls: { ecs: { DescribeClusters: 3 }, cloudwatch: { DescribeAlarms: 1 } }, throttled: { ecs: { DescribeClusters: 2 } } });
  });

  it('logs every call with the access key ID that signed it, in order', async () => {
    await admin('DELETE', 'calls');
    const other = new ECSClient({ endpoint: s.endpoint, region: 'ap-southeast-2', credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' }, maxAttempts: 1 });
    await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] }));
    await other.send(new DescribeClustersCommand({ clusters: ['web'] }));
    other.destroy();
    const { json } = await admin('GET', 'calls/log');
    const calls = json.calls as { time: number; service: string; operation: string; caller: string }[];
    expect(calls.map(({ service, operation, caller }) => [service, operation, caller])).toEqual([
      ['ecs', 'DescribeClusters', 'AKIDSIMULATOR'],
      ['ecs', 'DescribeClusters', 'AKIDOTHER'],
    ]);
    expect(calls[0]?.time).toBeLessThanOrEqual(calls[1]?.time ?? 0);
  });

  it('refuses a bad seed and keeps the world as it was', async () => {
    const bad = await admin('POST', 'seed', { clusters: [{ name: 'half' }], autoScalingGroups: [{ name: 'g', instanceType: 'z9.huge', minSize: 0, maxSize: 1, desiredCapacity: 0, cluster: 'half' }] });
    expect(bad.status).toBe(400);
    const out = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web', 'half'] }));
    expect(out.clusters?.map((c) => c.clusterName)).toEqual(['web']);
  });

  it('seeds, dumps and resets the world', async () => {
    expect((await admin('POST', 'seed', { accountId: '111122223333', clusters: [{ name: 'other' }], autoScalingGroups: [] })).status).toBe(200);
    const out = await s.ecs.send(new DescribeClustersCommand({ clusters: ['other', 'web'] }));
    expect(out.clusters?.map((c) => c.clusterArn)).toEqual(['arn:aws:ecs:ap-southeast-2:111122223333:cluster/other']);
    const state = await admin('GET', 'state');
    expect(state.json.accountId).toBe('111122223333');
    expect(state.json).toHaveProperty('ecs');
    expect(state.json).toHaveProperty('autoscaling');
    expect(state.json).toHaveProperty('cloudwatch');
    expect((await admin('POST', 'reset')).status).toBe(200);
    expect((await admin('GET', 'calls')).json).toEqual({ calls: {}, throttled: {} });
    expect((await admin('GET', 'history')).json).toEqual({ history: [] });
  });

  it('answers unknown admin routes with 404 and the list of routes', async () => {
    const { status, json } = await admin('GET', 'nope');
    expect(status).toBe(404);
    expect(json.routes).toContain('GET /_sim/state');
  });
});
