/** The EcsPort over the real ECSClient, against the simulator: batching, caching, the prefix trap, writes. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteClusterCommand, DeleteServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import { taskDefinitionFamily } from '../../controller/aws/ecs-adapter.ts';
import { ReconcileError, StalledError } from '../../controller/aws/errors.ts';
import type { AwsSim } from './helpers.ts';
import { ACCOUNT, CREDENTIALS, REGION, SUBNETS, awsSim, fargateTaskDefinition, rejectionOf, simCalls } from './helpers.ts';

let s: AwsSim;
beforeEach(async () => {
  s = await awsSim();
});
afterEach(async () => {
  await s.close();
});

/** Counts from the simulator and from the context's counter; the test asserts they agree. */
function counts(): { sim: Record<string, number>; counter: Readonly<Record<string, number>> } {
  return { sim: simCalls(s.sim.callCounts()), counter: s.aws.counter.calls() };
}

function resetCounts(): void {
  s.sim.resetCallCounts();
  s.aws.counter.reset();
}

async function createServices(names: readonly string[]): Promise<void> {
  const td = await s.ecs.registerTaskDefinition(fargateTaskDefinition('api'));
  for (const name of names) {
    await s.ecs.createService({ cluster: 'web', serviceName: name, taskDefinition: td.taskDefinitionArn, desiredCount: 0, launchType: 'FARGATE', networkConfiguration: SUBNETS });
  }
}

