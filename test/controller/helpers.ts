/** What the controller's end-to-end tests share: a real git repository of manifests, and polling. */
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface ManifestRepo {
  readonly dir: string;
  /** Rewrites a file of the repository with `edit` and commits it; resolves to the new commit SHA. */
  commit(file: string, edit: (text: string) => string, message: string): Promise<string>;
  head(): string;
  remove(): Promise<void>;
}

const git = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com' } }).trim();

/** A new git repository holding a copy of this repository's manifests/, committed on main. */
export async function manifestRepo(): Promise<ManifestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-repo-'));
  git(dir, 'init', '-q', '-b', 'main');
  await cp(join(root, 'manifests'), join(dir, 'manifests'), { recursive: true });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'manifests');
  return {
    dir,
    async commit(file, edit, message) {
      const path = join(dir, file);
      await writeFile(path, edit(await readFile(path, 'utf8')));
      git(dir, 'commit', '-q', '-am', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
    head: () => git(dir, 'rev-parse', 'HEAD'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Polls `probe` until it returns a value that is not undefined; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** GET `url` as JSON. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}
