/**
 * The production build (what the images run): `tsc -p tsconfig.build.json` emits plain JavaScript
 * that runs without a TypeScript loader, with schemas/ and package.json beside it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
let out: string;

beforeAll(async () => {
  // Inside the repository (.berth/ is git-ignored), so the build finds node_modules as dist/ does.
  await mkdir(join(root, '.berth'), { recursive: true });
  out = await mkdtemp(join(root, '.berth', 'build-'));
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'pipe' });
  execFileSync(process.execPath, ['scripts/finish-build.js', out], { cwd: root, stdio: 'pipe' });
}, 120_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const berth = (...args: string[]): string => execFileSync(process.execPath, [join(out, 'controller', 'main.js'), ...args], { cwd: root, encoding: 'utf8' });

describe('production build', () => {
  it('runs the CLI as plain JavaScript: version, and validation with the schemas beside it', () => {
    expect(berth('--version').trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(berth('validate', 'manifests')).toContain('15 documents valid');
  });

  it('leaves no TypeScript import behind: every relative import names a .js file', () => {
    const found = execFileSync('grep', ['-rhoE', `(from|import\\() *["'][.]{1,2}/[^"']+["']`, join(out, 'controller'), join(out, 'sim')], { encoding: 'utf8' });
    const imports = found.split('\n').filter(Boolean);
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.filter((i) => !/\.js["']$/.test(i))).toEqual([]);
  });
});
