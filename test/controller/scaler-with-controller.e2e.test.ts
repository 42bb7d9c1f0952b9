/**
 * `berth run` with its queue scaler: jobs on the real BullMQ queue move the GPU service and group,
 * and the Service and AutoScalingGroup reconcilers' resyncs neither revert nor count as drift the
 * desired count and capacity the scaler owns.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { Queue } from 'bullmq';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerStatus } from '../../controller/engine/status.ts';
import { silentLogger } from '../../controller/log.ts';
import { startController } from '../../controller/run.ts';
import type { RunningController } from '../../controller/run.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';
import { eventually, getJson, manifestRepo } from './helpers.ts';
import type { ManifestRepo } from './helpers.ts';

let s: SimClients;
let redis: RedisServer;
let repo: ManifestRepo;
let workDir: string;
let controller: RunningController;
let queue: Queue;
const saved = { ...process.env };

beforeAll(async () => {
  s = await simWithClients({ clock: 'real', speed: 100 });
  redis = await startRedis();
  repo = await manifestRepo();
  workDir = await mkdtemp(join(tmpdir(), 'berth-scaler-'));
  // The QueueScaler reads its Redis URL from the variable its manifest names (REDIS_URL), which
  // is also the controller's leader election.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDCONTROLLER', AWS_SECRET_ACCESS_KEY: 'sim', AWS_REGION: 'ap-southeast-2', REDIS_URL: redis.url });
  controller = await startController(
    {
      source: repo.dir,
      branch: 'main',
      path: 'manifests',
      intervalMs: 3_600_000,
      watch: false,
      port: 0,
      host: '127.0.0.1',
      resyncMs: 1000,
      workers: 4,
      selfHeal: true,
      prune: false,
      instance: 'berth',
      endpoint: s.endpoint,
      redisUrl: redis.url,
      leaseTtlMs: 3000,
      awsRate: 200,
      drainMs: 3000,
      workDir,
      logLevel: 'warn',
    },
    {},
    silentLogger,
  );
  queue = new Queue('ocr-gpu', { connection: { host: '127.0.0.1', port: redis.port } });
}, 30_000);

afterAll(async () => {
  await queue.close();
  await controller.stop();
  await s.close();
  await redis.stop();
  await repo.remove();
  await rm(workDir, { recursive: true, force: true });
  process.env = saved;
});

async function sizes(): Promise<[number | undefined, number | undefined]> {
  const service = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-ocr-gpu-cluster', services: ['filot-ocr-gpu-service'] }))).services?.[0];
  const group = (await s.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['filot-ocr-gpu-asg'] }))).AutoScalingGroups?.[0];
  return [service?.desiredCount, group?.DesiredCapacity];
}

describe('berth run with a QueueScaler', () => {
  it('scales the GPU service and group from the queue, and the resyncs leave the scaler’s fields alone', async () => {
    const status = () => getJson<ControllerStatus>(`${controller.url}/api/v1/status`);
    await eventually('the stack Synced and the scaler running', async () => {
      const st = await status();
      const scaler = st.resources.find((r) => r.kind === 'QueueScaler');
      return st.resources.filter((r) => r.kind !== 'QueueScaler').every((r) => r.syncStatus === 'Synced') && scaler?.health.status === 'Healthy' ? st : undefined;
    });
    expect(await sizes()).toEqual([0, 0]);

    // 8 jobs at 5 a task: 2 tasks, 2 instances.
    await queue.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'ocr', data: { i } })));
    await eventually('2 tasks and 2 instances', async () => ((await sizes()).join() === '2,2' ? true : undefined), 5000);

    // Several resyncs (every second) later: still the scaler's numbers, and no drift counted.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(await sizes()).toEqual([2, 2]);
    const metrics = await (await fetch(`${controller.url}/metrics`)).text();
    expect(metrics).not.toMatch(/berth_drift_detected_total\{kind="(Service|AutoScalingGroup)"\} [1-9]/);
    expect(metrics).toMatch(/berth_scaler_desired_tasks\{scaler="ocr-gpu"\} 2/);
    const st = await status();
    expect(st.resources.find((r) => r.name === 'filot-ocr-gpu-service')?.syncStatus).toBe('Synced');
    expect(st.resources.find((r) => r.kind === 'QueueScaler')).toMatchObject({ name: 'ocr-gpu', health: { message: 'backlog 8 → 2 tasks, 2 instances' } });
  });
});
