/**
 * Berth's Prometheus metrics: one registry per controller (never prom-client's global one, so two
 * controllers in one process, or one per test, do not share counters) and a small typed method for
 * each thing the controller reports. Label sets are bounded: kinds, resource names and AWS
 * operations are finite, and the revision label only ever carries the revision in force.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResourceStatus, SourceStatus } from '../engine/status.ts';

/**
 * How one reconcile of one resource ended.
 * - `success`: the resource was planned (and applied where it differed) without error.
 * - `error`: planning or applying failed; the reconcile will be retried.
 * - `skipped`: Berth chose not to act (suspended, not owned, waiting for a dependency, or the
 *   revision was rejected); nothing was changed.
 */
export type ReconcileResult = 'success' | 'error' | 'skipped';

/** What a revision's time-to-apply is measured from: its commit time, or the webhook that announced it. */
export type AppliedSince = 'commit' | 'webhook';

/** How one AWS API call ended; a throttled call is counted as `throttled`, not `error`. */
export type AwsCallOutcome = 'success' | 'error' | 'throttled';

/** Reconcile durations: one resource is a handful of AWS calls, a rollout wait can take minutes. */
const RECONCILE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Commit (or webhook) to applied: from a tenth of a second (webhook, local source) to ten minutes (polling, slow CI). */
const APPLIED_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300, 600];

export class BerthMetrics {
  /** The registry `/metrics` renders: Berth's metrics and the default process metrics. */
  readonly register: Registry;

  private readonly reconcileTotal: Counter<'kind' | 'result'>;
  private readonly reconcileDuration: Histogram<'kind'>;
  private readonly resourceInfo: Gauge<'kind' | 'name' | 'sync_status' | 'health_status'>;
  private readonly driftDetectedTotal: Counter<'kind'>;
  private readonly sourceRevisionInfo: Gauge<'revision'>;
  private readonly sourceLastFetch: Gauge;
  private readonly sourceFetchErrors: Counter;
  private readonly revisionAppliedSeconds: Histogram<'since'>;
  private readonly revisionRejectedTotal: Counter;
  private readonly awsCallsTotal: Counter<'service' | 'operation' | 'outcome'>;
  private readonly awsThrottlesTotal: Counter<'service'>;
  private readonly workqueueDepth: Gauge;
  private readonly leader: Gauge;
  private readonly scalerBacklog: Gauge<'scaler'>;
  private readonly scalerDesiredTasks: Gauge<'scaler'>;
  private readonly scalerDesiredInstances: Gauge<'scaler'>;
  private readonly scalerDecisions: Counter<'scaler' | 'direction'>;
  private readonly scalerErrors: Counter<'scaler'>;
  private readonly scalerReaction: Histogram;

