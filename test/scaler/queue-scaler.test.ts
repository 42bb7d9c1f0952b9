/**
 * The queue scaler with a real Redis, a real BullMQ producer and worker, and the simulator on its
 * virtual clock (the scaler decides on the simulator's time): from zero to one and back; a burst
 * capped at maxTasks and stepped down after the window without terminating a busy instance;
 * prioritized and delayed jobs; Redis stopped mid-burst.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { applyPlan } from '../../controller/engine/apply.ts';
import { buildPlan } from '../../controller/engine/plan.ts';
import { BerthMetrics } from '../../controller/http/metrics.ts';
import { silentLogger } from '../../controller/log.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import type { AutoScalingGroupManifest, ManifestEntry, QueueScalerManifest, ServiceManifest } from '../../controller/manifests/types.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import { QueueScaler } from '../../controller/scaler/queue-scaler.ts';
import { eventually } from '../controller/helpers.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

const root = new URL('../..', import.meta.url).pathname;

interface World {
  readonly s: SimClients;
  readonly aws: AwsContext;
  redis: RedisServer;
  readonly queue: Queue;
  readonly scaler: QueueScaler;
  readonly metrics: BerthMetrics;
}
let world: World | undefined;

afterEach(async () => {
  if (!world) return;
  await world.scaler.close();
  await Promise.race([world.queue.close(), new Promise((resolve) => setTimeout(resolve, 1000))]);
  world.aws.close();
  await world.s.close();
  await world.redis.stop();
  world = undefined;
});

/** The simulator with manifests/ applied, a Redis, and the ocr-gpu scaler on the simulator's clock. */
async function setUp(change: (scaler: QueueScalerManifest) => QueueScalerManifest = (m) => m): Promise<World> {
  const s = await simWithClients();
  const redis = await startRedis();
  const aws = createAwsContext({ endpoint: s.endpoint, credentials: { accessKeyId: 'AKIDSCALER', secretAccessKey: 'sim' }, maxAttempts: 3 });
  const manifests: ManifestEntry[] = [...validateSources(await readManifestFiles('manifests', root)).manifests];
  const plan = await buildPlan({ manifests, aws, instance: 'berth', defaultRegion: undefined, now: new Date(s.sim.now()) });
  await applyPlan(plan, { manifests, aws, instance: 'berth', defaultRegion: undefined, revision: 'test' });
  const find = <M>(kind: string, name: string) => manifests.find((e) => e.manifest.kind === kind && e.manifest.metadata.name === name)?.manifest as M;
  const metrics = new BerthMetrics();
  const scaler = new QueueScaler({
    scaler: change(find<QueueScalerManifest>('QueueScaler', 'ocr-gpu')),
    service: find<ServiceManifest>('Service', 'filot-ocr-gpu-service'),
    group: find<AutoScalingGroupManifest>('AutoScalingGroup', 'filot-ocr-gpu-asg'),
    region: 'ap-southeast-2',
    aws,
    redisUrl: redis.url,
    log: silentLogger,
    metrics,
    now: () => s.sim.now(),
    pollMs: 100,
    stepDownRecheckMs: 0,
    readTimeoutMs: 200,
  });
  const queue = new Queue('ocr-gpu', { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 1 } });
  queue.on('error', () => undefined);
  await scaler.start();
  world = { s, aws, redis, queue, scaler, metrics };
  return world;
}

async function sizes(w: World): Promise<{ tasks: number; instances: number; inService: number }> {
  const service = (await w.s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-ocr-gpu-cluster', services: ['filot-ocr-gpu-service'] }))).services?.[0];
  const group = (await w.s.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['filot-ocr-gpu-asg'] }))).AutoScalingGroups?.[0];
  return { tasks: service?.desiredCount ?? -1, instances: group?.DesiredCapacity ?? -1, inService: (group?.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length };
}

