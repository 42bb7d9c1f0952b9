/**
 * `npm run demo`, headless and bounded: everything starts, the stack reaches Synced and Healthy,
 * the sample documents wake the simulated GPU fleet and it goes back to sleep, and stopping leaves
 * nothing running.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Two consecutive free ports (the controller's and the API's). */
async function freePorts(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as AddressInfo;
        s.close(() => resolve(p));
      });
    });
    const next = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(port + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (next && port < 65_000) return port;
  }
}

describe('npm run demo', () => {
  it('runs the whole system: Synced and Healthy, the GPU fleet up and back down, then stops cleanly', async () => {
    const port = await freePorts();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--for', '70', '--speed', '20', '--port', String(port)], {
      cwd: root,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lines = out.split('\n');
    expect(code, out).toBe(0);
    expect(out).toContain(`status page   http://127.0.0.1:${port}/`);
    // Every resource in sync, and healthy but for alarms without data yet.
    expect(lines.some((l) => /\| 14\/14 synced, 1[0-4] healthy \|/.test(l)), out).toBe(true);
    // The fleet woke up …
    const up = lines.findIndex((l) => /gpu tasks [1-4] \| instances [1-4] in service/.test(l));
    expect(up, out).toBeGreaterThanOrEqual(0);
    // … and went back to sleep after the window, with every document read.
    const down = lines.findIndex((l, i) => i > up && /backlog 0, done 24 \| gpu tasks 0 \| instances 0 in service of 0/.test(l));
    expect(down, out).toBeGreaterThan(up);
    expect(out).toContain('stopped: nothing left running');
  }, 150_000);
});
