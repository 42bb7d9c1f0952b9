/** `berth plan` as a process against the simulator: output formats and exit codes. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simWithClients } from './sim/helpers.ts';
import type { SimClients } from './sim/helpers.ts';

const root = join(import.meta.dirname, '..');
let s: SimClients;
beforeAll(async () => {
  // The default seed: the deployment's own g5 group filot-ocr-gpu-asg, which manifests/ adopts.
  s = await simWithClients();
});
afterAll(async () => s.close());

/** Runs the CLI without blocking the event loop (the simulator serves from this process). */
function berth(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/berth.js', ...args], {
      cwd: root,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'sim', AWS_SECRET_ACCESS_KEY: 'sim', AWS_REGION: 'ap-southeast-2' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('berth plan (process)', () => {
  it('prints what it would create, and exits 0 (2 with --detailed-exitcode)', async () => {
    const run = await berth('plan', '--endpoint', s.endpoint);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // 2 clusters, 8 alarms and 3 services to create; the existing group to adopt.
    expect(run.stdout.split('\n')[0]).toBe('Plan: 13 to create, 1 to update, 0 unchanged.');
    expect(run.stdout).toMatch(/^~ AutoScalingGroup\/filot-ocr-gpu-asg +update +Healthy \(0 of 0 instances InService\)$/m);
    expect(run.stdout).toMatch(/^\+ Service\/filot-backend-service +create +Missing \(the service does not exist\)$/m);
    expect(run.stdout).toContain('    taskDefinition.containerDefinitions[filot-backend].image: "070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/filot-backend:2024-12-01"');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('AWS calls: ecs:DescribeClusters 1, autoscaling:DescribeAutoScalingGroups 1, cloudwatch:DescribeAlarms 1, tagging:GetResources 1');
    expect((await berth('plan', '--endpoint', s.endpoint, '--detailed-exitcode')).status).toBe(2);
  });

  it('renders Markdown for a pull-request comment and JSON for machines', async () => {
    const md = await berth('plan', '--endpoint', s.endpoint, '--format', 'markdown');
    expect(md.status).toBe(0);
    expect(md.stdout).toContain('| `Service/filot-ocr-gpu-service` | **create** | Missing |');
    expect(md.stdout).toContain('<details><summary><code>Cluster/filot-backend-cluster</code>: create (2 changes)</summary>');
    expect(md.stdout).toContain('```diff\n+ clusterName: "filot-backend-cluster"');
    const json = await berth('plan', '--endpoint', s.endpoint, '--format', 'json');
    const report = JSON.parse(json.stdout) as { summary: Record<string, number>; entries: { key: string; action: string }[]; awsCalls: Record<string, number> };
    expect(report.summary).toEqual({ create: 13, update: 1, noChange: 0, refused: 0, suspended: 0, orphaned: 0, prune: 0 });
    expect(report.entries.map((e) => e.key)).toContain('Service/berth-controller');
    expect(report.awsCalls).toEqual({ 'ecs:DescribeClusters': 1, 'autoscaling:DescribeAutoScalingGroups': 1, 'cloudwatch:DescribeAlarms': 1, 'tagging:GetResources': 1 });
  });

  it('exits 1 and plans nothing when the manifests are invalid', async () => {
    const run = await berth('plan', '--endpoint', s.endpoint, 'test/fixtures/validate/invalid/network.yaml');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error [network/awsvpc-host-port]');
    expect(run.stderr).toContain('berth plan: the manifests are invalid; nothing was planned');
  });

  it('exits 1 when it refuses a resource it does not own, saying why', async () => {
    await s.ecs.send(new CreateClusterCommand({ clusterName: 'filot-ocr-gpu-cluster' }));
    const run = await berth('plan', '--endpoint', s.endpoint);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^! Cluster\/filot-ocr-gpu-cluster +refused +Healthy/m);
    expect(run.stdout).toContain('    NotOwned: ECS cluster filot-ocr-gpu-cluster exists but was not created by Berth (no berth.dev/managed-by tag).');
  });
});
