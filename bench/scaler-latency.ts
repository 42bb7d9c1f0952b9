/**
 * Queue scaler reaction: from a job added to an idle queue to the first scale-up call reaching AWS
 * (the simulator's call log), over 20 trials. Real Redis (redis-server on a free port, or REDIS_URL),
 * a real BullMQ producer, the simulator through the real SDK. Each trial starts a fresh scaler on a
 * fresh queue at zero tasks and zero instances, as a scaler that has sat idle.
 *
 *   npx tsx bench/scaler-latency.ts [--trials 20] [--poll-seconds 1]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { Queue } from 'bullmq';
import { createAwsContext } from '../controller/aws/aws-context.ts';
import { applyPlan } from '../controller/engine/apply.ts';
import { buildPlan } from '../controller/engine/plan.ts';
import { silentLogger } from '../controller/log.ts';
import { readManifestFiles } from '../controller/manifests/load-files.ts';
import type { AutoScalingGroupManifest, QueueScalerManifest, ServiceManifest } from '../controller/manifests/types.ts';
import { validateSources } from '../controller/manifests/validate.ts';
import { QueueScaler } from '../controller/scaler/queue-scaler.ts';
import { startSimulator } from '../sim/simulator.ts';
import { startRedis } from '../test/support/redis.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '20' }, 'poll-seconds': { type: 'string', default: '1' }, 'no-check': { type: 'boolean', default: false } } });
const trials = Number(values.trials);
const pollMs = Number(values['poll-seconds']) * 1000;
const CALLER = 'AKIDLATENCYBENCH';
const credentials = { accessKeyId: CALLER, secretAccessKey: 'sim' };

const { sim, endpoint, close } = await startSimulator();
const redis = await startRedis({ reuseEnv: true });
const aws = createAwsContext({ endpoint, credentials, maxAttempts: 3 });
const ecs = new ECSClient({ endpoint, region: 'ap-southeast-2', credentials });
const autoscaling = new AutoScalingClient({ endpoint, region: 'ap-southeast-2', credentials });
const root = new URL('..', import.meta.url).pathname;
const manifests = validateSources(await readManifestFiles('manifests', root)).manifests;
await applyPlan(await buildPlan({ manifests, aws, instance: 'berth', defaultRegion: undefined, now: new Date() }), { manifests, aws, instance: 'berth', defaultRegion: undefined, revision: 'bench' });
const find = <M>(kind: string, name: string): M => manifests.find((e) => e.manifest.kind === kind && e.manifest.metadata.name === name)?.manifest as M;
const scalerManifest = find<QueueScalerManifest>('QueueScaler', 'ocr-gpu');

const samples: number[] = [];
try {
  for (let i = 0; i < trials; i++) {
    // Idle: zero tasks, zero instances, an empty queue of its own.
    await ecs.send(new UpdateServiceCommand({ cluster: 'filot-ocr-gpu-cluster', service: 'filot-ocr-gpu-service', desiredCount: 0 }));
    await autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'filot-ocr-gpu-asg', DesiredCapacity: 0 }));
    const name = `ocr-gpu-trial-${i}-${Date.now()}`;
    const scaler = new QueueScaler({
      scaler: { ...scalerManifest, spec: { ...scalerManifest.spec, queue: { ...scalerManifest.spec.queue, name } } },
      service: find<ServiceManifest>('Service', 'filot-ocr-gpu-service'),
      group: find<AutoScalingGroupManifest>('AutoScalingGroup', 'filot-ocr-gpu-asg'),
      region: 'ap-southeast-2',
      aws,
      redisUrl: redis.url,
      log: silentLogger,
      pollMs,
    });
    await scaler.start();
    // A scaler that has sat idle has its event subscription up: give it a moment to connect.
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * pollMs));
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) } });
    const added = Date.now();
    await queue.add('ocr', {});
    let first: number | undefined;
    for (let waited = 0; first === undefined && waited < 5000; waited += 5) {
      first = sim.callLog().find((c) => c.caller === CALLER && c.time >= added && (c.operation === 'UpdateService' || c.operation === 'UpdateAutoScalingGroup'))?.time;
      if (first === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    samples.push(first === undefined ? Number.POSITIVE_INFINITY : first - added);
    await scaler.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
} finally {
  aws.close();
  ecs.destroy();
  autoscaling.destroy();
  await redis.stop();
  await close();
}

console.log(`queue scaler reaction — ${cpus().length} CPUs, node ${process.version}; poll every ${pollMs} ms plus BullMQ queue events; ${trials} trials`);
console.log(`  job added → first scale-up call at AWS: p50 ${percentile(samples, 50)} ms, p95 ${percentile(samples, 95)} ms, max ${percentile(samples, 100)} ms`);
console.log(`  every trial (ms): ${samples.join(' ')}`);
const met = percentile(samples, 95) <= 1000;
console.log(`  goal p95 ≤ 1000 ms: ${met ? 'met' : 'NOT met'}`);
if (!met && !values['no-check']) process.exitCode = 1;
