#!/usr/bin/env node
// The `berth` command. The code is TypeScript with erasable syntax only, so `npx berth` works right
// after `npm ci` with no build step: Node.js 22.18+ and 24 strip the types themselves; Node.js 20
// runs it through tsx's loader (which costs a loader thread and ~30 MB of memory).

// The AWS SDK warns on Node 20 that its releases after January 2027 need Node 22; the lock file
// pins today's releases and the Docker images run Node 22+, so the warning would only be noise on
// every command. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import('../controller/cli.ts');
process.exitCode = await main(process.argv);
