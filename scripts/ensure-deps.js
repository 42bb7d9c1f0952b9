#!/usr/bin/env node
// Installs the npm dependencies when node_modules is missing or was installed from another
// package-lock.json. Plain JavaScript on purpose: it runs before any dependency exists.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockFile = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.berth-lock-sha256');

const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const installedHash = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';

if (installedHash !== lockHash) {
  const reason = existsSync(join(root, 'node_modules')) ? 'package-lock.json changed' : 'node_modules is missing';
  console.error(`berth: installing npm dependencies (${reason}): npm ci`);
  // Install scripts of dependencies stay off: onnxruntime-node's would download CUDA binaries.
  const result = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    console.error(`berth: npm ci failed (exit ${result.status ?? result.signal}); fix the error above and run the command again`);
    process.exit(1);
  }
  writeFileSync(marker, `${lockHash}\n`);
}

// System packages from Debian that the tests and the demo run for real (`--apt redis-server:redis-server`
// = package:command): installed with apt-get when the command is missing and this is root.
const wanted = process.argv.slice(2).flatMap((arg, i, all) => (all[i - 1] === '--apt' ? [arg] : []));
const missing = wanted
  .map((spec) => {
    const [pkg, command = pkg] = spec.split(':');
    return { pkg, command };
  })
  .filter(({ command }) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0);
if (missing.length > 0) {
  const packages = missing.map((m) => m.pkg);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    console.error(`berth: ${missing.map((m) => m.command).join(', ')} not found; install the Debian packages first: sudo apt-get install -y ${packages.join(' ')}`);
    process.exit(1);
  }
  console.error(`berth: installing ${packages.join(', ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'inherit', 'inherit'], env }) : update;
  if (install.status !== 0) {
    console.error(`berth: apt-get could not install ${packages.join(' ')} (exit ${install.status ?? install.signal}); install them and run the command again`);
    process.exit(1);
  }
}
