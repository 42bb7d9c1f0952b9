/** Which source `createSource` picks for a `source` setting, and what it refuses. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceConfigError, createSource } from '../../controller/source/create-source.ts';
import { DirSource } from '../../controller/source/dir-source.ts';
import { GitSource } from '../../controller/source/git-source.ts';
import { Recorder, TestRepo, git, removeTempDirs, tempDir } from './helpers.ts';

afterEach(removeTempDirs);

describe('createSource', () => {
  it('a URL is a GitSource', () => {
    const workDir = tempDir('work');
    for (const source of ['https://github.com/org/repo.git', 'http://git.local/repo', 'ssh://git@github.com/org/repo.git', 'git@github.com:org/repo.git', 'file:///srv/repo']) {
      expect(createSource({ source, workDir })).toBeInstanceOf(GitSource);
    }
    expect(createSource({ source: 'https://user:pw1234567@github.com/org/repo.git', branch: 'prod', path: 'deploy', workDir }).description).toBe('git https://github.com/org/repo.git#prod:deploy');
  });

  it('a local repository is a GitSource without watch, a DirSource with it', async () => {
    const repo = new TestRepo({ 'manifests/api.yaml': 'kind: Service\n' });
    const workDir = tempDir('work');
    const followed = createSource({ source: repo.dir, workDir });
    expect(followed).toBeInstanceOf(GitSource);
    const watched = createSource({ source: repo.dir, workDir, watch: true });
    expect(watched).toBeInstanceOf(DirSource);
    expect(watched.description).toBe(`dir ${repo.dir}:manifests`);

    const seen = new Recorder();
    await followed.start(seen.onRevision, seen.onError);
    await followed.close();
    expect(seen.revisions[0]?.id).toBe(repo.head());
  });

  it('a bare repository is a repository', () => {
    const bare = join(tempDir('bare'), 'repo.git');
    mkdirSync(bare);
    git(bare, 'init', '--quiet', '--bare');
    expect(createSource({ source: bare, workDir: tempDir('work') })).toBeInstanceOf(GitSource);
  });

  it('a plain directory needs watch; watch needs a local directory; a missing path is refused', () => {
    const workDir = tempDir('work');
    const plain = tempDir('plain');
    expect(() => createSource({ source: plain, workDir })).toThrow(SourceConfigError);
    expect(() => createSource({ source: plain, workDir })).toThrow(/not a git repository \(use watch/);
    expect(createSource({ source: plain, workDir, watch: true })).toBeInstanceOf(DirSource);
    expect(() => createSource({ source: 'https://tok3n-abcdef@github.com/org/repo.git', workDir, watch: true })).toThrow(/^https:\/\/github.com\/org\/repo.git: watch needs a local directory/);
    expect(() => createSource({ source: pathToFileURL(plain).href, workDir, watch: true })).toThrow(SourceConfigError);
    expect(() => createSource({ source: join(plain, 'missing'), workDir })).toThrow(/no such directory/);
  });
});
