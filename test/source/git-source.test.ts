/**
 * GitSource against real repositories with the real `git` binary: what a revision holds (the
 * commit's tree under the path, never the origin's working tree), when a new commit is delivered
 * (next tick, or at once on `fetchNow`), that an unchanged branch costs one `ls-remote` and no
 * fetch, failures reported without credentials, and `close()`.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GitSource } from '../../controller/source/git-source.ts';
import type { GitSourceOptions } from '../../controller/source/git-source.ts';
import { SourceError } from '../../controller/source/source.ts';
import { Recorder, TestRepo, git, loggingGit, removeTempDirs, sleep, subcommand, tempDir, waitFor, writeFiles } from './helpers.ts';

const MANIFESTS = {
  'manifests/api.yaml': 'kind: Service\nname: api\n',
  'manifests/sub/worker.yml': 'kind: Service\nname: worker\n',
  'manifests/README.txt': 'not a manifest\n',
  'manifests/.drafts/draft.yaml': 'kind: Service\nname: draft\n',
  'manifests/node_modules/dep.yaml': 'kind: Service\nname: dep\n',
  'other.yaml': 'kind: Service\nname: outside\n',
};

const sources: GitSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  removeTempDirs();
});

function gitSource(options: Omit<GitSourceOptions, 'workDir'> & { workDir?: string }): GitSource {
  const source = new GitSource({ intervalMs: 100, workDir: tempDir('work'), ...options });
  sources.push(source);
  return source;
}

async function started(options: Omit<GitSourceOptions, 'workDir'> & { workDir?: string }): Promise<{ source: GitSource; seen: Recorder }> {
  const source = gitSource(options);
  const seen = new Recorder();
  await source.start(seen.onRevision, seen.onError);
  return { source, seen };
}

describe.each([
  ['a local path', (dir: string) => dir],
  ['a file:// URL', (dir: string) => pathToFileURL(dir).href],
])('GitSource on %s', (_, address) => {
  it('delivers the commit: its SHA, time and subject, and the .yaml/.yml files under the path only', async () => {
    const time = new Date('2026-03-04T05:06:07Z');
    const repo = new TestRepo(MANIFESTS, { message: 'Add api and worker\n\nThe body is not the subject.', time });

    const { source, seen } = await started({ url: address(repo.dir) });

    expect(seen.errors).toEqual([]);
    expect(seen.revisions).toHaveLength(1);
    const revision = seen.revisions[0];
    expect(revision).toMatchObject({ id: repo.head(), trigger: 'initial', subject: 'Add api and worker', committedAt: time });
    expect(revision?.files).toEqual([
      { path: 'manifests/api.yaml', text: MANIFESTS['manifests/api.yaml'] },
      { path: 'manifests/sub/worker.yml', text: MANIFESTS['manifests/sub/worker.yml'] },
    ]);
    expect(source.lastFetchAt()).toBeInstanceOf(Date);
    expect(source.description).toBe(`git ${address(repo.dir)}#main:manifests`);
  });

  it('delivers a new commit on the next interval tick', async () => {
    const repo = new TestRepo(MANIFESTS);
    const { seen } = await started({ url: address(repo.dir), intervalMs: 100 });

    const sha = repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nreplicas: 3\n' }, 'Scale api');
    await waitFor(() => seen.revisions.length === 2, 'the new commit');

    expect(seen.last()).toMatchObject({ id: sha, trigger: 'interval', subject: 'Scale api' });
    expect(seen.last()?.files.find((f) => f.path === 'manifests/api.yaml')?.text).toContain('replicas: 3');
  });
});

describe('GitSource', () => {
  it('checks an unchanged branch with ls-remote only: no fetch, no revision', async () => {
    const repo = new TestRepo(MANIFESTS);
    const logging = loggingGit(tempDir('bin'));
    const { source, seen } = await started({ url: repo.dir, intervalMs: 50, git: logging.git });
    const fetchedAt = source.lastFetchAt();

    await waitFor(() => logging.calls().filter((c) => subcommand(c) === 'ls-remote').length >= 3, 'three interval checks');

    const commands = logging.calls().map(subcommand);
    expect(commands.filter((c) => c === 'fetch')).toHaveLength(1);
    expect(seen.revisions).toHaveLength(1);
    expect(source.lastFetchAt()?.getTime()).toBeGreaterThan(fetchedAt?.getTime() ?? Infinity);

    // And once the branch moves, the next check fetches.
    const sha = repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nreplicas: 2\n' }, 'Scale');
    await waitFor(() => seen.revisions.length === 2, 'the new commit');
    expect(seen.last()?.id).toBe(sha);
    expect(logging.calls().map(subcommand).filter((c) => c === 'fetch')).toHaveLength(2);
  });

  it('reads the tree at the commit: uncommitted edits in the origin never leak into a revision', async () => {
    const repo = new TestRepo(MANIFESTS);
    // Half-written state in the origin's working tree: an edited file, a staged one, an untracked one.
    writeFiles(repo.dir, { 'manifests/api.yaml': 'kind: Serv' });
    writeFiles(repo.dir, { 'manifests/staged.yaml': 'kind: Service\nname: staged\n' });
    git(repo.dir, 'add', 'manifests/staged.yaml');
    writeFiles(repo.dir, { 'manifests/untracked.yaml': 'kind: Service\n' });

    const { source, seen } = await started({ url: repo.dir, intervalMs: 60_000 });
    expect(seen.revisions[0]?.files.map((f) => f.path)).toEqual(['manifests/api.yaml', 'manifests/sub/worker.yml']);
    expect(seen.revisions[0]?.files[0]?.text).toBe(MANIFESTS['manifests/api.yaml']);

    // A commit of one file only: the revision is that commit's tree, the edit stays out.
    git(repo.dir, 'reset', '--quiet');
    writeFiles(repo.dir, { 'manifests/db.yaml': 'kind: Service\nname: db\n' });
    git(repo.dir, 'add', 'manifests/db.yaml');
    git(repo.dir, 'commit', '--quiet', '-m', 'Add db');
    await source.fetchNow('manual');

    expect(seen.last()?.id).toBe(repo.head());
    expect(seen.last()?.files.map((f) => f.path)).toEqual(['manifests/api.yaml', 'manifests/db.yaml', 'manifests/sub/worker.yml']);
    expect(seen.last()?.files[0]?.text).toBe(MANIFESTS['manifests/api.yaml']);
  });

  it('fetchNow delivers a new commit at once, with the trigger and the time it was asked for', async () => {
    const repo = new TestRepo(MANIFESTS);
    const { source, seen } = await started({ url: repo.dir, intervalMs: 60_000 });

    const sha = repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nimage: v2\n' }, 'Deploy v2');
    const at = new Date(Date.now() - 5);
    await source.fetchNow('webhook', at);

    expect(seen.revisions).toHaveLength(2);
    expect(seen.last()).toMatchObject({ id: sha, trigger: 'webhook', subject: 'Deploy v2' });
    expect(seen.last()?.triggeredAt).toBe(at);

    // Nothing new: no revision.
    await source.fetchNow('webhook');
    expect(seen.revisions).toHaveLength(2);
  });

  it('concurrent fetchNow calls share the fetch; one asked during a fetch runs once more after it', async () => {
    const repo = new TestRepo(MANIFESTS);
    const dir = tempDir('bin');
    const logging = loggingGit(dir, { slowFetch: 0.3 });
    const { source, seen } = await started({ url: repo.dir, intervalMs: 60_000, git: logging.git });
    const fetchesBefore = logging.calls().map(subcommand).filter((c) => c === 'fetch').length;

    const second = repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nimage: v2\n' }, 'v2');
    const fetchedMarker = join(dir, 'git.log.fetched');
    rmSync(fetchedMarker, { force: true });
    const first = source.fetchNow('manual');
    await waitFor(() => existsSync(fetchedMarker), 'the fetch of v2 to be done (git still running)');

    // The fetch in flight already has v2; v3 arrives now, with three webhooks for it.
    const third = repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nimage: v3\n' }, 'v3');
    const webhooks = [source.fetchNow('webhook'), source.fetchNow('webhook'), source.fetchNow('webhook')];
    await Promise.all([first, ...webhooks]);

    expect(seen.revisions.map((r) => r.id)).toEqual([seen.revisions[0]?.id, second, third]);
    expect(seen.revisions.map((r) => r.trigger)).toEqual(['initial', 'manual', 'webhook']);
    expect(logging.calls().map(subcommand).filter((c) => c === 'fetch').length - fetchesBefore).toBe(2);
    expect(seen.maxConcurrent).toBe(1);
  });

  it('hands revisions over one at a time, never the same id twice', async () => {
    const repo = new TestRepo(MANIFESTS);
    const seen = new Recorder(120);
    const source = gitSource({ url: repo.dir, intervalMs: 20 });
    await source.start(seen.onRevision, seen.onError);

    const shas: string[] = [];
    for (let i = 0; i < 4; i++) {
      shas.push(repo.commit({ 'manifests/api.yaml': `kind: Service\nname: api\nimage: v${i}\n` }, `v${i}`));
      await sleep(40);
    }
    await waitFor(() => seen.last()?.id === shas[3], 'the last commit', 1500);

    const ids = seen.revisions.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.maxConcurrent).toBe(1);
    // A revision superseded while the handler was busy may be skipped; order is kept.
    const order = ids.slice(1).map((id) => shas.indexOf(id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('follows a branch other than main', async () => {
    const repo = new TestRepo(MANIFESTS);
    git(repo.dir, 'checkout', '--quiet', '-b', 'release/v2');
    const sha = repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nimage: release\n' }, 'Release');
    git(repo.dir, 'checkout', '--quiet', 'main');

    const { source, seen } = await started({ url: repo.dir, branch: 'release/v2' });

    expect(seen.revisions[0]?.id).toBe(sha);
    expect(seen.revisions[0]?.files[0]?.text).toContain('image: release');
    expect(source.description).toBe(`git ${repo.dir}#release/v2:manifests`);
  });

  it('a path that does not exist at the commit gives a revision without files', async () => {
    const repo = new TestRepo(MANIFESTS);
    const { seen } = await started({ url: repo.dir, path: 'deploy/prod' });
    expect(seen.errors).toEqual([]);
    expect(seen.revisions[0]).toMatchObject({ id: repo.head(), files: [] });
  });

  it('reads the whole repository with path "." and a single file named as the path', async () => {
    const repo = new TestRepo(MANIFESTS);
    const root = await started({ url: repo.dir, path: '.' });
    expect(root.seen.revisions[0]?.files.map((f) => f.path)).toEqual(['manifests/api.yaml', 'manifests/sub/worker.yml', 'other.yaml']);
    const file = await started({ url: repo.dir, path: './manifests/README.txt' });
    expect(file.seen.revisions[0]?.files.map((f) => f.path)).toEqual(['manifests/README.txt']);
  });

  it('a missing repository is a SourceError and no revision; it recovers once the repository appears', async () => {
    const parent = tempDir('late');
    const dir = join(parent, 'repo');
    const { seen } = await started({ url: dir, intervalMs: 50 });

    expect(seen.revisions).toEqual([]);
    expect(seen.errors[0]).toBeInstanceOf(SourceError);
    expect(seen.errors[0]?.message).toMatch(/^git fetch failed: .*does not appear to be a git repository/);

    const repo = new TestRepo(MANIFESTS, { dir });
    await waitFor(() => seen.revisions.length === 1, 'the repository to be found');
    expect(seen.revisions[0]).toMatchObject({ id: repo.head(), trigger: 'interval' });
  });

  it('a missing branch is a SourceError, and the schedule keeps going', async () => {
    const repo = new TestRepo(MANIFESTS);
    const { seen } = await started({ url: repo.dir, branch: 'nope', intervalMs: 50 });
    await waitFor(() => seen.errors.length >= 2, 'a second failed fetch');
    expect(seen.revisions).toEqual([]);
    expect(seen.errors[0]?.message).toContain('nope');
  });

  it('keeps its mirror bare in workDir, and reuses it after a restart', async () => {
    const repo = new TestRepo(MANIFESTS);
    const workDir = tempDir('work');
    const first = await started({ url: repo.dir, workDir });
    await first.source.close();
    const mirrors = readdirSync(workDir);
    expect(mirrors).toHaveLength(1);
    expect(git(join(workDir, mirrors[0] ?? ''), 'rev-parse', '--is-bare-repository')).toBe('true');

    const second = await started({ url: repo.dir, workDir });
    expect(second.seen.revisions[0]?.id).toBe(repo.head());
    expect(readdirSync(workDir)).toEqual(mirrors);
  });

  it('close() is idempotent and stops deliveries', async () => {
    const repo = new TestRepo(MANIFESTS);
    const { source, seen } = await started({ url: repo.dir, intervalMs: 30 });

    await Promise.all([source.close(), source.close()]);
    await source.close();
    repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nimage: late\n' }, 'Too late');
    await sleep(150);
    await source.fetchNow('webhook');

    expect(seen.revisions).toHaveLength(1);
    expect(seen.errors).toEqual([]);
  });

  it('close() waits for a fetch in flight, and nothing is delivered after it', async () => {
    const repo = new TestRepo(MANIFESTS);
    const logging = loggingGit(tempDir('bin'), { slowFetch: 0.2 });
    const { source, seen } = await started({ url: repo.dir, intervalMs: 60_000, git: logging.git });
    repo.commit({ 'manifests/api.yaml': 'kind: Service\nname: api\nimage: v2\n' }, 'v2');

    const fetching = source.fetchNow('manual');
    await sleep(50);
    const closedAt = Date.now();
    await source.close();
    await fetching;

    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(100);
    expect(seen.revisions).toHaveLength(1);
  });

  it('never shows credentials from the URL, in the description or in errors', async () => {
    const password = 'hunter2-s3cret';
    const token = 'ghp_0123456789abcdef';
    for (const url of [`https://berth:${password}@127.0.0.1:9/org/repo.git`, `https://${token}@127.0.0.1:9/org/repo.git`]) {
      const { source, seen } = await started({ url, timeoutMs: 5000 });

      expect(source.description).toBe('git https://127.0.0.1:9/org/repo.git#main:manifests');
      expect(seen.errors).toHaveLength(1);
      expect(seen.errors[0]).toBeInstanceOf(SourceError);
      for (const text of [seen.errors[0]?.message, String(seen.errors[0]?.stack), source.description]) {
        expect(text).not.toContain(password);
        expect(text).not.toContain(token);
        expect(text).not.toContain('berth:');
      }
    }
  });

  it('refuses a URL that reads as an option and a branch that is not a branch name', () => {
    const workDir = tempDir('work');
    expect(() => new GitSource({ url: '--upload-pack=touch /tmp/x', workDir })).toThrow(SourceError);
    expect(() => new GitSource({ url: '/repo', branch: '--all', workDir })).toThrow(SourceError);
    expect(() => new GitSource({ url: '/repo', branch: 'a..b', workDir })).toThrow(SourceError);
    expect(() => new GitSource({ url: '/repo', path: '../elsewhere', workDir })).toThrow(/inside the repository/);
  });
});
