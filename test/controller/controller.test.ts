/**
 * The Controller against the simulator through the real SDK, fed revisions by a source that
 * delivers what the test gives it: self-heal off reports drift without correcting it; a suspended
 * resource is left alone; a refused one is Stalled; a resource removed from git is reported as
 * orphaned, and deleted when prune is on.
 */
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext } from '../../controller/aws/aws-context.ts';
import { Controller } from '../../controller/engine/controller.ts';
import type { ControllerOptions } from '../../controller/engine/controller.ts';
import { BerthMetrics } from '../../controller/http/metrics.ts';
import { silentLogger } from '../../controller/log.ts';
import type { SourceFile } from '../../controller/manifests/source-document.ts';
import type { FetchTrigger, Revision, Source, SourceError } from '../../controller/source/source.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { eventually } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');

/** A source whose revisions the test hands over (the Source interface, no git). */
class HandedSource implements Source {
  readonly description = 'test revisions';
  private deliver: ((revision: Revision) => Promise<void>) | undefined;
  private fetched: Date | undefined;
  private readonly first: Revision;
  constructor(first: Revision) {
    this.first = first;
  }
  async start(onRevision: (revision: Revision) => Promise<void>, _onError: (error: SourceError) => void): Promise<void> {
    this.deliver = onRevision;
    await this.give(this.first);
  }
  async give(revision: Revision): Promise<void> {
    this.fetched = new Date();
    await this.deliver?.(revision);
  }
  fetchNow(_trigger: FetchTrigger): Promise<void> {
    return Promise.resolve();
  }
  lastFetchAt(): Date | undefined {
    return this.fetched;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function manifestFiles(edit: (file: string, text: string) => string | undefined = (_f, t) => t): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const name of ['alarms.yaml', 'backend.yaml', 'berth.yaml', 'clusters.yaml', 'ocr-gpu.yaml']) {
    const text = edit(name, await readFile(join(root, 'manifests', name), 'utf8'));
    if (text !== undefined) files.push({ path: `manifests/${name}`, text });
  }
  return files;
}
const revision = (id: string, files: readonly SourceFile[]): Revision => ({ id, files, trigger: 'initial', triggeredAt: new Date() });

let s: SimClients | undefined;
let aws: AwsContext | undefined;
let controller: Controller | undefined;
afterEach(async () => {
  await controller?.close(2000);
  aws?.close();
  await s?.close();
});

async function start(first: Revision, options: Partial<ControllerOptions> = {}): Promise<{ s: SimClients; source: HandedSource; controller: Controller }> {
  s = await simWithClients({ clock: 'real', speed: 100 });
  aws = createAwsContext({ endpoint: s.endpoint, credentials: { accessKeyId: 'AKIDCTL', secretAccessKey: 'sim' }, maxAttempts: 3 });
  const source = new HandedSource(first);
  controller = new Controller({ source, aws, instance: 'berth', defaultRegion: 'ap-southeast-2', metrics: new BerthMetrics(), log: silentLogger, resyncMs: 500, progressRequeueMs: 200, ...options });
  await controller.start();
  return { s, source, controller };
}

const backendDesired = async (sim: SimClients): Promise<number | undefined> =>
  (await sim.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['filot-backend-service'] }))).services?.[0]?.desiredCount;

const synced = (c: Controller, revisionId: string) =>
  eventually('every resource Synced', () => {
    const st = c.status();
    return st.resources.length === 14 && st.resources.every((r) => r.syncStatus === 'Synced' && r.lastAppliedRevision === revisionId) ? st : undefined;
  });

describe('Controller', () => {
  it('with self-heal off, reports drift as OutOfSync and Drifted, and leaves it', async () => {
    const { s: sim, controller: c } = await start(revision('r1', await manifestFiles()), { selfHeal: false });
    await synced(c, 'r1');
    await sim.ecs.send(new UpdateServiceCommand({ cluster: 'filot-backend-cluster', service: 'filot-backend-service', desiredCount: 5 }));
    const drifted = await eventually('the drift reported', () => {
      const r = c.resource('Service', 'filot-backend-service');
      return r?.conditions.some((x) => x.type === 'Drifted' && x.status === 'True') ? r : undefined;
    });
    expect(drifted.syncStatus).toBe('OutOfSync');
    expect(drifted.diff).toEqual([{ path: 'desiredCount', from: 5, to: 2 }]);
    // Several resyncs later it is still as someone left it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await backendDesired(sim)).toBe(5);
  });

  it('leaves a suspended resource alone, and marks a refused one Stalled', async () => {
    const files = await manifestFiles((file, text) =>
      file === 'backend.yaml' ? text.replace('  name: filot-backend-service\n', '  name: filot-backend-service\n  annotations:\n    berth.dev/suspend: "true"\n') : text,
    );
    const { s: sim, source, controller: c } = await start(revision('r1', files));
    const backend = await eventually('the suspended service reported', () => {
      const r = c.resource('Service', 'filot-backend-service');
      return r?.health.status === 'Suspended' ? r : undefined;
    });
    expect(backend.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'Unknown', reason: 'Suspended' }));
    expect((await sim.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['filot-backend-service'] }))).services).toEqual([]);

    // An alarm created outside Berth under a manifest's name: refused, Stalled, not retried.
    await sim.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: 'filot-extra', Namespace: 'X', MetricName: 'Y', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    const extra = `apiVersion: berth.dev/v1\nkind: Alarm\nmetadata:\n  name: filot-extra\nspec:\n  region: ap-southeast-2\n  namespace: X\n  metricName: Y\n  statistic: Sum\n  period: 60\n  evaluationPeriods: 1\n  threshold: 2\n  comparisonOperator: GreaterThanThreshold\n`;
    await source.give(revision('r2', [...files, { path: 'manifests/extra.yaml', text: extra }]));
    const refused = await eventually('the alarm refused', () => {
      const r = c.resource('Alarm', 'filot-extra');
      return r?.conditions.some((x) => x.type === 'Stalled' && x.status === 'True') ? r : undefined;
    });
    expect(refused.lastError?.reason).toBe('NotOwned');
    expect(refused.syncStatus).toBe('OutOfSync');
  });

  it('reports a resource removed from git as orphaned, and deletes it when prune is on', async () => {
    const all = await manifestFiles();
    const { s: sim, source, controller: c } = await start(revision('r1', all), { prune: false });
    await synced(c, 'r1');
    await source.give(revision('r2', all.filter((f) => f.path !== 'manifests/berth.yaml')));
    const orphan = await eventually('the orphan reported', () => c.resource('Service', 'filot-backend-cluster/berth-controller'));
    expect(orphan).toMatchObject({ orphaned: true, syncStatus: 'OutOfSync' });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await sim.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['berth-controller'] }))).services?.[0]?.status).toBe('ACTIVE');
    await c.close(2000);

    // The same revision under a controller with prune on: deleted, and gone from status.
    const pruning = new Controller({ source: new HandedSource(revision('r2', all.filter((f) => f.path !== 'manifests/berth.yaml'))), aws: aws as AwsContext, instance: 'berth', defaultRegion: 'ap-southeast-2', metrics: new BerthMetrics(), log: silentLogger, resyncMs: 500, prune: true });
    controller = pruning;
    await pruning.start();
    await eventually('the service deleted', async () =>
      (await sim.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['berth-controller'] }))).services?.[0]?.status !== 'ACTIVE' ? true : undefined,
    );
    await eventually('the orphan gone from status', () => (pruning.resource('Service', 'filot-backend-cluster/berth-controller') === undefined ? true : undefined));
  });
});