  constructor() {
    const register = new Registry();
    this.register = register;
    collectDefaultMetrics({ register });

    this.reconcileTotal = new Counter({
      name: 'berth_reconcile_total',
      help: 'Reconciles of one resource, by kind and result (success: planned and applied without error; error: failed, will be retried; skipped: suspended, not owned, waiting or rejected, nothing changed).',
      labelNames: ['kind', 'result'],
      registers: [register],
    });
    this.reconcileDuration = new Histogram({
      name: 'berth_reconcile_duration_seconds',
      help: 'Time one reconcile of one resource took (observe, plan and apply), in seconds, by kind.',
      labelNames: ['kind'],
      buckets: RECONCILE_BUCKETS,
      registers: [register],
    });
    this.resourceInfo = new Gauge({
      name: 'berth_resource_info',
      help: 'One series per managed resource, always 1, whose labels carry its current sync status (Synced, OutOfSync, Unknown) and health status (Healthy, Progressing, Degraded, Suspended, Missing, Unknown).',
      labelNames: ['kind', 'name', 'sync_status', 'health_status'],
      registers: [register],
    });
    this.driftDetectedTotal = new Counter({
      name: 'berth_drift_detected_total',
      help: 'Times a resource that was Synced was found to differ from git (changed outside Berth), by kind.',
      labelNames: ['kind'],
      registers: [register],
    });
    this.sourceRevisionInfo = new Gauge({
      name: 'berth_source_revision_info',
      help: 'The source revision in force (the last one that passed validation), always 1; only one series at a time.',
      labelNames: ['revision'],
      registers: [register],
    });
    this.sourceLastFetch = new Gauge({
      name: 'berth_source_last_fetch_timestamp_seconds',
      help: 'Unix time of the last successful fetch of the source, in seconds (time() minus this is the fetch age).',
      registers: [register],
    });
    this.sourceFetchErrors = new Counter({
      name: 'berth_source_fetch_errors_total',
      help: 'Fetches of the source that failed (git unreachable, checkout or read error).',
      registers: [register],
    });
    this.revisionAppliedSeconds = new Histogram({
      name: 'berth_revision_applied_seconds',
      help: 'Seconds from a revision becoming known to it being applied, measured since its commit time (since="commit") or since the webhook that announced it was received (since="webhook").',
      labelNames: ['since'],
      buckets: APPLIED_BUCKETS,
      registers: [register],
    });
    this.revisionRejectedTotal = new Counter({
      name: 'berth_revision_rejected_total',
      help: 'Revisions that failed validation and were not applied (the previous revision stays in force).',
      registers: [register],
    });
    this.awsCallsTotal = new Counter({
      name: 'berth_aws_api_calls_total',
      help: 'AWS API call attempts, by service, operation and outcome (success, error, throttled); a retry is another attempt.',
      labelNames: ['service', 'operation', 'outcome'],
      registers: [register],
    });
    this.awsThrottlesTotal = new Counter({
      name: 'berth_aws_throttles_total',
      help: 'AWS API call attempts answered with a throttling error, by service.',
      labelNames: ['service'],
      registers: [register],
    });
    this.workqueueDepth = new Gauge({
      name: 'berth_workqueue_depth',
      help: 'Resources waiting in the work queue to be reconciled.',
      registers: [register],
    });
    this.leader = new Gauge({
      name: 'berth_leader',
      help: 'Whether this controller task is the leader that applies changes (1) or a standby serving read-only status (0).',
      registers: [register],
    });

    this.scalerBacklog = new Gauge({
      name: 'berth_scaler_backlog',
      help: 'The backlog a QueueScaler last read: jobs in the states it counts (waiting, prioritized, active by default).',
      labelNames: ['scaler'],
      registers: [register],
    });
    this.scalerDesiredTasks = new Gauge({
      name: 'berth_scaler_desired_tasks',
      help: 'The desired count a QueueScaler last decided for its service.',
      labelNames: ['scaler'],
      registers: [register],
    });
    this.scalerDesiredInstances = new Gauge({
      name: 'berth_scaler_desired_instances',
      help: 'The desired capacity a QueueScaler last decided for its Auto Scaling group.',
      labelNames: ['scaler'],
      registers: [register],
    });
    this.scalerDecisions = new Counter({
      name: 'berth_scaler_decisions_total',
      help: 'Decisions of a QueueScaler that changed its targets, by direction (up, down).',
      labelNames: ['scaler', 'direction'],
      registers: [register],
    });
    this.scalerErrors = new Counter({
      name: 'berth_scaler_errors_total',
      help: 'Failed reads of the queue or failed scaling calls of a QueueScaler (it holds its last decision meanwhile).',
      labelNames: ['scaler'],
      registers: [register],
    });
    this.scalerReaction = new Histogram({
      name: 'berth_scaler_reaction_seconds',
      help: 'Seconds from the first job after an idle queue being seen to the scale-up call being sent.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [register],
    });

    // Both `since` series exist from the start, so a dashboard's query has data before the first apply.
    this.revisionAppliedSeconds.zero({ since: 'commit' });
    this.revisionAppliedSeconds.zero({ since: 'webhook' });
  }

