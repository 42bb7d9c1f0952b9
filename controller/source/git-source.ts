/**
 * A git repository as a source: a bare, shallow mirror of one branch kept in a work directory,
 * checked on an interval with a cheap `git ls-remote` and fetched only when the branch moved (or at
 * once, on a webhook). Each revision is read from the mirror's object database at one commit, so it
 * is never a half-written checkout. Everything goes through the `git` binary.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FetchScheduler } from './fetch-scheduler.ts';
import { runGit } from './git-command.ts';
import type { GitRunner } from './git-command.ts';
import { readCommit } from './read-commit.ts';
import { credentialRedactor, redactUrl } from './redact-url.ts';
import { normalizeSourcePath } from './source-path.ts';
import type { FetchTrigger, Revision, Source } from './source.ts';
import { SourceError } from './source.ts';

export interface GitSourceOptions {
  /**
   * The repository: an `https://`, `http://`, `ssh://`, `git://` or `file://` URL, an scp-like
   * address (`git@github.com:org/repo.git`), or a local path to a repository. Credentials in it
   * (`https://user:token@host/…`) are used but never shown.
   */
  readonly url: string;
  /**
   * The branch to follow.
   * @defaultValue `'main'`
   */
  readonly branch?: string;
  /**
   * The manifests directory (or file), relative to the repository root.
   * @defaultValue `'manifests'`
   */
  readonly path?: string;
  /**
   * How often to check the branch for a new commit.
   * @defaultValue `30000`
   */
  readonly intervalMs?: number;
  /** Where the bare mirror is kept (created when missing); one mirror per URL and branch. */
  readonly workDir: string;
  /**
   * The git binary.
   * @defaultValue `'git'`
   */
  readonly git?: string;
  /**
   * Each git command is killed after this long.
   * @defaultValue `60000`
   */
  readonly timeoutMs?: number;
}

/** The source option names a repository URL rather than a local path. */
export function isRepositoryUrl(source: string): boolean {
  return /^(https?|ssh|git|file):\/\//i.test(source) || /^[^\s/@:]+@[^\s/:]+:/.test(source);
}

