/** The test helper that runs a real redis-server (test/support/redis.ts), which the HA tests and others rely on. */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisNotInstalledError, startRedis } from '../support/redis.ts';

/** True when something accepts connections on the loopback `port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The server's working directory (its own temporary directory). */
async function dirOf(url: string): Promise<string> {
  const client = new Redis(url);
  try {
    const reply = (await client.config('GET', 'dir')) as string[];
    return reply[1] ?? '';
  } finally {
    client.disconnect();
  }
}

describe('startRedis', () => {
  it('starts a server that answers on a loopback port, without persistence, and stop() removes it and its directory', async () => {
    const server = await startRedis();
    expect(server.external).toBe(false);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const client = new Redis(server.url);
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    client.disconnect();
    const dir = await dirOf(server.url);
    expect(existsSync(dir)).toBe(true);

    const stopping = server.stop();
    expect(server.stop()).toBe(stopping);
    await stopping;
    expect(await listening(server.port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('kill() ends it at once; a new server can start on the same port', async () => {
    const server = await startRedis();
    const dir = await dirOf(server.url);
    server.kill();
    await server.stop();
    expect(existsSync(dir)).toBe(false);
    const again = await startRedis({ port: server.port });
    try {
      expect(await listening(again.port)).toBe(true);
    } finally {
      await again.stop();
    }
  });

  it('two servers get different ports', async () => {
    const [one, two] = await Promise.all([startRedis(), startRedis()]);
    try {
      expect(one.port).not.toBe(two.port);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });

  it('with reuseEnv, uses REDIS_URL when it is set, and leaves that server alone', async () => {
    const previous = process.env['REDIS_URL'];
    const own = await startRedis();
    process.env['REDIS_URL'] = own.url;
    try {
      const reused = await startRedis({ reuseEnv: true });
      expect(reused).toMatchObject({ url: own.url, port: own.port, external: true });
      await reused.stop();
      expect(() => reused.kill()).toThrow(/REDIS_URL/);
      expect(await listening(own.port)).toBe(true);
      // Without reuseEnv, it starts its own.
      const separate = await startRedis();
      expect(separate.port).not.toBe(own.port);
      await separate.stop();
    } finally {
      if (previous === undefined) delete process.env['REDIS_URL'];
      else process.env['REDIS_URL'] = previous;
      await own.stop();
    }
  });

  it('says how to install redis-server when it is missing', async () => {
    const attempt = startRedis({ command: '/nonexistent/redis-server' });
    await expect(attempt).rejects.toBeInstanceOf(RedisNotInstalledError);
    await expect(attempt).rejects.toThrow(/install the Debian package redis-server/);
  });
});
