/** Temporary git repositories and directories for the source tests, and a recorder of what a source delivers. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Revision, SourceError } from '../../controller/source/source.ts';

const created: string[] = [];

/** A fresh, uniquely named directory, removed by `removeTempDirs()`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Author and committer fixed, so a test does not depend on the machine's git config. */
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Berth Test',
  GIT_AUTHOR_EMAIL: 'test@berth.invalid',
  GIT_COMMITTER_NAME: 'Berth Test',
  GIT_COMMITTER_EMAIL: 'test@berth.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Writes files (paths relative to `root`), creating directories. */
export function writeFiles(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A git repository on `main` (or `branch`) with one commit of `files`. */
export class TestRepo {
  readonly dir: string;

  constructor(files: Readonly<Record<string, string>>, options: { dir?: string; branch?: string; message?: string; time?: Date } = {}) {
    this.dir = options.dir ?? tempDir('origin');
    mkdirSync(this.dir, { recursive: true });
    git(this.dir, 'init', '--quiet', '-b', options.branch ?? 'main');
    this.commit(files, options.message ?? 'initial manifests', options.time);
  }

  /** Writes `files` and commits everything; the new commit's SHA. */
  commit(files: Readonly<Record<string, string>>, message: string, time?: Date): string {
    writeFiles(this.dir, files);
    git(this.dir, 'add', '--all');
    const date = time ? [`--date=${time.toISOString()}`] : [];
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', message, ...date], {
      cwd: this.dir,
      env: { ...GIT_ENV, ...(time && { GIT_COMMITTER_DATE: time.toISOString() }) },
      stdio: 'ignore',
    });
    return this.head();
  }

  head(ref = 'HEAD'): string {
    return git(this.dir, 'rev-parse', ref);
  }
}

/**
 * A `git` that logs each invocation's arguments (one line each) to `log` before running the real
 * one. With `slowFetch`, a `fetch` touches `<log>.fetched` when git is done and then waits that
 * many seconds before exiting, so a test can act while a fetch is in flight.
 */
export function loggingGit(dir: string, options: { slowFetch?: number } = {}): { git: string; calls: () => string[] } {
  const log = join(dir, 'git.log');
  const script = join(dir, 'git-wrapper.sh');
  writeFileSync(log, '');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `echo "$*" >> '${log}'`,
      'case " $* " in',
      `  *" fetch "*) git "$@"; rc=$?; touch '${log}.fetched'; sleep ${options.slowFetch ?? 0}; exit $rc ;;`,
      'esac',
      'exec git "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return { git: script, calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}

/** The git subcommand of a logged invocation (`--git-dir=…` and `-c k=v` skipped). */
export function subcommand(call: string): string {
  const words = call.split(' ');
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '-c') i++;
    else if (!word.startsWith('-')) return word;
  }
  return '';
}

/** What a source delivered: its revisions and errors, with a way to wait for the next ones. */
export class Recorder {
  readonly revisions: Revision[] = [];
  readonly errors: SourceError[] = [];
  /** How many `onRevision` calls ran at the same time, at most. */
  maxConcurrent = 0;
  private active = 0;

  private readonly handlerDelayMs: number;

  /** `handlerDelayMs`: how long each `onRevision` call takes. */
  constructor(handlerDelayMs = 0) {
    this.handlerDelayMs = handlerDelayMs;
  }

  readonly onRevision = async (revision: Revision): Promise<void> => {
    this.active++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    try {
      if (this.handlerDelayMs > 0) await sleep(this.handlerDelayMs);
      this.revisions.push(revision);
    } finally {
      this.active--;
    }
  };

  readonly onError = (error: SourceError): void => {
    this.errors.push(error);
  };

  last(): Revision | undefined {
    return this.revisions[this.revisions.length - 1];
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 1500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
