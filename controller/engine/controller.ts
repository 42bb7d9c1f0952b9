/**
 * The controller: keeps AWS at the revision in force, continuously. The source delivers revisions;
 * a valid one replaces the revision in force and queues the resources whose desired content
 * changed (an invalid one changes nothing and is reported with file:line); a resync queues all of
 * them. Workers take every ready key at once and reconcile them in one pass: a batched plan of just
 * those keys, then apply in dependency order (leader only). Status is written at the end of every
 * pass, whatever happened (Flux's `finally`).
 */
import { createHash } from 'node:crypto';
import type { ErrorClass } from '../aws/errors.ts';
import { ReconcileError } from '../aws/errors.ts';
import type { Logger } from '../log.ts';
import type { Diagnostic } from '../manifests/diagnostics.ts';
import type { ManifestEntry } from '../manifests/types.ts';
import { manifestKey } from '../manifests/types.ts';
import { validateSources } from '../manifests/validate.ts';
import type { Revision, Source, SourceError } from '../source/source.ts';
import { applyPlan } from './apply.ts';
import type { ApplyOutcome } from './apply.ts';
import type { AwsPorts } from './observe.ts';
import { buildPlan } from './plan.ts';
import type { Plan } from './plan.ts';
import type { Health, PlanEntry } from './plan-types.ts';
import type { Condition, ConditionType, ControllerStatus, ControllerView, ResourceEvent, ResourceStatus, RevisionProblem, SourceStatus, SyncStatus } from './status.ts';
import { WorkQueue } from './work-queue.ts';

/** What the controller reports to Prometheus (BerthMetrics implements it). */
export interface ControllerMetrics {
  reconciled(kind: string, result: 'success' | 'error' | 'skipped', seconds: number): void;
  driftDetected(kind: string): void;
  sourceFetched(revision: string, at: Date): void;
  sourceFetchFailed(): void;
  revisionRejected(): void;
  revisionApplied(since: 'commit' | 'webhook', seconds: number): void;
  setQueueDepth(depth: number): void;
}

/** The queue scalers of the revision in force (ScalerManager implements it). */
export interface Scalers {
  update(manifests: readonly ManifestEntry[]): Promise<void>;
  statuses(): ResourceStatus[];
  close(): Promise<void>;
}

/** Who may write: the lease holder, or everyone in single-instance mode. */
export interface Leadership {
  role(): 'leader' | 'standby' | 'single';
}

export interface ControllerOptions {
  readonly source: Source;
  readonly aws: AwsPorts;
  /** The `berth.dev/managed-by` value of this Berth. */
  readonly instance: string;
  readonly defaultRegion: string | undefined;
  readonly metrics: ControllerMetrics;
  readonly log: Logger;
  readonly leadership?: Leadership;
  /** Runs the QueueScalers of each revision in force. @defaultValue none */
  readonly scalers?: Scalers;
  /** Resources applied at once within a pass. @defaultValue 4 */
  readonly workers?: number;
  /** Full reconcile of every resource, jittered by ±10 %. @defaultValue 300000 (5 min) */
  readonly resyncMs?: number;
  /** Correct drift found on resync; off: report it only. @defaultValue true */
  readonly selfHeal?: boolean;
  /** Delete owned resources that left git (the apply rules of `--prune`). @defaultValue false */
  readonly prune?: boolean;
  /** Look again this soon at a resource that is Progressing, or was just changed. @defaultValue 10000 */
  readonly progressRequeueMs?: number;
  /** Retry a resource waiting for a dependency this soon. @defaultValue 10000 */
  readonly waitRequeueMs?: number;
  /** Per-key backoff after a failure: first and longest delay. @defaultValue 1000, 300000 */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
}

/** The revision in force. */
interface InForce {
  readonly revision: Revision;
  readonly manifests: readonly ManifestEntry[];
  /** `Kind/name` → hash of the desired content. */
  readonly hashes: ReadonlyMap<string, string>;
}

/** Status as the controller keeps it: mutable inside, copied out. */
interface Tracked {
  kind: string;
  name: string;
  syncStatus: SyncStatus;
  health: Health;
  conditions: Map<ConditionType, Condition>;
  lastAttemptedRevision?: string;
  lastAppliedRevision?: string;
  lastError?: { reason: string; message: string; time: string };
  events: ResourceEvent[];
  diff: PlanEntry['changes'];
  orphaned: boolean;
  lastReconciledAt?: string;
}

