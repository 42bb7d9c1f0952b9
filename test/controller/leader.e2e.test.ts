/**
 * Two `berth run` processes against one real Redis and the simulator: exactly one of them writes to
 * AWS; kill -9 the leader and the other takes over within the lease TTL; the simulator's call log
 * (which tells the two apart by the access key ID that signed each call) shows no write from the
 * old leader after it lost the lease.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerStatus } from '../../controller/engine/status.ts';
import { signBody } from '../../controller/http/webhook.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { startRedis } from '../support/redis.ts';
import type { RedisServer } from '../support/redis.ts';
import { eventually, getJson, manifestRepo } from './helpers.ts';
import type { ManifestRepo } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const SECRET = 'leader-test-secret';
const LEASE_TTL_MS = 1500;

interface Controller {
  readonly caller: string;
  readonly process: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

let s: SimClients;
let redis: RedisServer;
let repo: ManifestRepo;
let workDir: string;
const controllers: Controller[] = [];

/** Starts `berth run` as its own process, signing AWS calls as `caller`; resolves once it listens. */
async function start(caller: string): Promise<Controller> {
  const child = spawn(process.execPath, ['bin/berth.js', 'run', '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: caller,
      AWS_SECRET_ACCESS_KEY: 'sim',
      AWS_REGION: 'ap-southeast-2',
      BERTH_SOURCE: repo.dir,
      BERTH_INTERVAL: '1h',
      BERTH_RESYNC: '2s',
      BERTH_AWS_ENDPOINT: s.endpoint,
      BERTH_LEASE_TTL: `${LEASE_TTL_MS}ms`,
      BERTH_WORK_DIR: join(workDir, caller),
      BERTH_WEBHOOK_SECRET: SECRET,
      REDIS_URL: redis.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = await eventually(`${caller} listening`, () => {
    const line = output.split('\n').find((l) => l.includes('"msg":"listening"'));
    return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url;
  });
  const controller = { caller, process: child, url, output: () => output };
  controllers.push(controller);
  return controller;
}

const role = async (c: Controller): Promise<string> => (await getJson<ControllerStatus>(`${c.url}/api/v1/status`)).role;
const writesBy = (caller: string, since = 0): string[] =>
  s.sim
    .callLog()
    .filter((c) => c.caller === caller && c.time >= since && !/^(Describe|List|Get)/.test(c.operation))
    .map((c) => `${c.service}:${c.operation}`);

beforeAll(async () => {
  s = await simWithClients({ clock: 'real', speed: 100 });
  redis = await startRedis();
  repo = await manifestRepo();
  workDir = await mkdtemp(join(tmpdir(), 'berth-leader-'));
}, 30_000);

afterAll(async () => {
  for (const c of controllers) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
  await s.close();
  await redis.stop();
  await repo.remove();
  await rm(workDir, { recursive: true, force: true });
});

describe('leader election', () => {
  it('lets exactly one of two controllers write; the other takes over within the lease TTL after kill -9, and the old one writes nothing after', async () => {
    const a = await start('AKIDCONTROLLERA');
    await eventually('a leads', async () => ((await role(a)) === 'leader' ? true : undefined));
    const b = await start('AKIDCONTROLLERB');
    expect(await role(b)).toBe('standby');

    // The leader applies the repository; the standby only reads.
    await eventually('the repository applied by a', async () => {
      const st = await getJson<ControllerStatus>(`${a.url}/api/v1/status`);
      const applied = st.resources.filter((r) => r.kind !== 'QueueScaler');
      return applied.length === 14 && applied.every((r) => r.syncStatus === 'Synced') ? true : undefined;
    });
    expect(writesBy('AKIDCONTROLLERA').length).toBeGreaterThan(0);
    // A resync of the standby (every 2 s) reads and writes nothing.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(writesBy('AKIDCONTROLLERB')).toEqual([]);
    expect(s.sim.callLog().some((c) => c.caller === 'AKIDCONTROLLERB')).toBe(true);
    const standby = await getJson<ControllerStatus>(`${b.url}/api/v1/status`);
    expect(standby.resources.filter((r) => r.kind !== 'QueueScaler' && r.syncStatus === 'Synced').length).toBe(14);

    // kill -9 the leader: no release; the standby takes the lease once it expires.
    a.process.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually('b leads', async () => ((await role(b)) === 'leader' ? true : undefined), LEASE_TTL_MS * 4, 25);
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThan(LEASE_TTL_MS + LEASE_TTL_MS / 3 + 500);
    expect(writesBy('AKIDCONTROLLERA', killedAt)).toEqual([]);

    // The new leader applies the next commit.
    const sha = await repo.commit('manifests/backend.yaml', (t) => t.replace('filot-backend:2024-12-01', 'filot-backend:2024-12-03'), 'backend 2024-12-03');
    const res = await fetch(`${b.url}/hooks/git`, { method: 'POST', headers: { 'x-hub-signature-256': signBody('{}', SECRET) }, body: '{}' });
    expect(res.status).toBe(202);
    await eventually('b applies the commit', async () => {
      const st = await getJson<ControllerStatus>(`${b.url}/api/v1/status`);
      return st.resources.find((r) => r.name === 'filot-backend-service')?.lastAppliedRevision === sha ? true : undefined;
    });
    expect(writesBy('AKIDCONTROLLERB', killedAt)).toEqual(expect.arrayContaining(['ecs:RegisterTaskDefinition', 'ecs:UpdateService']));
    expect(writesBy('AKIDCONTROLLERA', killedAt)).toEqual([]);

    // SIGTERM: b releases the lease and exits 0.
    b.process.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => b.process.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(b.output()).toContain('"msg":"stopped"');
  });
});
