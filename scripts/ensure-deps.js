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