const MAX_EVENTS = 20;

/** The desired content of one manifest, as a stable hash: what "changed" means to a new revision. */
export function contentHash(manifest: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(manifest))).digest('hex').slice(0, 16);
}

export class Controller implements ControllerView {
  private readonly options: ControllerOptions;
  private readonly queue: WorkQueue;
  private readonly resources = new Map<string, Tracked>();
  private inForce: InForce | undefined;
  private sourceError: SourceStatus['lastError'];
  /** `Kind/name` → hash of the content last converged: an update planned for the same content is drift. */
  private readonly converged = new Map<string, string>();
  /** The next pass takes the inventory (orphans, prune): after a resync, a new revision or leadership. */
  private inventoryDue = true;
  /** Keys of the newest revision still to converge, for how long a revision takes to apply. */
  private pendingRevision: { revision: Revision; keys: Set<string> } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private closing = false;
  private lastRole: 'leader' | 'standby' | 'single' | undefined;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.queue = new WorkQueue({ baseDelayMs: options.backoff?.baseMs ?? 1000, maxDelayMs: options.backoff?.maxMs ?? 300_000 });
  }

  /** Starts the source (its first fetch included), the workers and the resync. */
  async start(): Promise<void> {
    this.loop = this.work();
    await this.options.source.start(
      (revision) => this.onRevision(revision),
      (error) => this.onSourceError(error),
    );
    this.scheduleResync();
  }

  /**
   * Stops taking new work, lets the pass in flight finish (at most `drainMs`), stops the source.
   * Idempotent; what SIGTERM calls.
   */
  async close(drainMs = 25_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.queue.close();
    const results = await Promise.allSettled([
      this.options.source.close(),
      this.options.scalers?.close(),
      Promise.race([this.loop ?? Promise.resolve(), new Promise<void>((resolve) => setTimeout(resolve, drainMs).unref())]),
    ]);
    for (const r of results) if (r.status === 'rejected') this.options.log('error', 'error while stopping', { error: String(r.reason) });
  }

  // --- ControllerView -----------------------------------------------------------------------

  status(): ControllerStatus {
    const role = this.role();
    const source = this.sourceStatus();
    return {
      source,
      role,
      ready: source.lastFetchAt !== undefined || this.sourceError !== undefined,
      resources: [...[...this.resources.values()].map((t) => this.snapshot(t)), ...(this.options.scalers?.statuses() ?? [])].sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`)),
    };
  }

  resource(kind: string, name: string): ResourceStatus | undefined {
    const tracked = this.resources.get(`${kind}/${name}`);
    if (tracked) return this.snapshot(tracked);
    return kind === 'QueueScaler' ? this.options.scalers?.statuses().find((s) => s.name === name) : undefined;
  }

  async reconcileNow(reason: 'api' | 'webhook', at: Date): Promise<void> {
    this.options.log('info', 'reconcile requested', { reason });
    await this.options.source.fetchNow(reason === 'webhook' ? 'webhook' : 'manual', at);
    // The API asks for a full reconcile; a webhook only for what the new revision changed.
    if (reason === 'api') this.enqueueAll();
  }

  /** The lease changed hands: a new leader reconciles everything at once, not at the next resync. */
  leadershipChanged(): void {
    this.role();
  }

  // --- Source -------------------------------------------------------------------------------

  private onSourceError(error: SourceError): void {
    this.options.metrics.sourceFetchFailed();
    this.sourceError = { reason: 'FetchFailed', message: error.message, time: new Date().toISOString(), problems: [] };
    this.options.log('warn', 'source fetch failed', { error: error.message });
  }

  /** A new revision: validated whole; applied only if every document is valid. */
  private onRevision(revision: Revision): Promise<void> {
    const result = validateSources(revision.files);
    if (!result.valid) {
      // Nothing of this revision is applied: the last good one stays in force (status says why).
      const problems = result.diagnostics.filter((d) => d.severity === 'error').map(problem);
      this.sourceError = { revision: revision.id, reason: 'ValidationFailed', message: `revision ${revision.id.slice(0, 12)} is invalid (${problems.length} ${problems.length === 1 ? 'error' : 'errors'}); ${this.inForce ? `${this.inForce.revision.id.slice(0, 12)} stays in force` : 'nothing is applied'}`, time: new Date().toISOString(), problems };
      this.options.metrics.revisionRejected();
      this.options.log('warn', 'revision rejected', { revision: revision.id, problems: problems.slice(0, 10).map((p) => `${p.file}:${p.line}:${p.column} ${p.rule} ${p.message}`) });
      return Promise.resolve();
    }
    const manifests = result.manifests.filter((e) => e.manifest.kind !== 'QueueScaler');
    const hashes = new Map(manifests.map((e) => [manifestKey(e.manifest), contentHash(e.manifest)]));
    const previous = this.inForce?.hashes;
    const changed = [...hashes].filter(([key, hash]) => previous?.get(key) !== hash).map(([key]) => key);
    const removed = [...(previous?.keys() ?? [])].filter((key) => !hashes.has(key));
    this.inForce = { revision, manifests: result.manifests, hashes };
    this.sourceError = undefined;
    this.options.metrics.sourceFetched(revision.id, new Date());
    for (const key of removed) {
      this.resources.delete(key);
      this.converged.delete(key);
      this.queue.forget(key);
    }
    this.options.log('info', 'revision in force', { revision: revision.id, trigger: revision.trigger, changed: changed.length, removed: removed.length, subject: revision.subject });
    this.pendingRevision = { revision, keys: new Set(changed) };
    // The scalers follow the revision in force (they run in the background, on their own clock).
    void this.options.scalers?.update(result.manifests);
    // Removed resources are found by the inventory (orphans, or prune).
    if (removed.length > 0 || previous === undefined) this.inventoryDue = true;
    for (const key of changed) this.queue.add(key);
    if (changed.length === 0) this.revisionConverged();
    this.options.metrics.setQueueDepth(this.queue.depth());
    return Promise.resolve();
  }

  // --- Work ---------------------------------------------------------------------------------

  private enqueueAll(): void {
    this.inventoryDue = true;
    for (const key of this.inForce?.hashes.keys() ?? []) this.queue.add(key);
    this.options.metrics.setQueueDepth(this.queue.depth());
  }

  private scheduleResync(): void {
    if (this.closing) return;
    const base = this.options.resyncMs ?? 300_000;
    const jittered = base * (0.9 + Math.random() * 0.2);
    this.resyncTimer = setTimeout(() => {
      this.options.log('debug', 'resync');
      this.enqueueAll();
      this.scheduleResync();
    }, jittered);
    this.resyncTimer.unref();
  }

  private role(): 'leader' | 'standby' | 'single' {
    const role = this.options.leadership?.role() ?? 'single';
    if (role !== this.lastRole) {
      // A new leader starts from a full reconcile: the old one may have left work undone.
      if (role === 'leader' && this.lastRole !== undefined) this.enqueueAll();
      this.lastRole = role;
    }
    return role;
  }

  /** The worker loop: one pass at a time over every key ready, until closed. */
  private async work(): Promise<void> {
    for (;;) {
      const keys = await this.queue.take();
      if (keys.length === 0) return;
      this.options.metrics.setQueueDepth(this.queue.depth());
      try {
        await this.pass(keys);
      } catch (err) {
        // A pass reports per key; anything escaping is a bug: log it, retry the keys with backoff.
        this.options.log('error', 'reconcile pass failed', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        for (const key of keys) this.queue.done(key, { ok: false, retry: 'backoff' });
      }
      this.options.metrics.setQueueDepth(this.queue.depth());
    }
  }

  /** One pass: plan the keys in one batched observation, apply (leader only), write status. */
  private async pass(keys: readonly string[]): Promise<void> {
    const inForce = this.inForce;
    const started = performance.now();
    if (!inForce) {
      for (const key of keys) this.queue.done(key, { ok: true, retry: 'none' });
      return;
    }
    const wanted = keys.filter((key) => inForce.hashes.has(key));
    for (const key of keys) if (!inForce.hashes.has(key)) this.queue.done(key, { ok: true, retry: 'none' });
    const role = this.role();
    const writer = role !== 'standby';
    const inventory = this.inventoryDue;
    this.inventoryDue = false;

    let plan: Plan;
    try {
      plan = await buildPlan({
        manifests: inForce.manifests,
        aws: this.options.aws,
        instance: this.options.instance,
        defaultRegion: this.options.defaultRegion,
        now: new Date(),
        only: new Set(wanted),
        inventory,
        prune: writer && this.options.prune === true,
      });
    } catch (err) {
      // Observation failed: nothing is known, nothing is changed; every key retries with backoff.
      if (inventory) this.inventoryDue = true;
      const error = asError(err);
      for (const key of wanted) {
        const t = this.track(key);
        this.fail(t, inForce.revision.id, error.reason, error.message, 'Reconciling');
        this.options.metrics.reconciled(t.kind, 'error', (performance.now() - started) / 1000);
        this.queue.done(key, { ok: false, retry: error.errorClass === 'stalled' ? 'none' : 'backoff' });
      }
      this.options.log('warn', 'observation failed', { keys: wanted.length, reason: error.reason, error: error.message });
      return;
    }

    // Drift: a change planned for content this controller had already converged.
    const drifted = new Set<string>();
    for (const entry of plan.entries) {
      if (entry.action === 'update' && this.converged.get(entry.key) === inForce.hashes.get(entry.key)) {
        drifted.add(entry.key);
        this.options.metrics.driftDetected(entry.kind);
        this.options.log('info', 'drift detected', { resource: entry.key, fields: entry.changes.map((c) => c.path) });
      }
    }
    const selfHeal = this.options.selfHeal !== false;
    const toApply = plan.entries.filter((e) => (e.action === 'prune' || inForce.hashes.has(e.key)) && !(drifted.has(e.key) && !selfHeal));
    const outcomes = writer ? await applyPlan({ ...plan, entries: toApply }, { manifests: inForce.manifests, aws: this.options.aws, instance: this.options.instance, defaultRegion: this.options.defaultRegion, revision: inForce.revision.id, concurrency: this.options.workers ?? 4 }) : [];
    const byKey = new Map(outcomes.map((o) => [o.key, o]));
    const seconds = (performance.now() - started) / 1000;

    // Status, for every planned key, whatever happened.
    for (const entry of plan.entries) {
      if (entry.action === 'orphaned' || entry.action === 'prune') {
        this.recordOrphan(entry, byKey.get(entry.key));
        continue;
      }
      this.record(entry, byKey.get(entry.key), { revision: inForce.revision.id, hash: inForce.hashes.get(entry.key) ?? '', drifted: drifted.has(entry.key), writer, selfHeal, seconds });
    }
    if (inventory) this.forgetPrunedOrphans(plan);
    this.revisionConverged();
  }

  /** Writes one resource's status from its plan entry and apply outcome, and decides its requeue. */
  private record(entry: PlanEntry, outcome: ApplyOutcome | undefined, ctx: { revision: string; hash: string; drifted: boolean; writer: boolean; selfHeal: boolean; seconds: number }): void {
    const t = this.track(entry.key);
    const now = new Date().toISOString();
    t.lastAttemptedRevision = ctx.revision;
    t.lastReconciledAt = now;
    t.orphaned = false;
    t.diff = entry.changes;
    t.health = entry.health;
    const requeue = this.options.progressRequeueMs ?? 10_000;
    setCondition(t, 'Drifted', ctx.drifted ? 'True' : 'False', ctx.drifted ? 'DriftDetected' : 'NoDrift', ctx.drifted ? `changed outside git: ${entry.changes.map((c) => c.path).join(', ')}` : 'live state matches what was applied');
    if (ctx.drifted) event(t, 'Warning', 'DriftDetected', `changed outside git: ${entry.changes.map((c) => c.path).join(', ')}${ctx.selfHeal ? '; correcting it' : '; self-heal is off'}`);

    // Suspended: neither applied nor judged.
    if (entry.action === 'suspended') {
      t.syncStatus = 'Unknown';
      setCondition(t, 'Ready', 'Unknown', 'Suspended', 'suspended by berth.dev/suspend');
      setCondition(t, 'Reconciling', 'False', 'Suspended', 'suspended');
      this.options.metrics.reconciled(t.kind, 'skipped', ctx.seconds);
      this.queue.done(entry.key, { ok: true, retry: 'none' });
      return;
    }
    // Refused (not owned, replace required, rolled back …): stalled until the input changes.
    if (entry.action === 'refused') {
      t.syncStatus = 'OutOfSync';
      this.fail(t, ctx.revision, entry.reason ?? 'Refused', entry.message ?? '', 'Stalled');
      this.options.metrics.reconciled(t.kind, 'skipped', ctx.seconds);
      this.queue.done(entry.key, { ok: false, retry: 'none' });
      return;
    }
    const changes = entry.action === 'create' || entry.action === 'update';
    // A standby, or drift with self-heal off: report only.
    if (changes && (!ctx.writer || (ctx.drifted && !ctx.selfHeal))) {
      t.syncStatus = 'OutOfSync';
      setCondition(t, 'Ready', 'False', ctx.writer ? 'DriftNotCorrected' : 'Standby', ctx.writer ? 'drift is reported, not corrected (self-heal is off)' : 'this controller is on standby; the leader applies');
      this.options.metrics.reconciled(t.kind, 'skipped', ctx.seconds);
      this.queue.done(entry.key, { ok: true, retry: 'none' });
      return;
    }
    if (outcome?.status === 'failed' || outcome?.status === 'skipped') {
      const errorClass: ErrorClass = outcome.status === 'skipped' ? 'waiting' : (outcome.error?.errorClass ?? 'transient');
      t.syncStatus = 'OutOfSync';
      const reason = outcome.status === 'skipped' ? 'DependencyNotReady' : (outcome.error?.reason ?? 'ApplyFailed');
      this.fail(t, ctx.revision, reason, outcome.message, errorClass === 'stalled' ? 'Stalled' : 'ApplyFailed');
      this.options.metrics.reconciled(t.kind, outcome.status === 'skipped' ? 'skipped' : 'error', ctx.seconds);
      this.queue.done(entry.key, { ok: false, retry: errorClass === 'stalled' ? 'none' : errorClass === 'waiting' ? { afterMs: this.options.waitRequeueMs ?? 10_000 } : 'backoff' });
      return;
    }
    // In sync, or just applied.
    const applied = changes && outcome?.status === 'applied';
    t.syncStatus = 'Synced';
    t.diff = [];
    t.lastAppliedRevision = ctx.revision;
    t.lastError = undefined;
    this.converged.set(entry.key, ctx.hash);
    if (applied) {
      t.health = { status: 'Progressing', message: `applied ${ctx.revision.slice(0, 12)}: ${outcome.message}` };
      event(t, 'Normal', 'Applied', `${entry.action === 'create' ? 'created' : 'updated'} at ${ctx.revision.slice(0, 12)}${entry.changes.length > 0 ? `: ${entry.changes.map((c) => c.path).slice(0, 5).join(', ')}` : ''}`);
    }
    for (const type of ['Stalled', 'ApplyFailed'] as const) setCondition(t, type, 'False', 'Succeeded', 'the last reconcile succeeded');
    const healthy = t.health.status === 'Healthy';
    setCondition(t, 'Ready', healthy ? 'True' : 'False', healthy ? 'ReconciliationSucceeded' : t.health.status, t.health.message);
    setCondition(t, 'Reconciling', t.health.status === 'Progressing' ? 'True' : 'False', t.health.status === 'Progressing' ? 'Progressing' : 'Succeeded', t.health.message);
    this.options.metrics.reconciled(t.kind, 'success', ctx.seconds);
    this.pendingRevision?.keys.delete(entry.key);
    // Look again soon while it moves (a rollout, instances launching), so status converges.
    this.queue.done(entry.key, { ok: true, retry: applied || t.health.status === 'Progressing' ? { afterMs: requeue } : 'none' });
  }

  private recordOrphan(entry: PlanEntry, outcome: ApplyOutcome | undefined): void {
    if (outcome?.status === 'applied') {
      this.resources.delete(entry.key);
      this.options.log('info', 'pruned', { resource: entry.key, message: outcome.message });
      return;
    }
    const t = this.track(entry.key, entry.kind, entry.name);
    t.orphaned = true;
    t.syncStatus = 'OutOfSync';
    t.health = entry.health;
    t.diff = [];
    t.lastReconciledAt = new Date().toISOString();
    const why = outcome?.status === 'failed' || outcome?.status === 'refused' ? outcome.message : (entry.message ?? '');
    setCondition(t, 'Ready', 'False', entry.reason ?? (outcome?.status === 'failed' ? 'PruneFailed' : 'Orphaned'), why);
  }

  /** Orphans that the inventory no longer finds are gone (pruned, or removed by hand). */
  private forgetPrunedOrphans(plan: Plan): void {
    const orphanKeys = new Set(plan.entries.filter((e) => e.action === 'orphaned' || e.action === 'prune').map((e) => e.key));
    for (const [key, t] of this.resources) if (t.orphaned && !orphanKeys.has(key)) this.resources.delete(key);
  }

  /** When every resource a revision changed has converged: how long it took. */
  private revisionConverged(): void {
    const pending = this.pendingRevision;
    if (!pending || pending.keys.size > 0) return;
    this.pendingRevision = undefined;
    const now = Date.now();
    if (pending.revision.committedAt) this.options.metrics.revisionApplied('commit', (now - pending.revision.committedAt.getTime()) / 1000);
    if (pending.revision.trigger === 'webhook') this.options.metrics.revisionApplied('webhook', (now - pending.revision.triggeredAt.getTime()) / 1000);
    this.options.log('info', 'revision applied', { revision: pending.revision.id, sinceTriggerSeconds: (now - pending.revision.triggeredAt.getTime()) / 1000 });
  }

  // --- Status helpers -----------------------------------------------------------------------

  private track(key: string, kind?: string, name?: string): Tracked {
    let t = this.resources.get(key);
    if (!t) {
      const slash = key.indexOf('/');
      t = { kind: kind ?? key.slice(0, slash), name: name ?? key.slice(slash + 1), syncStatus: 'Unknown', health: { status: 'Unknown', message: 'not reconciled yet' }, conditions: new Map(), events: [], diff: [], orphaned: false };
      this.resources.set(key, t);
    }
    return t;
  }

  private fail(t: Tracked, revision: string, reason: string, message: string, condition: 'Stalled' | 'ApplyFailed' | 'Reconciling'): void {
    const time = new Date().toISOString();
    t.lastAttemptedRevision = revision;
    const repeated = t.lastError?.reason === reason && t.lastError.message === message;
    t.lastError = { reason, message, time };
    if (condition !== 'Reconciling') setCondition(t, condition, 'True', reason, message);
    setCondition(t, 'Ready', 'False', reason, message);
    if (!repeated) event(t, 'Warning', reason, message);
  }

  private snapshot(t: Tracked): ResourceStatus {
    return {
      kind: t.kind,
      name: t.name,
      syncStatus: t.syncStatus,
      health: t.health,
      conditions: [...t.conditions.values()],
      ...(t.lastAttemptedRevision !== undefined && { lastAttemptedRevision: t.lastAttemptedRevision }),
      ...(t.lastAppliedRevision !== undefined && { lastAppliedRevision: t.lastAppliedRevision }),
      ...(t.lastError !== undefined && { lastError: t.lastError }),
      events: [...t.events],
      diff: t.diff,
      ...(t.orphaned && { orphaned: true }),
      ...(t.lastReconciledAt !== undefined && { lastReconciledAt: t.lastReconciledAt }),
    };
  }

  private sourceStatus(): SourceStatus {
    const fetched = this.options.source.lastFetchAt();
    const revision = this.inForce?.revision;
    return {
      description: this.options.source.description,
      ...(revision !== undefined && { revision: revision.id }),
      ...(revision?.committedAt !== undefined && { revisionCommittedAt: revision.committedAt.toISOString() }),
      ...(fetched !== undefined && { lastFetchAt: fetched.toISOString() }),
      ...(this.sourceError !== undefined && { lastError: this.sourceError }),
    };
  }
}

function problem(d: Diagnostic): RevisionProblem {
  return { file: d.file, line: d.line, column: d.column, rule: d.rule, message: d.message, ...(d.fix !== undefined && { fix: d.fix }) };
}

function asError(err: unknown): { errorClass: ErrorClass; reason: string; message: string } {
  if (err instanceof ReconcileError) return { errorClass: err.errorClass, reason: err.reason, message: err.message };
  return { errorClass: 'transient', reason: 'Unknown', message: err instanceof Error ? err.message : String(err) };
}

/** Sets a condition; its transition time moves only when its status does. */
function setCondition(t: Tracked, type: ConditionType, status: Condition['status'], reason: string, message: string): void {
  const old = t.conditions.get(type);
  const lastTransitionTime = old?.status === status ? old.lastTransitionTime : new Date().toISOString();
  t.conditions.set(type, { type, status, reason, message, lastTransitionTime });
}

function event(t: Tracked, type: ResourceEvent['type'], reason: string, message: string): void {
  t.events.unshift({ time: new Date().toISOString(), type, reason, message });
  if (t.events.length > MAX_EVENTS) t.events.length = MAX_EVENTS;
}