/** What `git check-ref-format --branch` would refuse, roughly; and nothing that reads as an option. */
function isValidBranch(branch: string): boolean {
  return (
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a ref name may not hold
    /^[^\s~^:?*[\\\x00-\x1f\x7f]+$/.test(branch) &&
    !branch.startsWith('-') &&
    !branch.startsWith('/') &&
    !branch.endsWith('/') &&
    !branch.endsWith('.') &&
    !branch.includes('..') &&
    !branch.includes('//') &&
    !branch.includes('@{') &&
    branch !== '@' &&
    branch.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'))
  );
}

export class GitSource implements Source {
  /** `git <url without credentials>#<branch>:<path>`. */
  readonly description: string;
  private readonly remote: string;
  private readonly branch: string;
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly workDir: string;
  private readonly mirror: string;
  private readonly runner: GitRunner;
  private readonly scheduler = new FetchScheduler((trigger, at) => this.fetchOnce(trigger, at));
  /** The commit of the last revision produced. */
  private lastSha: string | undefined;
  private mirrorReady = false;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: GitSourceOptions) {
    const { url, branch = 'main', path = 'manifests', intervalMs = 30_000, git = 'git', timeoutMs = 60_000 } = options;
    if (url.trim() === '' || url.startsWith('-')) throw new SourceError(`${JSON.stringify(redactUrl(url))} is not a repository URL or path`);
    if (!isValidBranch(branch)) throw new SourceError(`${JSON.stringify(branch)} is not a valid branch name`);
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new SourceError(`intervalMs must be a positive number, not ${intervalMs}`);
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new SourceError(`timeoutMs must be a positive number, not ${timeoutMs}`);
    this.remote = isRepositoryUrl(url) ? url : resolve(url);
    this.branch = branch;
    this.path = normalizeSourcePath(path);
    this.intervalMs = intervalMs;
    this.workDir = resolve(options.workDir);
    const shown = redactUrl(this.remote);
    const key = createHash('sha256').update(`${shown}\0${branch}`).digest('hex').slice(0, 16);
    this.mirror = join(this.workDir, `mirror-${key}.git`);
    this.runner = { git, timeoutMs, redact: credentialRedactor(this.remote) };
    this.description = `git ${shown}#${branch}:${this.path === '' ? '.' : this.path}`;
  }

  /** Fetches once (trigger `initial`) and hands its revision over, then checks every `intervalMs`. */
  async start(onRevision: (revision: Revision) => Promise<void>, onError: (error: SourceError) => void): Promise<void> {
    this.scheduler.attach(onRevision, onError);
    await this.scheduler.request('initial', new Date());
    await this.scheduler.delivered();
    this.scheduleTick();
  }

  /**
   * Fetches now (no waiting for the interval). Resolves when the fetch is done and the revision it
   * found, if any, has been handed to `onRevision` and that call has settled — so do not await it
   * from inside `onRevision`.
   */
  async fetchNow(trigger: FetchTrigger, at: Date = new Date()): Promise<void> {
    await this.scheduler.request(trigger, at);
    await this.scheduler.delivered();
  }

  lastFetchAt(): Date | undefined {
    return this.scheduler.lastFetchAt();
  }

  /** Stops the interval and waits for a running fetch (and a running `onRevision` call). Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      clearTimeout(this.timer);
      this.closing = this.scheduler.close();
    }
    return this.closing;
  }

  /** The next tick is timed from the end of the previous fetch, so ticks never pile up. */
  private scheduleTick(): void {
    if (this.closing) return;
    this.timer = setTimeout(() => {
      void this.scheduler.request('interval', new Date()).finally(() => this.scheduleTick());
    }, this.intervalMs);
    this.timer.unref();
  }

  private async fetchOnce(trigger: FetchTrigger, at: Date): Promise<Revision | undefined> {
    try {
      return await this.fetchRevision(trigger, at);
    } catch (error) {
      // Run `init` again next time, in case the mirror was removed under us (it is idempotent).
      this.mirrorReady = false;
      throw error;
    }
  }

  private async fetchRevision(trigger: FetchTrigger, at: Date): Promise<Revision | undefined> {
    await this.ensureMirror();
    // Cheap check first: the branch has not moved since the last revision, nothing to fetch.
    if (this.lastSha !== undefined && (await this.remoteHead()) === this.lastSha) return undefined;
    await this.git('fetch', ['-c', 'gc.autoDetach=false', '-c', 'maintenance.autoDetach=false', 'fetch', '--quiet', '--no-tags', '--depth', '1', '--', this.remote, `+refs/heads/${this.branch}:refs/heads/${this.branch}`]);
    const sha = (await this.git('rev-parse', ['rev-parse', '--verify', `refs/heads/${this.branch}^{commit}`])).toString('utf8').trim();
    if (sha === this.lastSha) return undefined;
    const commit = await readCommit(this.runner, this.mirror, sha, this.path);
    this.lastSha = sha;
    return { id: sha, files: commit.files, committedAt: commit.committedAt, subject: commit.subject, trigger, triggeredAt: at };
  }

  /** The branch's commit on the remote, by `git ls-remote`. */
  private async remoteHead(): Promise<string> {
    const ref = `refs/heads/${this.branch}`;
    const output = (await this.git('ls-remote', ['ls-remote', '--', this.remote, ref])).toString('utf8');
    const line = output.split('\n').find((l) => l.endsWith(`\t${ref}`));
    if (!line) throw new SourceError(`branch ${JSON.stringify(this.branch)} not found in ${redactUrl(this.remote)}`);
    return line.slice(0, line.indexOf('\t'));
  }

  private async ensureMirror(): Promise<void> {
    if (this.mirrorReady) return;
    await mkdir(this.workDir, { recursive: true });
    // `init` on an existing repository is harmless, so a mirror left by an earlier run is reused.
    await runGit(this.runner, { label: 'init', args: ['init', '--bare', '--quiet', this.mirror] });
    this.mirrorReady = true;
  }

  /** A git command on the mirror, named explicitly so nothing is looked up from the process's directory. */
  private git(label: string, args: readonly string[]): Promise<Buffer> {
    return runGit(this.runner, { label, args: [`--git-dir=${this.mirror}`, ...args] });
  }
}
