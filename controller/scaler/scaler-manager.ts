/**
 * Runs one QueueScaler per QueueScaler manifest of the revision in force: starts new ones, restarts
 * those whose manifest (or target) changed, stops those that left git. A scaler whose Redis URL is
 * missing from the environment is reported, not started.
 */
import type { AwsPorts } from '../engine/observe.ts';
import type { ResourceStatus } from '../engine/status.ts';
import { contentHash } from '../engine/controller.ts';
import type { Logger } from '../log.ts';
import type { AutoScalingGroupManifest, ManifestEntry, QueueScalerManifest, ServiceManifest } from '../manifests/types.ts';
import { QueueScaler } from './queue-scaler.ts';
import type { QueueScalerOptions, ScalerMetrics } from './queue-scaler.ts';

export interface ScalerManagerOptions {
  readonly aws: AwsPorts;
  readonly log: Logger;
  readonly metrics?: ScalerMetrics;
  readonly defaultRegion: string | undefined;
  readonly mayWrite?: () => boolean;
  /** Where `redisUrlFromEnv` is looked up. @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra options for every scaler (tests: the simulator's clock, short polls). */
  readonly tune?: Partial<Pick<QueueScalerOptions, 'now' | 'pollMs' | 'stepDownRecheckMs' | 'readTimeoutMs'>>;
}

interface Running {
  readonly hash: string;
  readonly scaler: QueueScaler | undefined;
  /** Why it is not running, when it is not. */
  readonly problem?: string;
}

export class ScalerManager {
  private readonly options: ScalerManagerOptions;
  private readonly running = new Map<string, Running>();
  private updating: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: ScalerManagerOptions) {
    this.options = options;
  }

  /** Brings the running scalers to the QueueScaler manifests of `manifests` (serialized). */
  update(manifests: readonly ManifestEntry[]): Promise<void> {
    this.updating = this.updating.then(() => this.apply(manifests)).catch((err: unknown) => this.options.log('error', 'queue scalers: update failed', { error: err instanceof Error ? err.message : String(err) }));
    return this.updating;
  }

  private async apply(manifests: readonly ManifestEntry[]): Promise<void> {
    if (this.closed) return;
    const byKey = (kind: string, name: string) => manifests.find((e) => e.manifest.kind === kind && e.manifest.metadata.name === name)?.manifest;
    const wanted = new Map<string, { scaler: QueueScalerManifest; service: ServiceManifest | undefined; group: AutoScalingGroupManifest | undefined }>();
    for (const { manifest } of manifests) {
      if (manifest.kind !== 'QueueScaler') continue;
      const service = byKey('Service', manifest.spec.target.service) as ServiceManifest | undefined;
      const group = manifest.spec.target.autoScalingGroup === undefined ? undefined : (byKey('AutoScalingGroup', manifest.spec.target.autoScalingGroup) as AutoScalingGroupManifest | undefined);
      wanted.set(manifest.metadata.name, { scaler: manifest, service, group });
    }
    // Stop what left git or changed.
    for (const [name, current] of this.running) {
      const next = wanted.get(name);
      if (next && contentHash([next.scaler, next.service, next.group]) === current.hash) continue;
      await current.scaler?.close();
      this.running.delete(name);
      this.options.log('info', 'queue scaler stopped', { scaler: name, reason: next ? 'changed' : 'removed from git' });
    }
    // Start what is new (or changed).
    for (const [name, { scaler, service, group }] of wanted) {
      if (this.running.has(name)) continue;
      const hash = contentHash([scaler, service, group]);
      const envName = scaler.spec.queue.redisUrlFromEnv;
      const redisUrl = (this.options.env ?? process.env)[envName];
      const region = scaler.spec.region ?? service?.spec.region ?? this.options.defaultRegion;
      const problem =
        service === undefined
          ? `its service ${scaler.spec.target.service} is not among the manifests`
          : redisUrl === undefined || redisUrl === ''
            ? `the environment variable ${envName} (spec.queue.redisUrlFromEnv) is not set in the controller: set it to the Redis URL of queue ${scaler.spec.queue.name}`
            : region === undefined
              ? 'no region: set spec.region, or AWS_REGION'
              : undefined;
      if (problem !== undefined || service === undefined || redisUrl === undefined || region === undefined) {
        this.running.set(name, { hash, scaler: undefined, problem: problem ?? 'not runnable' });
        this.options.log('warn', 'queue scaler not started', { scaler: name, problem });
        continue;
      }
      const runner = new QueueScaler({
        scaler,
        service,
        ...(group && { group }),
        region,
        aws: this.options.aws,
        redisUrl,
        log: this.options.log,
        ...(this.options.metrics && { metrics: this.options.metrics }),
        ...(this.options.mayWrite && { mayWrite: this.options.mayWrite }),
        ...this.options.tune,
      });
      this.running.set(name, { hash, scaler: runner });
      await runner.start();
      this.options.log('info', 'queue scaler started', { scaler: name, queue: scaler.spec.queue.name, service: service.metadata.name, group: group?.metadata.name });
    }
  }

  /** The scalers as resources of the status API. */
  statuses(): ResourceStatus[] {
    return [...this.running].map(([name, r]) =>
      r.scaler
        ? r.scaler.status()
        : {
            kind: 'QueueScaler',
            name,
            syncStatus: 'Unknown',
            health: { status: 'Degraded', message: r.problem ?? 'not running' },
            conditions: [{ type: 'Stalled', status: 'True', reason: 'NotConfigured', message: r.problem ?? '', lastTransitionTime: new Date().toISOString() }],
            lastError: { reason: 'NotConfigured', message: r.problem ?? '', time: new Date().toISOString() },
            events: [],
            diff: [],
          },
    );
  }

  /** The running scaler of that name (tests). */
  scaler(name: string): QueueScaler | undefined {
    return this.running.get(name)?.scaler;
  }

  /** Stops every scaler; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.updating;
    await Promise.allSettled([...this.running.values()].flatMap((r) => (r.scaler ? [r.scaler.close()] : [])));
    this.running.clear();
  }
}
