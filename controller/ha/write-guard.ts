/**
 * The guard in front of every write to AWS: only the leader writes. A standby (or a leader whose
 * lease could not be renewed in time) gets a LeadershipLostError instead, and the work is left for
 * the process that holds the lease.
 */

/** What the guard needs from a lease (RedisLease has it). */
export interface Leadership {
  /** True while the lease is held and its local deadline has not passed. */
  isLeader(): boolean;
  /** The fencing token of the current term while leader. */
  fencingToken(): number | undefined;
}

/** A write was attempted by a process that is not (or no longer) the leader. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  /** The write that was refused, e.g. `ecs:UpdateService`. */
  readonly operation: string;

  constructor(operation: string, options: { cause?: unknown } = {}) {
    super(`not the leader: ${operation} refused (another Berth task holds the lease, or this one could not renew it in time)`, options);
    this.operation = operation;
  }
}

/** Throws LeadershipLostError unless `leadership` is the leader now; returns the fencing token of its term. */
export function assertLeadership(leadership: Leadership, operation: string): number {
  const token = leadership.fencingToken();
  if (token === undefined || !leadership.isLeader()) throw new LeadershipLostError(operation);
  return token;
}
