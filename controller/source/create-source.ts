/** Picks the source for the controller's `source` setting: a git repository or a watched directory. */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DirSource } from './dir-source.ts';
import { GitSource, isRepositoryUrl } from './git-source.ts';
import { redactUrl } from './redact-url.ts';
import type { Source } from './source.ts';

/** The `source` setting cannot be used as asked (not a repository, `watch` on a URL …). */
export class SourceConfigError extends Error {
  override readonly name = 'SourceConfigError';
}

export interface CreateSourceOptions {
  /** A repository URL (`https://`, `http://`, `ssh://`, `git://`, `file://`, `git@host:…`) or a local directory. */
  readonly source: string;
  /**
   * The branch to follow (git only).
   * @defaultValue `'main'`
   */
  readonly branch?: string;
  /**
   * The manifests directory, relative to the repository root (or to the watched directory).
   * @defaultValue `'manifests'`
   */
  readonly path?: string;
  /**
   * How often a git source checks for a new commit.
   * @defaultValue `30000`
   */
  readonly intervalMs?: number;
  /** Where a git source keeps its mirror. */
  readonly workDir: string;
  /**
   * Watch the local directory's files as they are on disk (uncommitted edits included) instead of
   * following a branch.
   * @defaultValue `false`
   */
  readonly watch?: boolean;
  /**
   * The git binary.
   * @defaultValue `'git'`
   */
  readonly git?: string;
  /**
   * How long a watched directory must be quiet before it is read.
   * @defaultValue `300`
   */
  readonly debounceMs?: number;
}

/**
 * The rule:
 * - `source` is a URL (`https://`, `http://`, `ssh://`, `git://`, `file://`, or scp-like
 *   `git@host:org/repo`) → a `GitSource` on that URL; `watch` is refused (there is no disk to watch).
 * - `source` is a local directory and `watch` is set → a `DirSource` on it: the files on disk, git or
 *   not, committed or not.
 * - `source` is a local directory holding a git repository (a `.git` directory or file, or a bare
 *   repository) and `watch` is not set → a `GitSource` on that repository: only committed state of
 *   `branch` counts.
 * - anything else (a missing path, a plain directory without `watch`) → `SourceConfigError`.
 */
export function createSource(options: CreateSourceOptions): Source {
  const { source, watch = false } = options;
  if (isRepositoryUrl(source)) {
    if (watch) throw new SourceConfigError(`${redactUrl(source)}: watch needs a local directory, not a repository URL`);
    return gitSource(options, source);
  }
  const dir = resolve(source);
  if (!isDirectory(dir)) throw new SourceConfigError(`${source}: no such directory`);
  if (watch) return new DirSource({ root: dir, path: options.path, debounceMs: options.debounceMs });
  if (!isRepository(dir)) throw new SourceConfigError(`${source}: not a git repository (use watch to read the directory as it is on disk)`);
  return gitSource(options, dir);
}

function gitSource(options: CreateSourceOptions, url: string): GitSource {
  const { branch, path, intervalMs, workDir, git } = options;
  return new GitSource({ url, branch, path, intervalMs, workDir, git });
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** A working tree (`.git` directory, or `.git` file of a linked worktree) or a bare repository. */
function isRepository(dir: string): boolean {
  if (statSync(join(dir, '.git'), { throwIfNoEntry: false })) return true;
  const [head, objects, refs] = ['HEAD', 'objects', 'refs'].map((name) => statSync(join(dir, name), { throwIfNoEntry: false }));
  return Boolean(head?.isFile() && objects?.isDirectory() && refs?.isDirectory());
}
