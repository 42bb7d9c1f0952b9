#!/usr/bin/env node
// The `berth` command. The code is TypeScript run through tsx's loader, so `npx berth` works right
// after `npm ci` with no build step, on Node.js 20 and on current LTS releases alike.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../controller/cli.ts');
process.exitCode = await main(process.argv);
