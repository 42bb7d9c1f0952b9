/** `berth validate` run as a process, the way CI and people run it: exit codes and output. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const invalid = 'test/fixtures/validate/invalid';

function berth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/berth.js', ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('berth validate (process)', () => {
  it('exits 0 on the repository manifests, validating manifests/ by default', () => {
    const run = berth('validate');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('✓ 5 files, 15 documents valid\n');
    expect(run.status).toBe(0);
  });

  it('exits 1 and prints every error with file:line:column, document, path, expected, found and fix', () => {
    const run = berth('validate', `${invalid}/scaler-owned-fields.yaml`);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      [
        `${invalid}/scaler-owned-fields.yaml:7:3 error [ownership/scaler-field] Service worker › spec.desiredCount`,
        '  `desiredCount` is owned by QueueScaler ocr (test/fixtures/validate/invalid/scaler-owned-fields.yaml:23) and must not be set here',
        '  expected: no desiredCount',
        '  found:    2',
        '  fix:      remove `desiredCount`; QueueScaler ocr sets it from the queue backlog (its bounds are minTasks and maxTasks)',
      ].join('\n'),
    );
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('✗ 3 errors, 0 warnings in 1 file, 4 documents');
  });

  it('exits 0 on warnings alone, and 1 with --strict', () => {
    const lenient = berth('validate', `${invalid}/images.yaml`);
    expect(lenient.status).toBe(0);
    expect(lenient.stdout).toContain('warning [images/unpinned]');
    expect(lenient.stdout.trimEnd().split('\n').at(-1)).toBe('✓ 1 file, 1 document valid (2 warnings)');
    const strict = berth('validate', '--strict', `${invalid}/images.yaml`);
    expect(strict.status).toBe(1);
    expect(strict.stdout.trimEnd().split('\n').at(-1)).toBe('✗ 0 errors, 2 warnings in 1 file, 1 document (warnings fail with --strict)');
  });

  it('prints machine-readable JSON with --format json', () => {
    const run = berth('validate', '--format', 'json', `${invalid}/network.yaml`);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { valid: boolean; files: number; documents: number; errors: number; diagnostics: { rule: string; line: number; column: number; path: string }[] };
    expect(report).toMatchObject({ valid: false, files: 1, documents: 2, errors: 3, warnings: 0 });
    expect(report.diagnostics.map((d) => [d.rule, d.line, d.column, d.path])).toEqual([
      ['network/awsvpc-configuration', 4, 1, 'spec'],
      ['network/awsvpc-host-port', 14, 57, 'spec.taskDefinition.containerDefinitions[0].portMappings[0].hostPort'],
      ['network/configuration-without-awsvpc', 22, 3, 'spec.networkConfiguration'],
    ]);
  });

  it.each([
    [['validate', 'no/such/dir'], 'berth: no/such/dir: no such file or directory'],
    [['validate', '--format', 'yaml'], "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are text, json."],
    [['validate', '--bogus'], "error: unknown option '--bogus'"],
    [['frob'], "error: unknown command 'frob'"],
    [[], 'Usage: berth [options] [command]'],
  ])('exits 2 on a usage error: berth %j', (args, message) => {
    const run = berth(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('prints help and the version with exit 0', () => {
    const help = berth('validate', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: berth validate [options] [path]');
    const version = berth('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs as `npx berth` through the package bin', () => {
    const run = spawnSync('npx', ['--no', 'berth', 'validate', 'manifests'], { cwd: root, encoding: 'utf8' });
    expect(run.stdout).toBe('✓ 5 files, 15 documents valid\n');
    expect(run.status).toBe(0);
  });
});
