/** What a plan says about each resource, as data: rendered as text, JSON or Markdown, and executed by apply. */

/** One field that differs: `containerDefinitions[api].image: …:1 → …:2`. */
export interface FieldChange {
  /** Readable path; list items by their name where they have one. */
  readonly path: string;
  /** Observed value (undefined: absent). */
  readonly from: unknown;
  /** Desired value (undefined: to be removed). */
  readonly to: unknown;
}

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface Health {
  readonly status: HealthStatus;
  readonly message: string;
}

/**
 * create: missing in AWS; update: differs; no-change; refused: Berth will not act (not owned,
 * a field that cannot change in place, a spec that failed before); suspended: annotated so;
 * orphaned: owned by this Berth but no longer in git, left alone; prune: orphaned, and to be deleted
 * (or released) because prune was asked for.
 */
export type PlanAction = 'create' | 'update' | 'no-change' | 'refused' | 'suspended' | 'orphaned' | 'prune';

export interface PlanEntry {
  /** `Kind/name`. */
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly action: PlanAction;
  /** For refused (and suspended): a PascalCase reason and what to do. */
  readonly reason?: string;
  readonly message?: string;
  readonly changes: readonly FieldChange[];
  readonly health: Health;
  /** Orphaned and prune entries: the region and ARNs of what is owned but gone from git. */
  readonly target?: { readonly region: string; readonly arns: readonly string[] };
}
