/**
 * What the controller knows and says about each resource and about its source: the data behind
 * the status API, the status page and the metrics. Plain data; the reconciler writes it.
 */
import type { FieldChange, Health } from './plan-types.ts';

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';

export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled' | 'Drifted' | 'ApplyFailed';

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  /** PascalCase, e.g. `ReconciliationSucceeded`, `NotOwned`, `Throttled`. */
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface ResourceEvent {
  readonly time: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface ResourceStatus {
  readonly kind: string;
  readonly name: string;
  readonly syncStatus: SyncStatus;
  readonly health: Health;
  readonly conditions: readonly Condition[];
  readonly lastAttemptedRevision?: string;
  readonly lastAppliedRevision?: string;
  readonly lastError?: { readonly reason: string; readonly message: string; readonly time: string };
  /** Newest first, at most 20. */
  readonly events: readonly ResourceEvent[];
  /** The current diff (desired vs live), empty when Synced. */
  readonly diff: readonly FieldChange[];
  /** The resource is owned but no longer in git. */
  readonly orphaned?: boolean;
  readonly lastReconciledAt?: string;
}

/** A diagnostic of a rejected revision, as status shows it. */
export interface RevisionProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly rule: string;
  readonly message: string;
  readonly fix?: string;
}

export interface SourceStatus {
  readonly description: string;
  /** The revision in force (the last good one). */
  readonly revision?: string;
  readonly revisionCommittedAt?: string;
  readonly lastFetchAt?: string;
  /** The last fetch or revision that failed, while it is the newest thing the source saw. */
  readonly lastError?: {
    readonly revision?: string;
    readonly reason: string;
    readonly message: string;
    readonly time: string;
    readonly problems: readonly RevisionProblem[];
  };
}

export interface ControllerStatus {
  readonly source: SourceStatus;
  readonly role: 'leader' | 'standby' | 'single';
  readonly ready: boolean;
  readonly resources: readonly ResourceStatus[];
}

/** What the HTTP surface reads and triggers; the controller implements it. */
export interface ControllerView {
  status(): ControllerStatus;
  resource(kind: string, name: string): ResourceStatus | undefined;
  /** Fetch the source now and reconcile everything. */
  reconcileNow(reason: 'api' | 'webhook', at: Date): Promise<void>;
}
