/**
 * The source of desired state: a git repository (polled, or fetched at once on a webhook) or a local
 * working directory (watched). Each settled state is a `Revision`: the manifest files under the
 * source's path, read whole from one commit (or one settled content hash), never a half-written
 * checkout.
 */
import type { SourceFile } from '../manifests/source-document.ts';

/** What made a source look for a new revision. */
export type FetchTrigger = 'initial' | 'interval' | 'webhook' | 'manual' | 'watch';

export interface Revision {
  /** The commit SHA (git), or `local-<first 12 hex of the content hash>` (a watched directory). */
  readonly id: string;
  /** The `.yaml`/`.yml` files under the source's path at this revision, sorted by path; paths relative to the repository root (`manifests/api.yaml`). */
  readonly files: readonly SourceFile[];
  /** Commit time (git only). */
  readonly committedAt?: Date;
  /** First line of the commit message (git only). */
  readonly subject?: string;
  readonly trigger: FetchTrigger;
  /** When the fetch that found this revision was asked for (webhook receipt, interval tick …). */
  readonly triggeredAt: Date;
}

/** A fetch or read that failed: the source keeps its last revision and says why. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

export interface Source {
  /** `git https://…#main:manifests` or `dir /path/to/repo:manifests`, for logs and status (no credentials). */
  readonly description: string;
  /**
   * Fetches once (trigger `initial`), then keeps looking on its own schedule (interval or watch).
   * `onRevision` is called for each new revision, one at a time (the next waits for the previous
   * call to settle), never twice for the same id; `onError` for each failed fetch.
   */
  start(onRevision: (revision: Revision) => Promise<void>, onError: (error: SourceError) => void): Promise<void>;
  /**
   * Fetch now (a webhook, a manual reconcile); resolves when the fetch is done and the revision it
   * found, if any, has been handed to `onRevision` (so never await it inside `onRevision`).
   * Concurrent calls share one fetch; one asked while a fetch runs runs once more after it.
   */
  fetchNow(trigger: FetchTrigger, at?: Date): Promise<void>;
  /** When the last fetch succeeded. */
  lastFetchAt(): Date | undefined;
  /** Stops the schedule and any watcher; idempotent. */
  close(): Promise<void>;
}
