#!/usr/bin/env node
// Completes dist/ after `tsc -p tsconfig.build.json`: what the compiled code reads beside itself at
// run time (package.json for --version, schemas/ for validation), at the same relative places.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The output directory: dist/ unless given (the build test builds into a temporary one).
const dist = process.argv[2] ?? join(root, 'dist');
if (!existsSync(join(dist, 'controller', 'main.js'))) {
  console.error('berth: dist/controller/main.js is missing; run `npm run build`');
  process.exit(1);
}
cpSync(join(root, 'package.json'), join(dist, 'package.json'));
cpSync(join(root, 'schemas'), join(dist, 'schemas'), { recursive: true });
