/**
 * `berth run`: the controller as a long-running process (its own ECS task in production). Reads
 * its configuration, wires the source, the AWS clients (global rate limit, leader-only writes,
 * call metrics), the optional Redis lease, the controller and the HTTP surface, and stops them in
 * order on SIGTERM. Wiring only: every capability lives in its own module.
 */
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createAwsContext, isReadOperation } from './aws/aws-context.ts';
import { WaitingError } from './aws/errors.ts';
import { Controller } from './engine/controller.ts';
import { TokenBucket } from './engine/token-bucket.ts';
import { RedisLease } from './ha/lease.ts';
import { createApp } from './http/app.ts';
import { startHttpServer } from './http/server.ts';
import { BerthMetrics } from './http/metrics.ts';
import { jsonLogger } from './log.ts';
import type { LogLevel, Logger } from './log.ts';
import { ScalerManager } from './scaler/scaler-manager.ts';
import { createSource } from './source/create-source.ts';
import { redactUrl } from './source/redact-url.ts';

/** The controller's settings, each from a flag or its environment variable (the flag wins). */
export interface RunSettings {
  /** A git URL (https, ssh, file) or a local path. `BERTH_SOURCE` */
  readonly source: string;
  /** `BERTH_BRANCH` @defaultValue main */
  readonly branch: string;
  /** The manifests' folder inside the repository. `BERTH_PATH` @defaultValue manifests */
  readonly path: string;
  /** Poll interval of a git source. `BERTH_INTERVAL` @defaultValue 30 s */
  readonly intervalMs: number;
  /** Watch a local working directory instead of polling git (development). `BERTH_WATCH` @defaultValue false */
  readonly watch: boolean;
  /** `BERTH_PORT` @defaultValue 8080 */
  readonly port: number;
  /** `BERTH_HOST` @defaultValue 0.0.0.0 */
  readonly host: string;
  /** Full reconcile period. `BERTH_RESYNC` @defaultValue 5 min */
  readonly resyncMs: number;
  /** Resources applied at once. `BERTH_WORKERS` @defaultValue 4 */
  readonly workers: number;
  /** `BERTH_SELF_HEAL` @defaultValue true */
  readonly selfHeal: boolean;
  /** `BERTH_PRUNE` @defaultValue false */
  readonly prune: boolean;
  /** `BERTH_INSTANCE` @defaultValue berth */
  readonly instance: string;
  readonly endpoint?: string;
  readonly region?: string;
  /** Leader election on this Redis when set. `REDIS_URL` */
  readonly redisUrl?: string;
  /** `BERTH_LEASE_TTL` @defaultValue 15 s */
  readonly leaseTtlMs: number;
  /** AWS calls per second, all services together. `BERTH_AWS_RATE` @defaultValue 20 */
  readonly awsRate: number;
  /** How long SIGTERM waits for work in flight. `BERTH_DRAIN_TIMEOUT` @defaultValue 25 s */
  readonly drainMs: number;
  /** Where the git mirror is kept. `BERTH_WORK_DIR` @defaultValue a folder under the OS temp dir */
  readonly workDir?: string;
  /** `BERTH_LOG_LEVEL` @defaultValue info */
  readonly logLevel: LogLevel;
  /**
   * The queue scalers' clock, in ms (the demo passes the simulator's, so a 300 s window passes in
   * 300 simulated seconds). Not a flag. @defaultValue Date.now
   */
  readonly scalerClock?: () => number;
}

/** Secrets come from the environment only (never flags: they would show in `ps`). */
export interface RunSecrets {
  /** `BERTH_WEBHOOK_SECRET` */
  readonly webhookSecret?: string;
  /** `BERTH_API_TOKEN` */
  readonly apiToken?: string;
}

export interface RunningController {
  readonly url: string;
  /** Stops everything in order; idempotent. */
  stop(): Promise<void>;
}

