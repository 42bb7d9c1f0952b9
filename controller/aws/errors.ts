/**
 * Errors are typed once, where AWS is reached. The class decides what the controller does:
 * transient — back off and retry; stalled — no retry until the input changes; waiting — a
 * dependency is not ready, requeue later. The reason is a PascalCase constant shown in status.
 */
export type ErrorClass = 'transient' | 'stalled' | 'waiting';

export class ReconcileError extends Error {
  override readonly name: string = 'ReconcileError';
  readonly errorClass: ErrorClass;
  /** PascalCase, e.g. `Throttled`, `AccessDenied`, `InvalidParameter`, `NotOwned`, `ClusterNotFound`. */
  readonly reason: string;
  /** The AWS operation that failed, when one did. */
  readonly operation: string | undefined;

  constructor(errorClass: ErrorClass, reason: string, message: string, options: { operation?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.errorClass = errorClass;
    this.reason = reason;
    this.operation = options.operation;
  }
}

/** Retry with backoff: throttling, 5xx, timeouts, connection errors. */
export class TransientError extends ReconcileError {
  override readonly name = 'TransientError';
  constructor(reason: string, message: string, options: { operation?: string; cause?: unknown } = {}) {
    super('transient', reason, message, options);
  }
}

/** Do not retry until the manifest or the account changes: validation, access denied, not found where it must exist. */
export class StalledError extends ReconcileError {
  override readonly name = 'StalledError';
  constructor(reason: string, message: string, options: { operation?: string; cause?: unknown } = {}) {
    super('stalled', reason, message, options);
  }
}

/** A dependency is not ready yet (a cluster being created, a rollout in progress): requeue later. */
export class WaitingError extends ReconcileError {
  override readonly name = 'WaitingError';
  constructor(reason: string, message: string, options: { operation?: string; cause?: unknown } = {}) {
    super('waiting', reason, message, options);
  }
}