describe('describeServices', () => {
  const names = Array.from({ length: 25 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

  it('describes 25 services of one cluster in exactly 3 DescribeServices calls, with their tags', async () => {
    await createServices(names);
    await s.ecs.tagResource(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/web/svc-07`, [{ key: 'berth.dev/managed-by', value: 'berth' }]);
    resetCounts();

    const out = await s.ecs.describeServices('web', names);

    expect(out.services.map((x) => x.serviceName)).toEqual(names);
    expect(out.missing).toEqual([]);
    expect(out.services.find((x) => x.serviceName === 'svc-07')?.tags).toEqual([{ key: 'berth.dev/managed-by', value: 'berth' }]);
    const { sim, counter } = counts();
    expect(sim).toEqual({ 'ecs:DescribeServices': 3 });
    expect(counter).toEqual(sim);
  });

  it('reports never-created and deleted (INACTIVE) services as missing, still in 3 calls', async () => {
    await createServices(names);
    // Deleting is not a port call (Berth prunes nothing yet): the plain SDK client does it.
    const client = new ECSClient({ endpoint: s.endpoint, region: REGION, credentials: CREDENTIALS });
    await client.send(new DeleteServiceCommand({ cluster: 'web', service: 'svc-03' }));
    client.destroy();
    s.sim.advance(30);
    resetCounts();

    const out = await s.ecs.describeServices('web', [...names.slice(0, 24), 'ghost']);

    expect(out.missing).toEqual(['svc-03', 'ghost']);
    expect(out.services).toHaveLength(23);
    expect(out.services.every((x) => x.status === 'ACTIVE')).toBe(true);
    expect(counts().sim).toEqual({ 'ecs:DescribeServices': 3 });
    expect(counts().counter).toEqual(counts().sim);
  });

  it('makes no call for no names, and one per 10 distinct names', async () => {
    expect(await s.ecs.describeServices('web', [])).toEqual({ services: [], missing: [] });
    expect(await s.ecs.describeServices('web', ['a', 'b', 'a'])).toEqual({ services: [], missing: ['a', 'b'] });
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeServices': 1 });
    const thirty = Array.from({ length: 30 }, (_, i) => `n${i}`);
    expect((await s.ecs.describeServices('web', thirty)).missing).toEqual(thirty);
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeServices': 4 });
  });

  it('issues the batches in parallel', async () => {
    await createServices(names);
    s.sim.injectFault({ service: 'ecs', operation: 'DescribeServices', latencyMs: 400 });
    const started = Date.now();
    expect((await s.ecs.describeServices('web', names)).services).toHaveLength(25);
    // One after another the 3 calls would take 1.2 s or more.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails with ClusterNotFound when the cluster does not exist', async () => {
    const error = await rejectionOf(s.ecs.describeServices('nope', ['api']));
    expect(error).toBeInstanceOf(StalledError);
    expect(error).toMatchObject({ reason: 'ClusterNotFound', operation: 'ecs:DescribeServices' });
  });
});

describe('describeTaskDefinition', () => {
  it('describes an ARN once: 5 concurrent and 5 later lookups make 1 DescribeTaskDefinition call', async () => {
    // Registered through another context, so that this port has not seen it.
    const other = createAwsContext({ endpoint: s.endpoint, region: REGION, credentials: CREDENTIALS });
    const registered = await other.ecs().registerTaskDefinition({ ...fargateTaskDefinition('api'), tags: [{ key: 'team', value: 'ocr' }] });
    other.close();
    const arn = registered.taskDefinitionArn ?? '';
    resetCounts();

    const concurrent = await Promise.all(Array.from({ length: 5 }, () => s.ecs.describeTaskDefinition(arn)));
    const later: Awaited<ReturnType<typeof s.ecs.describeTaskDefinition>>[] = [];
    for (let i = 0; i < 5; i++) later.push(await s.ecs.describeTaskDefinition(arn));

    for (const out of [...concurrent, ...later]) {
      expect(out.taskDefinition.taskDefinitionArn).toBe(arn);
      expect(out.tags).toEqual([{ key: 'team', value: 'ocr' }]);
    }
    expect(counts().sim).toEqual({ 'ecs:DescribeTaskDefinition': 1 });
    expect(counts().counter).toEqual(counts().sim);
  });

  it('needs no describe for a revision the port registered itself', async () => {
    const td = await s.ecs.registerTaskDefinition({ ...fargateTaskDefinition('api'), tags: [{ key: 'team', value: 'ocr' }] });
    const out = await s.ecs.describeTaskDefinition(td.taskDefinitionArn ?? '');
    expect(out.tags).toEqual([{ key: 'team', value: 'ocr' }]);
    expect(s.aws.counter.calls()).toEqual({ 'ecs:RegisterTaskDefinition': 1 });
  });

  it('does not cache a failure, nor a bare family (it names whichever revision is latest)', async () => {
    const missing = await rejectionOf(s.ecs.describeTaskDefinition('api:1'));
    expect(missing).toMatchObject({ errorClass: 'stalled', reason: 'InvalidParameter' });
    const other = createAwsContext({ endpoint: s.endpoint, region: REGION, credentials: CREDENTIALS });
    await other.ecs().registerTaskDefinition(fargateTaskDefinition('api'));
    expect((await s.ecs.describeTaskDefinition('api:1')).taskDefinition.revision).toBe(1);
    await other.ecs().registerTaskDefinition(fargateTaskDefinition('api', 'nginx:1.28'));
    other.close();
    expect((await s.ecs.describeTaskDefinition('api')).taskDefinition.revision).toBe(2);
    expect((await s.ecs.describeTaskDefinition('api')).taskDefinition.revision).toBe(2);
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeTaskDefinition': 4 });
  });
});

describe('latestTaskDefinitionArn', () => {
  const arn = (ref: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${ref}`;

  beforeEach(async () => {
    for (let i = 0; i < 2; i++) await s.ecs.registerTaskDefinition(fargateTaskDefinition('api', `api:${i}`));
    for (let i = 0; i < 3; i++) await s.ecs.registerTaskDefinition(fargateTaskDefinition('api-worker', `worker:${i}`));
    resetCounts();
  });

  it('finds the newest ACTIVE revision of exactly the family, in one call', async () => {
    expect(await s.ecs.latestTaskDefinitionArn('api')).toBe(arn('api:2'));
    expect(await s.ecs.latestTaskDefinitionArn('api-worker')).toBe(arn('api-worker:3'));
    expect(await s.ecs.latestTaskDefinitionArn('ap')).toBeUndefined();
    expect(await s.ecs.latestTaskDefinitionArn('unknown')).toBeUndefined();
    expect(counts().sim).toEqual({ 'ecs:ListTaskDefinitions': 4 });
    expect(counts().counter).toEqual(counts().sim);
  });

  it('skips other families when familyPrefix is matched as a prefix', async () => {
    // A proxy that drops familyPrefix from ListTaskDefinitions: every family comes back, `api-worker`
    // first in DESC order, as a prefix match of `api` would return it.
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        if (String(req.headers['x-amz-target']).endsWith('.ListTaskDefinitions')) {
          const { familyPrefix: _dropped, ...rest } = JSON.parse(body) as Record<string, unknown>;
          body = JSON.stringify(rest);
        }
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['content-length', 'host', 'connection'].includes(k))) as Record<string, string>;
        void fetch(`${s.endpoint}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body }).then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
        });
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const aws = createAwsContext({ endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, region: REGION, credentials: CREDENTIALS });
    try {
      expect(await aws.ecs().latestTaskDefinitionArn('api')).toBe(arn('api:2'));
      // The first page (1 result) held api-worker:3; the next page went on to api:2.
      expect(aws.counter.calls()).toEqual({ 'ecs:ListTaskDefinitions': 2 });
      expect(await aws.ecs().latestTaskDefinitionArn('api-worker')).toBe(arn('api-worker:3'));
      expect(await aws.ecs().latestTaskDefinitionArn('unknown')).toBeUndefined();
    } finally {
      aws.close();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('reads the family from an ARN or a family:revision', () => {
    expect(taskDefinitionFamily(arn('api-worker:3'))).toBe('api-worker');
    expect(taskDefinitionFamily('api:12')).toBe('api');
    expect(taskDefinitionFamily('api')).toBe('api');
  });
});

describe('clusters', () => {
  it('describes clusters with settings, configurations and tags, 100 names a call, and reports missing ones', async () => {
    const created = await s.ecs.createCluster({ clusterName: 'gpu', settings: [{ name: 'containerInsights', value: 'enabled' }], tags: [{ key: 'team', value: 'ocr' }] });
    expect(created.clusterName).toBe('gpu');
    resetCounts();

    const names = ['web', 'gpu', ...Array.from({ length: 100 }, (_, i) => `absent-${i}`)];
    const out = await s.ecs.describeClusters(names);

    expect(out.clusters.map((c) => c.clusterName)).toEqual(['web', 'gpu']);
    expect(out.missing).toEqual(names.slice(2));
    const gpu = out.clusters[1];
    expect(gpu?.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    expect(gpu?.tags).toEqual([{ key: 'team', value: 'ocr' }]);
    expect(counts().sim).toEqual({ 'ecs:DescribeClusters': 2 });
    expect(counts().counter).toEqual(counts().sim);
  });

  it('reports a deleted (INACTIVE) cluster as missing', async () => {
    const client = new ECSClient({ endpoint: s.endpoint, region: REGION, credentials: CREDENTIALS });
    await client.send(new DeleteClusterCommand({ cluster: 'web' }));
    client.destroy();
    expect(await s.ecs.describeClusters(['web'])).toEqual({ clusters: [], missing: ['web'] });
  });

  it('updates a cluster\'s settings, and classifies a refusal', async () => {
    const updated = await s.ecs.updateCluster({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'enhanced' }] });
    expect(updated.clusterName).toBe('web');
    const { clusters } = await s.ecs.describeClusters(['web']);
    expect(clusters[0]?.settings).toEqual([{ name: 'containerInsights', value: 'enhanced' }]);
    const error = await rejectionOf(s.ecs.updateCluster({ cluster: 'nope', settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    expect(error).toBeInstanceOf(ReconcileError);
    expect(error).toMatchObject({ errorClass: 'stalled', reason: 'ClusterNotFound', operation: 'ecs:UpdateCluster' });
    expect(counts().sim).toMatchObject({ 'ecs:UpdateCluster': 2 });
  });
});

describe('services and tags', () => {
  it('creates and updates a service, tags it, and classifies the refusals', async () => {
    const td1 = await s.ecs.registerTaskDefinition(fargateTaskDefinition('api'));
    const td2 = await s.ecs.registerTaskDefinition(fargateTaskDefinition('api', 'nginx:1.28'));
    const created = await s.ecs.createService({ cluster: 'web', serviceName: 'api', taskDefinition: td1.taskDefinitionArn, desiredCount: 1, launchType: 'FARGATE', networkConfiguration: SUBNETS });
    expect(created).toMatchObject({ serviceName: 'api', status: 'ACTIVE', desiredCount: 1 });

    const updated = await s.ecs.updateService({ cluster: 'web', service: 'api', taskDefinition: td2.taskDefinitionArn, desiredCount: 2 });
    expect(updated).toMatchObject({ taskDefinition: td2.taskDefinitionArn, desiredCount: 2 });

    await s.ecs.tagResource(created.serviceArn ?? '', [{ key: 'berth.dev/manifest', value: 'Service/api' }]);
    await s.ecs.tagResource(created.serviceArn ?? '', []);
    const described = await s.ecs.describeServices('web', ['api']);
    expect(described.services[0]?.tags).toEqual([{ key: 'berth.dev/manifest', value: 'Service/api' }]);
    expect(s.aws.counter.calls()['ecs:TagResource']).toBe(1);

    expect(await rejectionOf(s.ecs.updateService({ cluster: 'web', service: 'nope', desiredCount: 1 }))).toMatchObject({ errorClass: 'stalled', reason: 'ServiceNotFound' });
    expect(await rejectionOf(s.ecs.createService({ cluster: 'nope', serviceName: 'x', taskDefinition: td1.taskDefinitionArn, desiredCount: 0 }))).toMatchObject({
      errorClass: 'stalled',
      reason: 'ClusterNotFound',
    });
    expect(await rejectionOf(s.ecs.registerTaskDefinition({ family: 'bad', containerDefinitions: [] }))).toMatchObject({ errorClass: 'stalled', reason: 'InvalidParameter' });
  });
});