/** Advances the simulator by `seconds` in steps, letting the scaler tick in between. */
async function advance(w: World, seconds: number, step = 30): Promise<void> {
  for (let done = 0; done < seconds; done += step) {
    w.s.sim.advance(Math.min(step, seconds - done));
    await w.scaler.tick();
  }
}

/** Takes exactly `n` jobs off the queue and completes them, one at a time (BullMQ's manual processing). */
async function drain(w: World, n: number): Promise<void> {
  const { Worker } = await import('bullmq');
  const worker = new Worker('ocr-gpu', null, { connection: { host: '127.0.0.1', port: w.redis.port } });
  try {
    for (let i = 0; i < n; i++) {
      const token = `drain-${i}`;
      const job = await worker.getNextJob(token);
      if (!job) throw new Error(`the queue ran dry after ${i} jobs`);
      await job.moveToCompleted('ok', token, false);
    }
  } finally {
    await worker.close();
  }
}

const terminatedBusy = (w: World) => w.s.sim.history.filter((e) => e.type === 'instance-terminated' && e.detail.tasksRunning !== 0);

describe('queue scaler', () => {
  it('scales from zero to one within a second of the first job, and back to zero after the window', async () => {
    const w = await setUp();
    expect(await sizes(w)).toMatchObject({ tasks: 0, instances: 0 });
    const added = performance.now();
    await w.queue.add('ocr', { document: 'a' });
    await eventually('desired 1 task and 1 instance', async () => {
      const now = await sizes(w);
      return now.tasks === 1 && now.instances === 1 ? now : undefined;
    }, 5000, 10);
    const reaction = performance.now() - added;
    expect(reaction).toBeLessThan(1000);
    expect(await w.metrics.render()).toMatch(/berth_scaler_reaction_seconds_count 1/);

    // The instance boots and joins the cluster; the task is placed and runs; the worker drains the queue.
    await advance(w, 240);
    expect((await sizes(w)).inService).toBe(1);
    const service = (await w.s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-ocr-gpu-cluster', services: ['filot-ocr-gpu-service'] }))).services?.[0];
    expect(service?.runningCount).toBe(1);
    await drain(w, 1);
    await w.scaler.tick();
    expect(w.scaler.lastDecision()).toMatchObject({ tasks: 1, held: true });

    // After the 120 s window: the service goes to zero, then the group, once the instance is idle.
    await advance(w, 150);
    await eventually('back to zero', async () => {
      await advance(w, 30);
      const now = await sizes(w);
      return now.tasks === 0 && now.instances === 0 && now.inService === 0 ? now : undefined;
    });
    expect(terminatedBusy(w)).toEqual([]);
    expect(w.scaler.status()).toMatchObject({ kind: 'QueueScaler', name: 'ocr-gpu', syncStatus: 'Synced', health: { status: 'Healthy' } });
  });

  it('caps a burst of 60 jobs at 4 tasks and 4 instances, holds while draining, steps down without terminating a busy instance, and publishes the backlog', async () => {
    const w = await setUp();
    await w.queue.addBulk(Array.from({ length: 60 }, (_, i) => ({ name: 'ocr', data: { i } })));
    await eventually('4 and 4', async () => {
      const now = await sizes(w);
      return now.tasks === 4 && now.instances === 4 ? now : undefined;
    });
    await advance(w, 240);
    expect(await sizes(w)).toMatchObject({ tasks: 4, instances: 4, inService: 4 });
    // Never more than maxTasks, whatever the backlog.
    await w.queue.addBulk(Array.from({ length: 40 }, (_, i) => ({ name: 'ocr', data: { i } })));
    await w.scaler.tick();
    expect(await sizes(w)).toMatchObject({ tasks: 4, instances: 4 });

    // The backlog reached CloudWatch for the "queue depth > 20" alarm.
    const stats = await w.s.cloudwatch.send(
      new GetMetricStatisticsCommand({ Namespace: 'Filot/OCR', MetricName: 'QueueDepth', Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }], StartTime: new Date(w.s.sim.now() - 3_600_000), EndTime: new Date(w.s.sim.now() + 60_000), Period: 60, Statistics: ['Maximum'] }),
    );
    expect(Math.max(...(stats.Datapoints ?? []).map((d) => d.Maximum ?? 0))).toBeGreaterThanOrEqual(60);

    // Drain 98 of 100: 2 left → 1 task recommended, but the window holds 4.
    await drain(w, 98);
    await w.scaler.tick();
    expect(w.scaler.lastDecision()).toMatchObject({ tasks: 4, held: true, recommendation: 1 });
    expect((await sizes(w)).tasks).toBe(4);
    // After the window: down to 2 tasks, not 1, since the 2 jobs left keep 2 workers busy
    // (taskConcurrency 1); then the group to 2 once two instances are idle.
    await advance(w, 150);
    await eventually('2 and 2', async () => {
      await advance(w, 30);
      const now = await sizes(w);
      return now.tasks === 2 && now.instances === 2 ? now : undefined;
    });
    expect(w.scaler.lastDecision()).toMatchObject({ tasks: 2, held: true, recommendation: 1 });
    expect(terminatedBusy(w)).toEqual([]);
    expect(w.s.sim.history.filter((e) => e.type === 'instance-terminated')).toHaveLength(2);
  });

  it('counts prioritized jobs always, and delayed jobs only when configured', async () => {
    const w = await setUp();
    await w.queue.add('ocr', {}, { priority: 5 });
    await w.queue.add('ocr', {}, { delay: 3_600_000 });
    await w.scaler.tick();
    expect(w.scaler.lastDecision()).toMatchObject({ tasks: 1 });
    expect(await w.metrics.render()).toMatch(/berth_scaler_backlog\{scaler="ocr-gpu"\} 1/);
    await w.scaler.close();
    await w.queue.close();
    world = undefined;
    await w.s.close();
    await w.redis.stop();
    w.aws.close();

    const withDelayed = await setUp((m) => ({ ...m, spec: { ...m.spec, queue: { ...m.spec.queue, states: ['waiting', 'prioritized', 'active', 'delayed'] } } }));
    await withDelayed.queue.add('ocr', {}, { priority: 5 });
    await withDelayed.queue.add('ocr', {}, { delay: 3_600_000 });
    await withDelayed.scaler.tick();
    expect(await withDelayed.metrics.render()).toMatch(/berth_scaler_backlog\{scaler="ocr-gpu"\} 2/);
  });

  it('holds its decision while Redis is down, says so, and resumes when it returns', async () => {
    const w = await setUp();
    await w.queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'ocr', data: { i } })));
    await eventually('3 tasks', async () => ((await sizes(w)).tasks === 3 ? true : undefined));
    const port = w.redis.port;
    w.redis.kill();
    // Long past the scale-down window: with no data, nothing is scaled in.
    await advance(w, 900, 60);
    expect(await sizes(w)).toMatchObject({ tasks: 3, instances: 3 });
    const status = w.scaler.status();
    expect(status.health.status).toBe('Degraded');
    expect(status.health.message).toMatch(/queue unreadable since .*; holding 3 tasks/);
    expect(await w.metrics.render()).toMatch(/berth_scaler_errors_total\{scaler="ocr-gpu"\} [1-9]/);

    // Redis back (empty: the jobs were in memory); the scaler reads again and, after the window, scales in.
    const again = await startRedis({ port });
    w.redis = again;
    {
      await eventually('readable again', async () => {
        await w.scaler.tick();
        return w.scaler.status().health.status !== 'Degraded' ? true : undefined;
      }, 15_000, 200);
      expect(w.scaler.lastDecision()).toMatchObject({ tasks: 3, held: true });
      await advance(w, 330);
      expect((await sizes(w)).tasks).toBe(0);
    }
  });
});
