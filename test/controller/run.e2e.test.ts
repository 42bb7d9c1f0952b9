/**
 * `berth run` end to end: a real git repository, the simulator through the real SDK, the HTTP
 * surface over real HTTP. A commit reaches AWS through a signed webhook (the poll interval is an
 * hour, so nothing else could bring it); an unsigned one is refused; an invalid revision applies
 * nothing and is reported with file:line; drift is corrected within one resync, and counted.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerStatus, ResourceStatus } from '../../controller/engine/status.ts';
import { signBody } from '../../controller/http/webhook.ts';
import { silentLogger } from '../../controller/log.ts';
import { startController } from '../../controller/run.ts';
import type { RunningController } from '../../controller/run.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { eventually, getJson, manifestRepo } from './helpers.ts';
import type { ManifestRepo } from './helpers.ts';

const SECRET = 'webhook-secret-for-tests';
const TOKEN = 'api-token-for-tests';
const CALLER = 'AKIDCONTROLLER';

let s: SimClients;
let repo: ManifestRepo;
let workDir: string;
let controller: RunningController;
const saved = { ...process.env };

beforeAll(async () => {
  // Real time at 100x: Fargate tasks start in a fraction of a second.
  s = await simWithClients({ clock: 'real', speed: 100 });
  repo = await manifestRepo();
  workDir = await mkdtemp(join(tmpdir(), 'berth-work-'));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: CALLER, AWS_SECRET_ACCESS_KEY: 'sim', AWS_REGION: 'ap-southeast-2' });
  delete process.env.REDIS_URL;
  controller = await startController(
    {
      source: repo.dir,
      branch: 'main',
      path: 'manifests',
      intervalMs: 3_600_000,
      watch: false,
      port: 0,
      host: '127.0.0.1',
      resyncMs: 3000,
      workers: 4,
      selfHeal: true,
      prune: false,
      instance: 'berth',
      endpoint: s.endpoint,
      leaseTtlMs: 15_000,
      awsRate: 100,
      drainMs: 5000,
      workDir,
      logLevel: 'warn',
    },
    { webhookSecret: SECRET, apiToken: TOKEN },
    silentLogger,
  );
}, 30_000);

afterAll(async () => {
  await controller.stop();
  await s.close();
  await repo.remove();
  await rm(workDir, { recursive: true, force: true });
  process.env = saved;
});

const status = (): Promise<ControllerStatus> => getJson<ControllerStatus>(`${controller.url}/api/v1/status`);
const metrics = async (): Promise<string> => (await fetch(`${controller.url}/metrics`)).text();
const webhook = (body: string, headers: Record<string, string> = { 'x-hub-signature-256': signBody(body, SECRET) }) =>
  fetch(`${controller.url}/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers }, body });

/** Every resource Synced at `revision` (and Healthy, if asked). */
async function allSynced(revision: string, healthy = false): Promise<ControllerStatus> {
  return eventually(`every resource Synced at ${revision.slice(0, 8)}${healthy ? ' and Healthy' : ''}`, async () => {
    const st = await status();
    // The QueueScaler is not a resource applied from the revision (see the scaler test).
    const applied = st.resources.filter((r) => r.kind !== 'QueueScaler');
    const done = applied.length === 14 && applied.every((r) => r.syncStatus === 'Synced' && r.lastAppliedRevision === revision && (!healthy || r.health.status === 'Healthy' || r.kind === 'Alarm'));
    return done ? st : undefined;
  });
}

async function backendImage(): Promise<string | undefined> {
  const service = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['filot-backend-service'] }))).services?.[0];
  const td = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service?.taskDefinition }));
  return td.taskDefinition?.containerDefinitions?.[0]?.image;
}

const writesSince = (time: number): string[] =>
  s.sim
    .callLog()
    .filter((c) => c.time >= time && !/^(Describe|List|Get)/.test(c.operation))
    .map((c) => `${c.service}:${c.operation}`);

