/**
 * A real `redis-server` for the demo and the tests (never a mock): started on a free loopback port with its own
 * temporary directory, no persistence, in the foreground, so that a test can stop it, kill it, or
 * restart it on the same port. With `reuseEnv`, a `REDIS_URL` from the environment is used instead.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, or `REDIS_URL` as given. */
  readonly url: string;
  readonly port: number;
  /** True for the `REDIS_URL` server, which this helper neither started nor stops. */
  readonly external: boolean;
  /** SIGTERM, waits for the exit, removes the temporary directory. Idempotent; a no-op for an external server. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crash); `stop()` may still be called and waits for the exit. Throws for an external server. */
  kill(): void;
}

export interface StartRedisOptions {
  /** Return the server of `REDIS_URL` when that variable is set (its `stop()` does nothing). @defaultValue false */
  readonly reuseEnv?: boolean;
  /** The port to listen on, e.g. to restart a killed server on the same port. @defaultValue a free loopback port */
  readonly port?: number;
  /** The server command. @defaultValue 'redis-server' (from PATH) */
  readonly command?: string;
  /** How long the server may take to answer PING. @defaultValue 10000 */
  readonly startTimeoutMs?: number;
}

/** `redis-server` is not on this machine. */
export class RedisNotInstalledError extends Error {
  override readonly name = 'RedisNotInstalledError';
}

/** `redis-server` exited, or did not answer PING in time, while starting. */
export class RedisStartError extends Error {
  override readonly name = 'RedisStartError';
}

type ExitInfo = { readonly kind: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null } | { readonly kind: 'spawn-failed'; readonly error: NodeJS.ErrnoException };

/** Servers still running, killed if the test process exits without stopping them. */
const running = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const { child, dir } of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** A port that was free on 127.0.0.1 a moment ago (the kernel picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when a server on `port` answers `PING` with `+PONG`. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The server of `REDIS_URL`, untouched. */
function external(url: string): RedisServer {
  return {
    url,
    port: Number(new URL(url).port || 6379),
    external: true,
    stop: () => Promise.resolve(),
    kill() {
      throw new Error('the Redis server of REDIS_URL was not started by this test and cannot be killed; call startRedis() without reuseEnv');
    },
  };
}

async function startOnce(command: string, port: number, startTimeoutMs: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-redis-'));
  const child = spawn(command, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child, dir };
  running.add(entry);
  installExitHook();

  // Keep the end of the server's log for error messages (and drain the pipes so it never blocks).
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exit: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ kind: 'exited', code, signal }));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ kind: 'spawn-failed', error });
    });
  }).then((info) => {
    exit = info;
    running.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    return info;
  });

  // Wait until it answers PING, or exits, or the time is up.
  const deadline = performance.now() + startTimeoutMs;
  for (;;) {
    if (exit?.kind === 'spawn-failed') {
      if (exit.error.code === 'ENOENT') throw new RedisNotInstalledError(`${command} not found: install the Debian package redis-server (apt-get install -y redis-server), or set REDIS_URL`);
      throw new RedisStartError(`could not run ${command}: ${exit.error.message}`, { cause: exit.error });
    }
    if (exit?.kind === 'exited') throw new RedisStartError(`${command} exited while starting on port ${port} (code ${exit.code ?? exit.signal}):\n${output.trim()}`);
    if (await answersPing(port)) break;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new RedisStartError(`${command} did not answer PING on port ${port} within ${startTimeoutMs} ms:\n${output.trim()}`);
    }
    await sleep(20);
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    external: false,
    stop() {
      stopping ??= (async () => {
        if (exit === undefined) {
          child.kill('SIGTERM');
          // Without persistence it exits at once; SIGKILL if it hangs.
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        await exited;
      })();
      return stopping;
    },
    kill() {
      if (exit === undefined) child.kill('SIGKILL');
    },
  };
}

/** Starts a `redis-server` (or returns `REDIS_URL`'s with `reuseEnv`), resolving once it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const envUrl = process.env['REDIS_URL'];
  if (options.reuseEnv === true && envUrl !== undefined && envUrl !== '') return external(envUrl);
  const command = options.command ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  if (options.port !== undefined) return startOnce(command, options.port, startTimeoutMs);
  // A free port can be taken by someone else before the server binds it: try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(command, await freePort(), startTimeoutMs);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof RedisStartError) || !/Address already in use/i.test(error.message)) throw error;
    }
  }
}
