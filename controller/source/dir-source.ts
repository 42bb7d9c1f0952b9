/**
 * A local working directory as a source, for development: the manifests on disk (uncommitted edits
 * included — git is not involved) are watched, and each settled state is a revision named by a hash
 * of its content. A burst of writes is debounced into one read, and a read is only trusted when the
 * next one gives the same content, so a file caught half-written is never delivered.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { ManifestPathError, readManifestFiles } from '../manifests/load-files.ts';
import type { SourceFile } from '../manifests/source-document.ts';
import { FetchScheduler } from './fetch-scheduler.ts';
import { normalizeSourcePath } from './source-path.ts';
import type { FetchTrigger, Revision, Source } from './source.ts';
import { SourceError } from './source.ts';

export interface DirSourceOptions {
  /** The working directory (a repository checkout, or any directory). */
  readonly root: string;
  /**
   * The manifests directory (or file), relative to `root`.
   * @defaultValue `'manifests'`
   */
  readonly path?: string;
  /**
   * How long the files must stay untouched before they are read.
   * @defaultValue `300`
   */
  readonly debounceMs?: number;
}

/** Pause between the reads that must agree before a state is trusted. */
const STABLE_READ_GAP_MS = 25;
/** Reads tried before giving up on this round (a later change event starts another). */
const MAX_READS = 5;

interface Snapshot {
  readonly hash: string;
  readonly files: SourceFile[];
}

export class DirSource implements Source {
  /** `dir <root>:<path>`. */
  readonly description: string;
  private readonly root: string;
  private readonly path: string;
  private readonly debounceMs: number;
  private readonly scheduler = new FetchScheduler((trigger, at) => this.readOnce(trigger, at));
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** When the first change of the burst being debounced was seen. */
  private burstStartedAt: Date | undefined;
  /** Content hash of the last revision produced. */
  private lastHash: string | undefined;
  private stopWaitingForReady: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: DirSourceOptions) {
    const { path = 'manifests', debounceMs = 300 } = options;
    if (!(debounceMs >= 0) || !Number.isFinite(debounceMs)) throw new SourceError(`debounceMs must be a number ≥ 0, not ${debounceMs}`);
    this.root = resolve(options.root);
    this.path = normalizeSourcePath(path);
    this.debounceMs = debounceMs;
    this.description = `dir ${this.root}:${this.path === '' ? '.' : this.path}`;
  }

  /** Starts watching, then reads once (trigger `initial`) and hands that revision over. */
  async start(onRevision: (revision: Revision) => Promise<void>, onError: (error: SourceError) => void): Promise<void> {
    this.scheduler.attach(onRevision, onError);
    const target = join(this.root, this.path);
    const watcher = watch(target, {
      ignoreInitial: true,
      // Hidden files and directories (.git, editor swap files) and node_modules are not manifests.
      ignored: (file: string) => isHiddenBelow(target, file),
    });
    this.watcher = watcher;
    watcher.on('all', () => this.changed());
    watcher.on('error', (error: unknown) => {
      if (!this.closing) onError(new SourceError(`watching ${this.description}: ${error instanceof Error ? error.message : String(error)}`));
    });
    // Watch first, then read: an edit made while starting is seen by one or the other.
    await new Promise<void>((ready) => {
      this.stopWaitingForReady = ready;
      watcher.once('ready', () => ready());
    });
    await this.scheduler.request('initial', new Date());
    await this.scheduler.delivered();
  }

  /**
   * Reads the directory at once. Resolves when the revision it found, if any, has been handed to
   * `onRevision` and that call has settled — so do not await it from inside `onRevision`.
   */
  async fetchNow(trigger: FetchTrigger, at: Date = new Date()): Promise<void> {
    await this.scheduler.request(trigger, at);
    await this.scheduler.delivered();
  }

  lastFetchAt(): Date | undefined {
    return this.scheduler.lastFetchAt();
  }

  /** Stops the watcher and waits for a running read (and a running `onRevision` call). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearTimeout(this.debounce);
    this.stopWaitingForReady?.();
    const results = await Promise.allSettled([this.watcher?.close(), this.scheduler.close()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A change on disk: read once things have been quiet for `debounceMs`. */
  private changed(): void {
    if (this.closing) return;
    this.burstStartedAt ??= new Date();
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      const at = this.burstStartedAt ?? new Date();
      this.burstStartedAt = undefined;
      void this.scheduler.request('watch', at);
    }, this.debounceMs);
    this.debounce.unref();
  }

  private async readOnce(trigger: FetchTrigger, at: Date): Promise<Revision | undefined> {
    const snapshot = await this.readSettled();
    if (!snapshot) {
      // Still being written: look again after the next quiet period.
      this.changed();
      return undefined;
    }
    if (snapshot.hash === this.lastHash) return undefined;
    this.lastHash = snapshot.hash;
    return { id: `local-${snapshot.hash.slice(0, 12)}`, files: snapshot.files, trigger, triggeredAt: at };
  }

  /** Reads until two reads in a row agree; `undefined` when they never did within `MAX_READS`. */
  private async readSettled(): Promise<Snapshot | undefined> {
    let previous: Snapshot | undefined;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < MAX_READS; attempt++) {
      if (attempt > 0) await delay(STABLE_READ_GAP_MS);
      let current: Snapshot | undefined;
      try {
        current = await this.read();
        lastError = undefined;
      } catch (error) {
        // A file removed between listing and reading: part of a change still in progress.
        lastError = error instanceof Error ? error : new Error(String(error));
      }
      if (current && previous && current.hash === previous.hash) return current;
      previous = current;
    }
    if (lastError) throw lastError instanceof SourceError ? lastError : new SourceError(`reading ${this.description}: ${lastError.message}`);
    return undefined;
  }

  private async read(): Promise<Snapshot> {
    const root = await stat(this.root).catch(() => undefined);
    if (!root?.isDirectory()) throw new SourceError(`${this.root}: no such directory`);
    let files: SourceFile[];
    try {
      files = (await readManifestFiles(this.path === '' ? '.' : this.path, this.root)).map((file) => ({ ...file, path: file.path.split(sep).join('/') }));
    } catch (error) {
      // A path that does not exist (yet) has no manifests, as in a git source.
      if (!(error instanceof ManifestPathError)) throw error;
      files = [];
    }
    return { hash: contentHash(files), files };
  }
}

/** sha256 over each file's path and text, in order; lengths make the encoding unambiguous. */
function contentHash(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\0${Buffer.byteLength(file.text)}\0`).update(file.text);
  return hash.digest('hex');
}

/** `file` is below `dir` through a hidden file or directory or `node_modules`. */
function isHiddenBelow(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return false;
  return rel.split(sep).some((part) => part.startsWith('.') || part === 'node_modules');
}
