/** `berth sim` as a process: it serves the default FiLot infrastructure, takes a seed file, and stops cleanly. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };

/** Starts `berth sim` on a free port; resolves once it prints its endpoint. */
async function startSim(...args: string[]): Promise<{ endpoint: string; stop: () => Promise<{ code: number | null; output: string }> }> {
  const child = spawn(process.execPath, ['bin/berth.js', 'sim', '--port', '0', ...args], { cwd: root });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth sim did not start:\n${output}`)), 15_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', () => reject(new Error(`berth sim exited:\n${output}`)));
  });
  const stop = () =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      child.once('exit', (code) => resolve({ code, output }));
      child.kill('SIGTERM');
    });
  return { endpoint, stop };
}

describe('berth sim', () => {
  it('serves the deployment infrastructure by default and stops on SIGTERM', async () => {
    const { endpoint, stop } = await startSim();
    const client = new AutoScalingClient({ endpoint, region: 'ap-southeast-2', credentials });
    try {
      const out = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['filot-ocr-gpu-asg'] }));
      expect(out.AutoScalingGroups?.[0]).toMatchObject({ AutoScalingGroupName: 'filot-ocr-gpu-asg', MinSize: 0, MaxSize: 4, DesiredCapacity: 0 });
    } finally {
      client.destroy();
    }
    const { code, output } = await stop();
    expect(code).toBe(0);
    expect(output).toContain('berth sim: stopped');
  });

  it('loads a YAML seed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-sim-seed-'));
    const seedFile = join(dir, 'seed.yaml');
    writeFileSync(seedFile, 'accountId: "111122223333"\nregion: us-east-1\nclusters:\n  - name: seeded\nautoScalingGroups: []\n');
    const { endpoint, stop } = await startSim('--seed', seedFile, '--clock', 'virtual');
    const ecs = new ECSClient({ endpoint, region: 'us-east-1', credentials });
    try {
      const out = await ecs.send(new DescribeClustersCommand({ clusters: ['seeded'] }));
      expect(out.clusters?.[0]?.clusterArn).toBe('arn:aws:ecs:us-east-1:111122223333:cluster/seeded');
    } finally {
      ecs.destroy();
    }
    expect((await stop()).code).toBe(0);
  });

  it('exits 2 with a clear message on a missing or malformed seed file', () => {
    const missing = spawnSync(process.execPath, ['bin/berth.js', 'sim', '--seed', 'no/such/seed.yaml'], { cwd: root, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('berth: no/such/seed.yaml: no such file');
    const dir = mkdtempSync(join(tmpdir(), 'berth-sim-seed-'));
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    const list = spawnSync(process.execPath, ['bin/berth.js', 'sim', '--seed', join(dir, 'list.yaml')], { cwd: root, encoding: 'utf8' });
    expect(list.status).toBe(2);
    expect(list.stderr).toContain('a seed is a mapping');
  });
});
