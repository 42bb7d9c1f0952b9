/**
 * DirSource on a real directory (no git at all): the files on disk as they are, a `local-<hash>`
 * revision after each settled change, one revision for a burst of writes, none for content that
 * did not change, never a file caught half-written, and `close()`.
 */
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirSource } from '../../controller/source/dir-source.ts';
import type { DirSourceOptions } from '../../controller/source/dir-source.ts';
import { SourceError } from '../../controller/source/source.ts';
import { Recorder, removeTempDirs, sleep, tempDir, waitFor, writeFiles } from './helpers.ts';

const API = 'kind: Service\nname: api\n';
const FILES = {
  'manifests/api.yaml': API,
  'manifests/sub/worker.yml': 'kind: Service\nname: worker\n',
  'manifests/notes.txt': 'not a manifest\n',
  'manifests/.drafts/draft.yaml': 'kind: Service\nname: draft\n',
  'manifests/node_modules/dep.yaml': 'kind: Service\n',
  'other.yaml': 'kind: Service\nname: outside\n',
};

const sources: DirSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  removeTempDirs();
});

async function started(files: Readonly<Record<string, string>>, options: Omit<DirSourceOptions, 'root'> = {}): Promise<{ root: string; source: DirSource; seen: Recorder }> {
  const root = tempDir('dir');
  writeFiles(root, files);
  const source = new DirSource({ root, debounceMs: 50, ...options });
  sources.push(source);
  const seen = new Recorder();
  await source.start(seen.onRevision, seen.onError);
  return { root, source, seen };
}

describe('DirSource', () => {
  it('delivers the directory as it is: the .yaml/.yml files under the path, named by a content hash', async () => {
    const { root, source, seen } = await started(FILES);

    expect(seen.errors).toEqual([]);
    expect(seen.revisions).toHaveLength(1);
    const revision = seen.revisions[0];
    expect(revision?.id).toMatch(/^local-[0-9a-f]{12}$/);
    expect(revision?.trigger).toBe('initial');
    expect(revision?.committedAt).toBeUndefined();
    expect(revision?.files).toEqual([
      { path: 'manifests/api.yaml', text: API },
      { path: 'manifests/sub/worker.yml', text: FILES['manifests/sub/worker.yml'] },
    ]);
    expect(source.description).toBe(`dir ${root}:manifests`);
    expect(source.lastFetchAt()).toBeInstanceOf(Date);
  });

  it('delivers an edit after the debounce, as a new local revision', async () => {
    const { root, seen } = await started(FILES);

    writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: 2\n`);
    await waitFor(() => seen.revisions.length === 2, 'the edit');

    expect(seen.last()?.trigger).toBe('watch');
    expect(seen.last()?.id).toMatch(/^local-[0-9a-f]{12}$/);
    expect(seen.last()?.id).not.toBe(seen.revisions[0]?.id);
    expect(seen.last()?.files[0]?.text).toBe(`${API}replicas: 2\n`);

    // A new file, and a removed one.
    writeFiles(root, { 'manifests/db.yaml': 'kind: Service\nname: db\n' });
    rmSync(join(root, 'manifests/sub'), { recursive: true });
    await waitFor(() => seen.last()?.files.map((f) => f.path).join() === 'manifests/api.yaml,manifests/db.yaml', 'the added and removed files');
  });

  it('a burst of writes delivers one revision, with the last content', async () => {
    const { root, seen } = await started(FILES, { debounceMs: 100 });

    for (let i = 0; i < 10; i++) {
      writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: ${i}\n`);
      await sleep(10);
    }
    await waitFor(() => seen.revisions.length === 2, 'the settled burst');
    await sleep(250);

    expect(seen.revisions).toHaveLength(2);
    expect(seen.last()?.files[0]?.text).toBe(`${API}replicas: 9\n`);
  });

  it('does not deliver the same content twice', async () => {
    const { root, source, seen } = await started(FILES);

    writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: 2\n`);
    await waitFor(() => seen.revisions.length === 2, 'the edit');
    // The same bytes written again, then a change undone within the debounce, then a non-manifest file.
    writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: 2\n`);
    await sleep(100);
    writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: 3\n`);
    writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: 2\n`);
    writeFileSync(join(root, 'manifests/notes.txt'), 'changed\n');
    await sleep(200);
    await source.fetchNow('manual');

    expect(seen.revisions).toHaveLength(2);
    expect(seen.errors).toEqual([]);
  });

  it('fetchNow reads at once, without waiting for the debounce', async () => {
    const { root, source, seen } = await started(FILES, { debounceMs: 10_000 });

    writeFileSync(join(root, 'manifests/api.yaml'), `${API}image: v2\n`);
    const at = new Date();
    await source.fetchNow('manual', at);

    expect(seen.revisions).toHaveLength(2);
    expect(seen.last()).toMatchObject({ trigger: 'manual', triggeredAt: at });
    expect(seen.last()?.files[0]?.text).toBe(`${API}image: v2\n`);
  });

  it('never delivers a file while it is being written', async () => {
    const { root, source, seen } = await started({ 'manifests/api.yaml': API }, { debounceMs: 40 });
    const file = join(root, 'manifests/api.yaml');
    const lines = Array.from({ length: 60 }, (_, i) => `# line ${i}\n`);
    const complete = API + lines.join('');

    // A slow writer: a line every 4 ms; a read is also asked for while it writes.
    const writing = (async () => {
      for (const line of lines) {
        appendFileSync(file, line);
        await sleep(4);
      }
    })();
    await sleep(60);
    await source.fetchNow('manual');
    await writing;
    await waitFor(() => seen.last()?.files[0]?.text === complete, 'the complete file');
    await sleep(150);

    expect(seen.revisions.slice(1).map((r) => r.files[0]?.text === complete)).toEqual([true]);
  });

  it('a missing path is a revision without files; a missing root is a SourceError', async () => {
    const { root, seen } = await started(FILES, { path: 'deploy' });
    expect(seen.revisions[0]?.files).toEqual([]);

    // The path appears later: watched all the same.
    writeFiles(root, { 'deploy/api.yaml': API });
    await waitFor(() => seen.revisions.length === 2, 'the new directory');
    expect(seen.last()?.files).toEqual([{ path: 'deploy/api.yaml', text: API }]);

    const missing = new DirSource({ root: join(root, 'nope'), debounceMs: 10 });
    sources.push(missing);
    const none = new Recorder();
    await missing.start(none.onRevision, none.onError);
    expect(none.revisions).toEqual([]);
    expect(none.errors[0]).toBeInstanceOf(SourceError);
  });

  it('close() is idempotent and stops deliveries', async () => {
    const { root, source, seen } = await started(FILES);

    await Promise.all([source.close(), source.close()]);
    await source.close();
    writeFileSync(join(root, 'manifests/api.yaml'), `${API}replicas: 5\n`);
    await sleep(200);
    await source.fetchNow('manual');

    expect(seen.revisions).toHaveLength(1);
  });
});
