/** `berth apply` as a process against the simulator: confirmation, progress, --wait, exit codes. */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, ListClustersCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { FILOT_SEED } from '../sim/simulator.ts';
import { simWithClients } from './sim/helpers.ts';
import type { SimClients } from './sim/helpers.ts';

const root = join(import.meta.dirname, '..');
let s: SimClients | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

function berth(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/berth.js', ...args], {
      cwd: root,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'sim', AWS_SECRET_ACCESS_KEY: 'sim', AWS_REGION: 'ap-southeast-2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

// The default seed: the deployment's own g5 group filot-ocr-gpu-asg, which manifests/ adopts.
const seed = FILOT_SEED;

describe('berth apply (process)', () => {
  it('refuses to apply without --yes when not on a terminal, and changes nothing', async () => {
    s = await simWithClients({ seed });
    const run = await berth('apply', '--endpoint', s.endpoint);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('berth apply: not a terminal, so nothing was applied: pass --yes to apply without confirmation');
    expect((await s.ecs.send(new ListClustersCommand({}))).clusterArns).toEqual([]);
  });

  it('applies manifests/ with progress, waits for the rollouts, then plans no changes', async () => {
    // Real time at 100x: a Fargate task's 20 s start takes 0.2 s.
    s = await simWithClients({ seed, clock: 'real', speed: 100 });
    const run = await berth('apply', '--endpoint', s.endpoint, '--yes', '--wait', '--poll-interval', '200ms', '--timeout', '60s');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Cluster/filot-backend-cluster: creating cluster');
    expect(run.stdout).toMatch(/^Service\/filot-backend-service: registered task definition arn:aws:ecs:ap-southeast-2:070017891928:task-definition\/filot-backend-task:1$/m);
    expect(run.stdout).toContain('Service/filot-backend-service: Healthy: 2 of 2 tasks running');
    expect(run.stdout).toContain('Alarm/filot-backend-5xx-high: creating alarm');
    expect(run.stdout).toContain('Apply: 14 applied, 0 unchanged, 0 failed, 0 refused, 0 skipped.');
    expect(run.status).toBe(0);
    const live = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['filot-backend-service'], include: ['TAGS'] }))).services?.[0];
    expect(live?.tags).toEqual(expect.arrayContaining([{ key: 'berth.dev/managed-by', value: 'berth' }, { key: 'berth.dev/manifest', value: 'Service/filot-backend-service' }]));
    const plan = await berth('plan', '--endpoint', s.endpoint, '--detailed-exitcode');
    expect(plan.stdout.split('\n')[0]).toBe('Plan: 0 to create, 0 to update, 14 unchanged.');
    expect(plan.status).toBe(0);
  });

  it('applies nothing from an invalid revision, and rejects a bad duration', async () => {
    s = await simWithClients({ seed });
    const invalid = await berth('apply', '--endpoint', s.endpoint, '--yes', 'test/fixtures/validate/invalid/secrets.yaml');
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('berth apply: the manifests are invalid; nothing was applied');
    expect(s.sim.callCounts()).toEqual({});
    const usage = await berth('apply', '--endpoint', s.endpoint, '--yes', '--timeout', 'soon');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('berth: soon: write a duration such as 90s, 10m or 1h');
  });

  it('prunes only with --prune, and refuses an empty or wrongly pointed manifests path', async () => {
    s = await simWithClients({ seed });
    expect((await berth('apply', '--endpoint', s.endpoint, '--yes')).status).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'berth-prune-'));
    try {
      // A revision without berth.yaml: its service is orphaned.
      const trimmed = join(dir, 'trimmed');
      await cp(join(root, 'manifests'), trimmed, { recursive: true });
      await rm(join(trimmed, 'berth.yaml'));
      const plan = await berth('plan', '--endpoint', s.endpoint, trimmed);
      expect(plan.stdout).toMatch(/^\? Service\/filot-backend-cluster\/berth-controller +orphaned +Unknown \(owned by Berth \(from Service\/berth-controller\), no longer in git\)$/m);
      expect(plan.stdout.split('\n')[0]).toBe('Plan: 0 to create, 0 to update, 13 unchanged, 1 orphaned.');
      expect(plan.status).toBe(0);

      // An empty directory, and a directory of unrelated manifests: refused with --prune, nothing deleted.
      const empty = join(dir, 'empty');
      await mkdir(empty);
      const refusedEmpty = await berth('apply', '--endpoint', s.endpoint, '--yes', '--prune', empty);
      expect(refusedEmpty.status).toBe(1);
      expect(refusedEmpty.stderr).toContain('no manifest files (.yaml or .yml) were found');
      const other = join(dir, 'other');
      await mkdir(other);
      await writeFile(join(other, 'cluster.yaml'), 'apiVersion: berth.dev/v1\nkind: Cluster\nmetadata:\n  name: unrelated\nspec:\n  region: ap-southeast-2\n');
      const refusedOther = await berth('apply', '--endpoint', s.endpoint, '--yes', '--prune', other);
      expect(refusedOther.status).toBe(1);
      expect(refusedOther.stderr).toContain('berth apply: PruneEverything: the manifests declare none of the 17 resources Berth instance "berth" owns in ap-southeast-2, so prune would delete all 15 of them.');
      expect(s.sim.callCounts().ecs?.DeleteService).toBeUndefined();
      expect(s.sim.callCounts().cloudwatch?.DeleteAlarms).toBeUndefined();

      const pruned = await berth('apply', '--endpoint', s.endpoint, '--yes', '--prune', trimmed);
      expect(pruned.stdout).toContain('Service/filot-backend-cluster/berth-controller: deleting service');
      expect(pruned.stdout).toContain('Apply: 2 applied, 13 unchanged, 0 failed, 0 refused, 0 skipped.');
      expect(pruned.status).toBe(0);
      const live = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'filot-backend-cluster', services: ['berth-controller'] }))).services?.[0];
      expect(live?.status).not.toBe('ACTIVE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