describe('berth run', () => {
  it('applies the repository at start: every resource Synced and Healthy, the revision in status and metrics', async () => {
    const head = repo.head();
    const st = await allSynced(head, true);
    expect(st.source.revision).toBe(head);
    expect(st.role).toBe('single');
    expect(st.ready).toBe(true);
    expect((await fetch(`${controller.url}/readyz`)).status).toBe(200);
    const text = await metrics();
    expect(text).toContain(`berth_source_revision_info{revision="${head}"} 1`);
    expect(text).toMatch(/berth_resource_info\{kind="Service",name="filot-backend-service",sync_status="Synced",health_status="Healthy"\} 1/);
    expect(text).toMatch(/berth_aws_api_calls_total\{service="ecs",operation="CreateService",outcome="success"\} 3/);
    const service = await getJson<ResourceStatus>(`${controller.url}/api/v1/resources/Service/filot-backend-service`);
    expect(service).toMatchObject({ syncStatus: 'Synced', health: { status: 'Healthy' }, lastAppliedRevision: head, diff: [] });
    // Its QueueScaler cannot run without the Redis URL its manifest names: reported, not hidden.
    const scaler = await getJson<ResourceStatus>(`${controller.url}/api/v1/resources/QueueScaler/ocr-gpu`);
    expect(scaler).toMatchObject({ health: { status: 'Degraded' }, lastError: { reason: 'NotConfigured' } });
    expect(scaler.health.message).toContain('REDIS_URL');
  });

  it('applies a commit announced by a signed webhook without waiting for the poll, and refuses an unsigned one', async () => {
    const sha = await repo.commit('manifests/backend.yaml', (t) => t.replace('filot-backend:2024-12-01', 'filot-backend:2024-12-02'), 'backend 2024-12-02');
    const before = Date.now();
    // Unsigned, and wrongly signed: 401, and nothing is fetched.
    expect((await webhook('{"ref":"refs/heads/main"}', {})).status).toBe(401);
    expect((await webhook('{"ref":"refs/heads/main"}', { 'x-hub-signature-256': signBody('something else', SECRET) })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await status()).source.revision).not.toBe(sha);
    expect(writesSince(before)).toEqual([]);

    expect((await webhook('{"ref":"refs/heads/main"}')).status).toBe(202);
    await eventually('the new image in the simulator', async () => ((await backendImage())?.endsWith(':2024-12-02') ? true : undefined));
    const st = await allSynced(sha);
    expect(st.source.revision).toBe(sha);
    // Only the changed resource was touched: a new task definition and the service updated and tagged.
    expect(new Set(writesSince(before))).toEqual(new Set(['ecs:RegisterTaskDefinition', 'ecs:UpdateService', 'ecs:TagResource']));
    expect(await metrics()).toMatch(/berth_revision_applied_seconds_count\{since="webhook"\} [1-9]/);
  });

  it('applies nothing of an invalid revision, keeps the last good one and shows the error with file and line', async () => {
    const good = (await status()).source.revision ?? '';
    const bad = await repo.commit('manifests/ocr-gpu.yaml', (t) => t.replace('  minSize: 0\n', '  minSize: 9\n'), 'minSize above maxSize');
    const before = Date.now();
    expect((await webhook('{}')).status).toBe(202);
    const st = await eventually('the rejected revision in status', async () => {
      const current = await status();
      return current.source.lastError?.revision === bad ? current : undefined;
    });
    expect(st.source.revision).toBe(good);
    expect(st.source.lastError?.reason).toBe('ValidationFailed');
    const minSizeLine = (await readFile(join(repo.dir, 'manifests/ocr-gpu.yaml'), 'utf8')).split('\n').findIndex((l) => l === '  minSize: 9') + 1;
    expect(st.source.lastError?.problems).toContainEqual(expect.objectContaining({ file: 'manifests/ocr-gpu.yaml', line: minSizeLine, rule: 'capacity/min-above-max' }));
    expect(st.resources.filter((r) => r.kind !== 'QueueScaler').every((r) => r.lastAppliedRevision === good)).toBe(true);
    expect(writesSince(before)).toEqual([]);
    expect(await metrics()).toMatch(/berth_revision_rejected_total 1/);
    // The page shows it too.
    const page = await (await fetch(`${controller.url}/`)).text();
    expect(page).toContain(`manifests/ocr-gpu.yaml:${minSizeLine}`);

    // Fixed in the next commit: applied, and the error is gone.
    const fixed = await repo.commit('manifests/ocr-gpu.yaml', (t) => t.replace('  minSize: 9\n', '  minSize: 0\n'), 'fix minSize');
    expect((await webhook('{}')).status).toBe(202);
    const after = await eventually('the fixed revision in force', async () => {
      const current = await status();
      return current.source.revision === fixed ? current : undefined;
    });
    expect(after.source.lastError).toBeUndefined();
  });

  it('corrects drift within one resync, and counts it', async () => {
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'filot-backend-cluster', service: 'filot-backend-service', desiredCount: 5 }));
    await eventually(
      'desiredCount back to 2',
      async () => ((await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['filot-backend-service'] }))).services?.[0]?.desiredCount === 2 ? true : undefined),
      10_000,
    );
    expect(await metrics()).toMatch(/berth_drift_detected_total\{kind="Service"\} [1-9]/);
    const service = await getJson<ResourceStatus>(`${controller.url}/api/v1/resources/Service/filot-backend-service`);
    expect(service.events.some((e) => e.reason === 'DriftDetected' && e.message.includes('desiredCount'))).toBe(true);
  });

  it('reconciles on POST /api/v1/reconcile with the bearer token only', async () => {
    const post = (token?: string) => fetch(`${controller.url}/api/v1/reconcile`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    expect((await post()).status).toBe(401);
    expect((await post('wrong')).status).toBe(401);
    expect((await post(TOKEN)).status).toBe(202);
  });

  it('berth status prints the controller\'s revision and resources, as text and JSON', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/berth.js', 'status', ...args], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const st = await status();
    const text = await run('--url', controller.url);
    expect([0, 2]).toContain(text.code);
    expect(text.out).toContain(`Revision: ${(st.source.revision ?? '').slice(0, 12)}`);
    expect(text.out).toMatch(/^Service\/filot-backend-service +Synced +Healthy /m);
    const json = await run('--url', controller.url, '--format', 'json');
    expect((JSON.parse(json.out) as ControllerStatus).source.revision).toBe(st.source.revision);
    expect((await run('--url', 'http://127.0.0.1:9')).code).toBe(1);
  });
});
