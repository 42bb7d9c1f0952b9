/**
 * Reads one commit's manifests straight from a repository's object database — never from a working
 * tree — so a revision is exactly the tree of that commit: `git ls-tree` lists the files, one
 * `git cat-file --batch` reads the commit and every blob.
 */
import type { SourceFile } from '../manifests/source-document.ts';
import { runGit } from './git-command.ts';
import type { GitRunner } from './git-command.ts';
import { isManifestPath } from './source-path.ts';
import { SourceError } from './source.ts';

export interface CommitContent {
  readonly files: readonly SourceFile[];
  readonly committedAt: Date;
  /** First line of the commit message. */
  readonly subject: string;
}

/** A regular file (not a symlink, not a submodule) in `git ls-tree` output. */
const REGULAR_FILE_MODES = new Set(['100644', '100755']);

/**
 * The manifests under `path` (normalized; `` for the root) at commit `sha` in the repository
 * `gitDir`, sorted by path, paths relative to the repository root. A path that does not exist at
 * that commit gives no files.
 */
export async function readCommit(runner: GitRunner, gitDir: string, sha: string, path: string): Promise<CommitContent> {
  const listing = await runGit(runner, {
    label: 'ls-tree',
    args: [`--git-dir=${gitDir}`, '--literal-pathspecs', 'ls-tree', '-r', '-z', '--full-name', sha, '--', ...(path === '' ? [] : [path])],
  });
  const entries = parseTree(listing.toString('utf8'))
    .filter((entry) => REGULAR_FILE_MODES.has(entry.mode) && entry.type === 'blob' && isManifestPath(entry.path, path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const objects = await runGit(runner, {
    label: 'cat-file',
    args: [`--git-dir=${gitDir}`, 'cat-file', '--batch'],
    input: [sha, ...entries.map((entry) => entry.object)].map((name) => `${name}\n`).join(''),
  });
  const [commit, ...blobs] = parseBatch(objects, entries.length + 1);
  if (commit?.type !== 'commit') throw new SourceError(`commit ${sha} is not in the repository`);
  return {
    ...parseCommit(sha, commit.content.toString('utf8')),
    files: entries.map((entry, i) => ({ path: entry.path, text: (blobs[i]?.content ?? Buffer.alloc(0)).toString('utf8') })),
  };
}

interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly object: string;
  readonly path: string;
}

/** `<mode> SP <type> SP <object> TAB <path> NUL`, repeated. */
function parseTree(output: string): TreeEntry[] {
  return output
    .split('\0')
    .filter((record) => record !== '')
    .map((record) => {
      const tab = record.indexOf('\t');
      const [mode = '', type = '', object = ''] = record.slice(0, tab).split(' ');
      return { mode, type, object, path: record.slice(tab + 1) };
    });
}

interface BatchObject {
  readonly type: string;
  readonly content: Buffer;
}

/** `<object> SP <type> SP <size> LF <content> LF` per object asked for (`<name> missing LF` when absent). */
function parseBatch(output: Buffer, count: number): BatchObject[] {
  const objects: BatchObject[] = [];
  let at = 0;
  while (objects.length < count) {
    const newline = output.indexOf(0x0a, at);
    if (newline < 0) throw new SourceError('git cat-file: output ended early');
    const header = output.subarray(at, newline).toString('utf8').split(' ');
    if (header.length !== 3) throw new SourceError(`git cat-file: object ${header[0] ?? ''} is missing`);
    const size = Number(header[2]);
    const start = newline + 1;
    objects.push({ type: header[1] ?? '', content: output.subarray(start, start + size) });
    at = start + size + 1;
  }
  return objects;
}

/** The committer time and the first line of the message of a raw commit object. */
function parseCommit(sha: string, raw: string): { committedAt: Date; subject: string } {
  const split = raw.indexOf('\n\n');
  const headers = (split < 0 ? raw : raw.slice(0, split)).split('\n');
  const message = split < 0 ? '' : raw.slice(split + 2);
  const committer = headers.find((line) => line.startsWith('committer '));
  const seconds = Number(/ (\d+) [+-]\d{4}$/.exec(committer ?? '')?.[1]);
  if (!Number.isFinite(seconds)) throw new SourceError(`commit ${sha}: no committer time`);
  return { committedAt: new Date(seconds * 1000), subject: message.split('\n', 1)[0]?.trim() ?? '' };
}