  /** The `Content-Type` of `render()`'s text. */
  get contentType(): string {
    return this.register.contentType;
  }

  /** The Prometheus text exposition of every metric in the registry. */
  async render(): Promise<string> {
    return this.register.metrics();
  }

  /** One reconcile of one resource of `kind` ended with `result` after `seconds`. */
  reconciled(kind: string, result: ReconcileResult, seconds: number): void {
    this.reconcileTotal.inc({ kind, result });
    this.reconcileDuration.observe({ kind }, seconds);
  }

  /** A resource of `kind` that was Synced was found changed outside Berth. */
  driftDetected(kind: string): void {
    this.driftDetectedTotal.inc({ kind });
  }

  /**
   * A fetch of the source succeeded at `at`; `revision` is the revision in force after it (the
   * previous one when the fetched revision was rejected, undefined before any revision passed).
   */
  sourceFetched(revision: string | undefined, at: Date): void {
    this.sourceLastFetch.set(at.getTime() / 1000);
    this.setRevisionInForce(revision);
  }

  /** A fetch of the source failed. */
  sourceFetchFailed(): void {
    this.sourceFetchErrors.inc();
  }

  /** A fetched revision failed validation and was not applied. */
  revisionRejected(): void {
    this.revisionRejectedTotal.inc();
  }

  /** A revision was applied `seconds` after its commit time (`commit`) or after the webhook that announced it (`webhook`). */
  revisionApplied(since: AppliedSince, seconds: number): void {
    this.revisionAppliedSeconds.observe({ since }, Math.max(0, seconds));
  }

  /** One AWS API call attempt; a throttled one also counts in `berth_aws_throttles_total`. */
  awsCall(service: string, operation: string, outcome: AwsCallOutcome): void {
    this.awsCallsTotal.inc({ service, operation, outcome });
    if (outcome === 'throttled') this.awsThrottlesTotal.inc({ service });
  }

  setQueueDepth(depth: number): void {
    this.workqueueDepth.set(depth);
  }

  /** A QueueScaler's reading and decision. */
  scalerObserved(scaler: string, backlog: number | undefined, tasks: number, instances: number): void {
    if (backlog !== undefined) this.scalerBacklog.set({ scaler }, backlog);
    this.scalerDesiredTasks.set({ scaler }, tasks);
    this.scalerDesiredInstances.set({ scaler }, instances);
  }

  scalerDecided(scaler: string, direction: 'up' | 'down'): void {
    this.scalerDecisions.inc({ scaler, direction });
  }

  scalerFailed(scaler: string): void {
    this.scalerErrors.inc({ scaler });
  }

  scalerReacted(seconds: number): void {
    this.scalerReaction.observe(seconds);
  }

  setLeader(isLeader: boolean): void {
    this.leader.set(isLeader ? 1 : 0);
  }

  /** Replaces every `berth_resource_info` series with one per resource in `statuses` (a resource gone, or whose status changed, loses its old series). */
  setResources(statuses: readonly ResourceStatus[]): void {
    this.resourceInfo.reset();
    for (const status of statuses) {
      this.resourceInfo.set(
        { kind: status.kind, name: status.name, sync_status: status.syncStatus, health_status: status.health.status },
        1,
      );
    }
  }

  /** Sets the revision in force and the last fetch time from a status snapshot (what `/metrics` does before rendering). */
  setSource(source: SourceStatus): void {
    this.setRevisionInForce(source.revision);
    if (source.lastFetchAt !== undefined) {
      const at = Date.parse(source.lastFetchAt);
      if (Number.isFinite(at)) this.sourceLastFetch.set(at / 1000);
    }
  }

  private setRevisionInForce(revision: string | undefined): void {
    this.sourceRevisionInfo.reset();
    if (revision !== undefined) this.sourceRevisionInfo.set({ revision }, 1);
  }
}
