#!/usr/bin/env node
// The `berth` command. The code is TypeScript run through tsx's loader, so `npx berth` works right
// after `npm ci` with no build step, on Node.js 20 and on current LTS releases alike.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node 20 that its releases after January 2027 need Node 22; the lock file
// pins today's releases and the Docker images run Node 22+, so the warning would only be noise on
// every command. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../controller/cli.ts');
process.exitCode = await main(process.argv);
