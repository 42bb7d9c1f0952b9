/**
 * The `berth` process entry of the production build (`node dist/controller/main.js`), the same as
 * bin/berth.js runs in development.
 */
import { main } from './cli.ts';

// The AWS SDK's Node 20 end-of-support notice is noise here: the images run Node 22 or later.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await main(process.argv);
