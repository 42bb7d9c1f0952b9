/**
 * The OCR worker holds its ECS task's scale-in protection while a job runs, through the ECS agent
 * endpoint (the simulator serves it), and releases it when idle; its /health and /metrics say which
 * execution provider runs the models.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../controller/log.ts';
import { TaskProtection } from '../../controller/scaler/task-protection.ts';
import { createOcrEngine } from '../../services/ocr-worker/engine/ocr-engine.ts';
import type { OcrEngine } from '../../services/ocr-worker/engine/ocr-engine.ts';
import { startWorkerHttp, WorkerMetrics } from '../../services/ocr-worker/http.ts';
import { OcrWorker } from '../../services/ocr-worker/worker.ts';
import { OCR_QUEUE } from '../../services/shared/ocr-job.ts';
import { LocalDirectoryStorage } from '../../services/shared/storage.ts';
import { eventually } from '../controller/helpers.ts';
import { createFargateService, ecsSim, registerFargate, serviceTasks } from '../sim/ecs-helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';

let s: SimClients;
let redis: RedisServer;
let dir: string;
let engine: OcrEngine;

beforeAll(async () => {
  s = await ecsSim();
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'berth-protect-'));
  engine = await createOcrEngine({ provider: 'auto' });
}, 60_000);
afterAll(async () => {
  await engine.close();
  await redis.stop();
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('OCR worker on ECS', () => {
  it('is protected from scale-in while it runs a job and released afterwards; health and metrics name the provider', async () => {
    await registerFargate(s.ecs, 'ocr');
    await createFargateService(s.ecs, 'ocr', 'ocr', 1);
    s.sim.advance(30);
    const [task] = await serviceTasks(s.ecs, 'ocr');
    const taskArn = task?.taskArn ?? '';
    const protectedNow = async (): Promise<boolean> =>
      (await s.ecs.send(new GetTaskProtectionCommand({ cluster: 'web', tasks: [taskArn] }))).protectedTasks?.[0]?.protectionEnabled === true;

    const storage = new LocalDirectoryStorage(dir);
    const metrics = new WorkerMetrics();
    metrics.setProvider(engine.provider);
    const protection = new TaskProtection({ agentUri: `${s.endpoint}/api/${taskArn.split('/').pop() ?? ''}`, log: silentLogger });
    const worker = new OcrWorker({ redisUrl: redis.url, storage, engine, log: silentLogger, metrics, protection });
    const http = await startWorkerHttp(0, metrics, () => Promise.resolve({ ok: true, body: { status: 'ok', provider: engine.provider, protection: protection.state() } }));
    const queue = new Queue(OCR_QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      await worker.start();
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1240" height="1754"><rect width="100%" height="100%" fill="#fff"/>${Array.from({ length: 30 }, (_, i) => `<text x="80" y="${100 + i * 52}" font-family="DejaVu Sans" font-size="34">Line ${i + 1} protected while it runs</text>`).join('')}</svg>`;
      const image = await sharp(Buffer.from(svg)).png().toBuffer();
      const id = createHash('sha256').update(image).digest('hex');
      await storage.put(`${id}.png`, image);
      expect(await protectedNow()).toBe(false);
      await queue.add('ocr', { documentId: id, storageKey: `${id}.png`, imageType: 'png', bytes: image.length, uploadedAt: new Date().toISOString() }, { jobId: id });
      // While the job is active the task is protected; once it is done, released.
      await eventually('protected while active', async () => ((await queue.getJobState(id)) === 'active' && (await protectedNow()) ? true : undefined), 30_000, 10);
      await eventually('the job done', async () => ((await queue.getJobState(id)) === 'completed' ? true : undefined), 60_000, 50);
      await eventually('released when idle', async () => ((await protectedNow()) ? undefined : true), 5000, 20);

      const health = (await (await fetch(`http://127.0.0.1:${http.port}/health`)).json()) as { provider: string };
      expect(health.provider).toBe('cpu');
      const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
      expect(text).toContain('ocr_execution_provider{provider="cpu"} 1');
      expect(text).toContain('ocr_jobs_processed_total 1');
      expect(text).toMatch(/ocr_processing_seconds_count 1/);
    } finally {
      await worker.close();
      await queue.close();
      await http.close();
    }
  }, 120_000);
});