/** Starts the controller; resolves once its HTTP surface listens and the first fetch is done. */
export async function startController(settings: RunSettings, secrets: RunSecrets, log: Logger = jsonLogger({ level: settings.logLevel })): Promise<RunningController> {
  const holder = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  log('info', 'berth run starting', {
    ...settings,
    redisUrl: settings.redisUrl === undefined ? undefined : redactUrl(settings.redisUrl),
    source: redactUrl(settings.source),
    webhookSecret: secrets.webhookSecret ? 'set' : 'not set',
    apiToken: secrets.apiToken ? 'set' : 'not set',
    holder,
  });
  const metrics = new BerthMetrics();
  const bucket = new TokenBucket({ ratePerSecond: settings.awsRate, burst: Math.max(1, settings.awsRate * 2) });

  // Leadership first: no write may leave before the role is known.
  let lease: RedisLease | undefined;
  // The controller is built after the lease (it needs the role); role changes reach it once it exists.
  const roleChange = { notify: (): void => undefined };
  if (settings.redisUrl !== undefined) {
    lease = new RedisLease({
      url: settings.redisUrl,
      name: settings.instance,
      holder,
      ttlMs: settings.leaseTtlMs,
      onChange: (role, fencingToken) => {
        metrics.setLeader(role === 'leader');
        log('info', role === 'leader' ? 'became leader' : 'on standby', { fencingToken });
        roleChange.notify();
      },
      log: (event) => log('warn', 'lease', { ...event }),
    });
    await lease.start();
  } else {
    metrics.setLeader(true);
  }
  const currentLease = lease;

  // AWS: one token bucket for every call; writes only while leader (checked after the wait).
  const aws = createAwsContext({
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    ...(settings.region !== undefined && { region: settings.region }),
    hooks: {
      before: async (service, operation) => {
        await bucket.take();
        if (currentLease && !isReadOperation(operation) && !currentLease.isLeader()) {
          throw new WaitingError('NotLeader', `${service}:${operation} refused: this controller does not hold the lease (another one is leader)`);
        }
      },
      after: (service, operation, outcome) => metrics.awsCall(service, operation, outcome),
    },
  });

  const source = createSource({
    source: settings.source,
    branch: settings.branch,
    path: settings.path,
    intervalMs: settings.intervalMs,
    watch: settings.watch,
    workDir: settings.workDir ?? join(tmpdir(), `berth-source-${process.pid}`),
  });
  const mayWrite = (): boolean => currentLease === undefined || currentLease.isLeader();
  const scalers = new ScalerManager({
    aws,
    log,
    metrics,
    defaultRegion: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    mayWrite,
    ...(settings.scalerClock !== undefined && { tune: { now: settings.scalerClock } }),
  });
  const controller = new Controller({
    scalers,
    source,
    aws,
    instance: settings.instance,
    defaultRegion: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    metrics,
    log,
    ...(currentLease && { leadership: { role: () => (currentLease.isLeader() ? 'leader' : 'standby') } }),
    workers: settings.workers,
    resyncMs: settings.resyncMs,
    selfHeal: settings.selfHeal,
    prune: settings.prune,
  });

  roleChange.notify = () => controller.leadershipChanged();

  const app = createApp({
    view: controller,
    metrics,
    ...(secrets.webhookSecret !== undefined && { webhookSecret: secrets.webhookSecret }),
    ...(secrets.apiToken !== undefined && { apiToken: secrets.apiToken }),
    log: (event) => log(event.level, event.event, { ...event }),
  });
  const server = await startHttpServer(app, settings.port, { host: settings.host, closeTimeoutMs: 5000 });
  log('info', 'listening', { url: server.url });
  await controller.start();

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    stop: () =>
      (stopping ??= (async () => {
        log('info', 'stopping: finishing work in flight', { drainMs: settings.drainMs });
        // Each step runs even if one before it fails.
        const steps: [string, () => Promise<void>][] = [
          ['controller', () => controller.close(settings.drainMs)],
          ['lease', () => currentLease?.close() ?? Promise.resolve()],
          ['http', () => server.close()],
          ['aws', () => Promise.resolve(aws.close())],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            log('error', `stopping ${name} failed`, { error: err instanceof Error ? err.message : String(err) });
          }
        }
        log('info', 'stopped');
      })()),
  };
}

/** Runs until SIGTERM or SIGINT, then stops cleanly; resolves to the exit code. */
export async function runUntilSignalled(settings: RunSettings, secrets: RunSecrets): Promise<number> {
  const log = jsonLogger({ level: settings.logLevel });
  const running = await startController(settings, secrets, log);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log('info', 'signal received', { signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await running.stop();
  return 0;
}
