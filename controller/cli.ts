/** The `berth` command line: wiring and commands only. */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { promisify } from 'node:util';
import { Command, CommanderError, Option } from 'commander';
import { countBySeverity } from './manifests/diagnostics.ts';
import { ManifestPathError, readManifestFiles } from './manifests/load-files.ts';
import { formatJson, formatText } from './manifests/report.ts';
import type { ControllerStatus } from './engine/status.ts';
import type { ManifestEntry } from './manifests/types.ts';
import { validateSources } from './manifests/validate.ts';

/** A command line that cannot be acted on (exit 2). */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, changes: 2 } as const;

interface ValidateOptions {
  readonly format: 'text' | 'json';
  readonly strict: boolean;
}

async function validateCommand(path: string, options: ValidateOptions): Promise<number> {
  const files = await readManifestFiles(path);
  const result = validateSources(files);
  const render = options.format === 'json' ? formatJson : formatText;
  process.stdout.write(render(result, options));
  const { errors, warnings } = countBySeverity(result.diagnostics);
  return errors > 0 || (options.strict && warnings > 0) ? EXIT.invalid : EXIT.ok;
}

interface PlanOptions {
  readonly format: 'text' | 'json' | 'markdown';
  readonly detailedExitcode: boolean;
  readonly endpoint?: string;
  readonly region?: string;
  readonly instance: string;
  readonly prune: boolean;
  readonly allowEmpty: boolean;
}

/** The manifests under `path` when they are all valid; otherwise prints every problem and `refusal`. */
async function validManifests(path: string, refusal: string, allowEmpty = false): Promise<readonly ManifestEntry[] | undefined> {
  const result = validateSources(await readManifestFiles(path));
  if (result.valid) return result.manifests;
  // --allow-empty: a source with no manifests at all is the intent (remove everything with --prune).
  const empty = result.diagnostics.every((d) => d.rule === 'source/empty');
  if (allowEmpty && empty) return [];
  process.stderr.write(formatText(result));
  if (empty) process.stderr.write('(to remove everything this Berth owns, run apply with --prune --allow-empty on the empty directory)\n');
  process.stderr.write(`${refusal}\n`);
  return undefined;
}

/** Exit codes of `berth plan`: 0 no changes, 2 changes (with --detailed-exitcode), 1 error or refusal. */
async function planCommand(path: string, options: PlanOptions): Promise<number> {
  const manifests = await validManifests(path, 'berth plan: the manifests are invalid; nothing was planned', options.allowEmpty);
  if (!manifests) return EXIT.invalid;
  const [{ createAwsContext }, { buildPlan }, render, { ReconcileError }] = await Promise.all([
    import('./aws/aws-context.ts'),
    import('./engine/plan.ts'),
    import('./engine/render-plan.ts'),
    import('./aws/errors.ts'),
  ]);
  const aws = createAwsContext({ ...(options.endpoint !== undefined && { endpoint: options.endpoint }), ...(options.region !== undefined && { region: options.region }) });
  try {
    const plan = await buildPlan({
      manifests,
      aws,
      instance: options.instance,
      defaultRegion: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
      now: new Date(),
      prune: options.prune,
      allowEmpty: options.allowEmpty,
    });
    const calls = aws.counter.calls();
    const output = options.format === 'json' ? render.renderJson(plan.entries, calls) : options.format === 'markdown' ? render.renderMarkdown(plan.entries) : render.renderText(plan.entries, calls);
    process.stdout.write(output);
    const summary = render.summarize(plan.entries);
    if (summary.refused > 0) return EXIT.invalid;
    return options.detailedExitcode && summary.create + summary.update + summary.prune > 0 ? EXIT.changes : EXIT.ok;
  } catch (err) {
    if (err instanceof ReconcileError) {
      process.stderr.write(`berth plan: ${err.reason}: ${err.message}\n`);
      return EXIT.invalid;
    }
    throw err;
  } finally {
    aws.close();
  }
}

interface ApplyOptions extends PlanOptions {
  readonly wait: boolean;
  readonly timeout: string;
  readonly yes: boolean;
  readonly concurrency: string;
  readonly pollInterval: string;
}

/** `10m`, `90s`, `1h`, `500ms` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new UsageError(`${text}: write a duration such as 90s, 10m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** The git revision of the manifests, `-dirty` when they have uncommitted changes; undefined outside git. */
async function gitRevision(path: string): Promise<string | undefined> {
  const run = promisify(execFile);
  const absolute = resolve(path);
  const dir = statSync(absolute).isDirectory() ? absolute : dirname(absolute);
  try {
    const head = (await run('git', ['-C', dir, 'rev-parse', '--short=12', 'HEAD'])).stdout.trim();
    const dirty = (await run('git', ['-C', dir, 'status', '--porcelain', '--', absolute])).stdout.trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return undefined;
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** `berth apply`: the plan, then its changes in dependency order. Exit 0 when everything applied, 1 otherwise. */
async function applyCommand(path: string, options: ApplyOptions): Promise<number> {
  const timeoutMs = parseDuration(options.timeout);
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${options.concurrency}: a whole number of 1 or more`);
  const manifests = await validManifests(path, 'berth apply: the manifests are invalid; nothing was applied', options.allowEmpty);
  if (!manifests) return EXIT.invalid;
  const [{ createAwsContext }, { buildPlan }, { applyPlan }, render, { ReconcileError }] = await Promise.all([
    import('./aws/aws-context.ts'),
    import('./engine/plan.ts'),
    import('./engine/apply.ts'),
    import('./engine/render-plan.ts'),
    import('./aws/errors.ts'),
  ]);
  const aws = createAwsContext({ ...(options.endpoint !== undefined && { endpoint: options.endpoint }), ...(options.region !== undefined && { region: options.region }) });
  const defaultRegion = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  try {
    const plan = await buildPlan({ manifests, aws, instance: options.instance, defaultRegion, now: new Date(), prune: options.prune, allowEmpty: options.allowEmpty });
    process.stdout.write(render.renderText(plan.entries));
    const summary = render.summarize(plan.entries);
    if (summary.create + summary.update + summary.prune === 0 && !options.wait) {
      process.stdout.write('\nNothing to apply.\n');
      return summary.refused > 0 ? EXIT.invalid : EXIT.ok;
    }
    if (!options.yes) {
      if (!process.stdin.isTTY) {
        process.stderr.write('berth apply: not a terminal, so nothing was applied: pass --yes to apply without confirmation\n');
        return EXIT.invalid;
      }
      if (!(await confirm('\nApply these changes? [y/N] '))) {
        process.stdout.write('Nothing applied.\n');
        return EXIT.invalid;
      }
    }
    process.stdout.write('\n');
    const outcomes = await applyPlan(plan, {
      manifests,
      aws,
      instance: options.instance,
      defaultRegion,
      revision: await gitRevision(path),
      concurrency,
      wait: options.wait,
      timeoutMs,
      pollMs: parseDuration(options.pollInterval),
      onProgress: ({ key, message }) => process.stdout.write(`${key}: ${message}\n`),
    });
    const count = (status: string): number => outcomes.filter((o) => o.status === status).length;
    for (const o of outcomes.filter((x) => x.status === 'failed' || x.status === 'refused' || x.status === 'skipped')) {
      process.stdout.write(`${o.key}: ${o.status}: ${o.message}\n`);
    }
    const calls = Object.entries(aws.counter.calls()).map(([k, v]) => `${k} ${v}`).join(', ');
    const throttles = Object.values(aws.counter.throttles()).reduce((a, b) => a + b, 0);
    process.stdout.write(`\nApply: ${count('applied')} applied, ${count('unchanged')} unchanged, ${count('failed')} failed, ${count('refused')} refused, ${count('skipped')} skipped.\n`);
    process.stdout.write(`AWS calls: ${calls || 'none'}${throttles > 0 ? ` (${throttles} throttled and retried)` : ''}\n`);
    return count('failed') + count('refused') + count('skipped') > 0 ? EXIT.invalid : EXIT.ok;
  } catch (err) {
    if (err instanceof ReconcileError) {
      process.stderr.write(`berth apply: ${err.reason}: ${err.message}\n`);
      return EXIT.invalid;
    }
    throw err;
  } finally {
    aws.close();
  }
}

interface RunCommandOptions {
  readonly source?: string;
  readonly branch: string;
  readonly path: string;
  readonly interval: string;
  readonly watch: boolean;
  readonly port: string;
  readonly host: string;
  readonly resync: string;
  readonly workers: string;
  readonly selfHeal: boolean;
  readonly prune: boolean;
  readonly instance: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly redisUrl?: string;
  readonly leaseTtl: string;
  readonly awsRate: string;
  readonly drainTimeout: string;
  readonly workDir?: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** A whole number of at least `min` from a flag. */
function wholeNumber(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${text}: a whole number of ${min} or more`);
  return n;
}

/** `berth run`: the controller, until SIGTERM. */
async function runCommand(options: RunCommandOptions): Promise<number> {
  if (options.source === undefined || options.source === '') throw new UsageError('berth run needs --source (or BERTH_SOURCE): a git URL or a local path');
  const { runUntilSignalled } = await import('./run.ts');
  const rate = Number(options.awsRate);
  if (!(rate > 0)) throw new UsageError(`--aws-rate ${options.awsRate}: a positive number of calls per second`);
  return runUntilSignalled(
    {
      source: options.source,
      branch: options.branch,
      path: options.path,
      intervalMs: parseDuration(options.interval),
      watch: options.watch,
      port: wholeNumber(options.port, '--port', 0),
      host: options.host,
      resyncMs: parseDuration(options.resync),
      workers: wholeNumber(options.workers, '--workers', 1),
      selfHeal: options.selfHeal,
      prune: options.prune,
      instance: options.instance,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.region !== undefined && { region: options.region }),
      ...(options.redisUrl !== undefined && options.redisUrl !== '' && { redisUrl: options.redisUrl }),
      leaseTtlMs: parseDuration(options.leaseTtl),
      awsRate: rate,
      drainMs: parseDuration(options.drainTimeout),
      ...(options.workDir !== undefined && { workDir: options.workDir }),
      logLevel: options.logLevel,
    },
    {
      ...(process.env.BERTH_WEBHOOK_SECRET ? { webhookSecret: process.env.BERTH_WEBHOOK_SECRET } : {}),
      ...(process.env.BERTH_API_TOKEN ? { apiToken: process.env.BERTH_API_TOKEN } : {}),
    },
  );
}

/** A boolean flag that an environment variable can also set (`true`/`false`, `1`/`0`). */
function envBoolean(flags: string, description: string, env: string, fallback: boolean): Option {
  const value = process.env[env];
  const parsed = value === undefined || value === '' ? fallback : /^(1|true|yes|on)$/i.test(value);
  return new Option(flags, `${description} (env ${env})`).default(parsed);
}

interface StatusOptions {
  readonly url: string;
  readonly format: 'text' | 'json';
}

/** `berth status`: a running controller's status API as a table (exit 0 all Synced and Healthy, 2 otherwise, 1 unreachable). */
async function statusCommand(options: StatusOptions): Promise<number> {
  let response: Response;
  try {
    response = await fetch(new URL('/api/v1/status', options.url), { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    process.stderr.write(`berth status: cannot reach ${options.url}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.invalid;
  }
  if (!response.ok) {
    process.stderr.write(`berth status: ${options.url} answered ${response.status}\n`);
    return EXIT.invalid;
  }
  const { renderStatus } = await import('./engine/render-status.ts');
  const status = (await response.json()) as ControllerStatus;
  process.stdout.write(options.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status, new Date()));
  const settled = status.resources.every((r) => r.syncStatus === 'Synced' && (r.health.status === 'Healthy' || r.health.status === 'Suspended'));
  return settled && status.source.lastError === undefined ? EXIT.ok : EXIT.changes;
}

interface SimOptions {
  readonly port: string;
  readonly host: string;
  readonly seed?: string;
  readonly clock: 'real' | 'virtual';
  readonly speed: string;
}

/** `berth sim`: serves the AWS simulator until SIGINT or SIGTERM. */
async function simCommand(options: SimOptions): Promise<number> {
  const { loadSeedFile, runSimulator } = await import('../sim/cli.ts');
  const seed = options.seed === undefined ? undefined : await loadSeedFile(options.seed);
  return runSimulator({ port: Number(options.port), host: options.host, seed, clock: options.clock, speed: Number(options.speed) });
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The options every command that reaches AWS takes. */
function withAwsOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'AWS endpoint for every service (e.g. the simulator); default AWS_ENDPOINT_URL or AWS')
    .option('--region <region>', 'region of manifests that name none; default AWS_REGION')
    .option('--instance <id>', 'this Berth\'s berth.dev/managed-by tag value', process.env.BERTH_INSTANCE ?? 'berth')
    .option('--prune', 'delete what this Berth owns that the manifests no longer declare (services scaled to 0 and deleted, their task definitions deregistered, alarms deleted, adopted groups released); without it such resources are only reported as orphaned', false)
    .option('--allow-empty', 'with --prune: allow a revision that declares none of what this Berth owns (otherwise refused as an empty or wrongly pointed manifests path)', false);
}

function program(setExit: (code: number) => void): Command {
  const berth = new Command('berth')
    .version(version())
    .description('GitOps for Amazon ECS: drives ECS services, Auto Scaling capacity and CloudWatch alarms toward the manifests in git.')
    .showHelpAfterError('(run `berth --help` for usage)')
    .exitOverride();

  berth
    .command('validate')
    .description('Check manifests: YAML syntax, each kind\'s JSON Schema, then references, ownership, sizes and secrets. Exit 0 valid, 1 invalid, 2 usage error.')
    .argument('[path]', 'a manifest file, or a directory searched for .yaml/.yml files', 'manifests')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'treat warnings as errors', false)
    .action(async (path: string, options: ValidateOptions) => setExit(await validateCommand(path, options)));

  const plan = berth
    .command('plan')
    .description('Validate, observe AWS, and show what apply would change per resource (create, update, no change, refused, and owned resources no longer in git: orphaned, or prune with --prune) with the field-level diff. Exit 0 no changes, 2 changes (with --detailed-exitcode), 1 error or refusal.')
    .argument('[path]', 'a manifest file, or a directory searched for .yaml/.yml files', 'manifests')
    .addOption(new Option('--format <format>', 'output format; markdown is for a pull-request comment').choices(['text', 'json', 'markdown']).default('text'))
    .option('--detailed-exitcode', 'exit 2 when there are changes', false);
  withAwsOptions(plan).action(async (path: string, options: PlanOptions) => setExit(await planCommand(path, options)));

  const apply = berth
    .command('apply')
    .description('Plan, then apply in dependency order (clusters and deployment alarms before the services that use them, berth.dev/depends-on), bounded concurrency, progress per resource; then prune with --prune. Nothing is applied when the manifests are invalid. Exit non-zero on any failure or refusal.')
    .argument('[path]', 'a manifest file, or a directory searched for .yaml/.yml files', 'manifests')
    .option('--wait', 'follow each rollout to Healthy or Degraded; print the service events on failure', false)
    .option('--timeout <duration>', 'how long --wait follows rollouts', '10m')
    .option('--poll-interval <duration>', 'how often --wait looks at a rollout', '5s')
    .option('--yes', 'apply without asking (required when not on a terminal)', false)
    .option('--concurrency <n>', 'resources applied at once', '4');
  withAwsOptions(apply).action(async (path: string, options: ApplyOptions) => setExit(await applyCommand(path, options)));

  const env = (flags: string, description: string, name: string, fallback?: string): Option => {
    const option = new Option(flags, description).env(name);
    return fallback === undefined ? option : option.default(fallback);
  };
  berth
    .command('run')
    .description('Run the controller: fetch the manifests from git (or watch a local directory), keep AWS at the revision in force, serve health, metrics, the status API and page, and the signed webhook. Every flag can come from its environment variable; secrets (BERTH_WEBHOOK_SECRET, BERTH_API_TOKEN) only from the environment. Stops cleanly on SIGTERM.')
    .addOption(env('--source <url-or-path>', 'git URL (https, ssh, file) or local path of the repository', 'BERTH_SOURCE'))
    .addOption(env('--branch <branch>', 'branch to follow', 'BERTH_BRANCH', 'main'))
    .addOption(env('--path <path>', 'manifests folder inside the repository', 'BERTH_PATH', 'manifests'))
    .addOption(env('--interval <duration>', 'how often git is polled (a cheap ls-remote first)', 'BERTH_INTERVAL', '30s'))
    .addOption(envBoolean('--watch', 'watch a local working directory instead of polling git; uncommitted edits count', 'BERTH_WATCH', false))
    .addOption(env('--port <port>', 'HTTP port (health, metrics, status, webhook)', 'BERTH_PORT', '8080'))
    .addOption(env('--host <host>', 'HTTP address', 'BERTH_HOST', '0.0.0.0'))
    .addOption(env('--resync <duration>', 'full reconcile period (jittered)', 'BERTH_RESYNC', '5m'))
    .addOption(env('--workers <n>', 'resources applied at once', 'BERTH_WORKERS', '4'))
    .addOption(envBoolean('--no-self-heal', 'report drift without correcting it', 'BERTH_SELF_HEAL', true))
    .addOption(envBoolean('--prune', 'delete owned resources that left git (as apply --prune)', 'BERTH_PRUNE', false))
    .addOption(env('--instance <id>', 'this Berth\'s berth.dev/managed-by tag value', 'BERTH_INSTANCE', 'berth'))
    .addOption(env('--endpoint <url>', 'AWS endpoint for every service (e.g. the simulator)', 'BERTH_AWS_ENDPOINT'))
    .addOption(env('--region <region>', 'region of manifests that name none', 'AWS_REGION'))
    .addOption(env('--redis-url <url>', 'Redis for leader election; without it, single-instance mode', 'REDIS_URL'))
    .addOption(env('--lease-ttl <duration>', 'leader lease time to live', 'BERTH_LEASE_TTL', '15s'))
    .addOption(env('--aws-rate <n>', 'AWS calls per second, all services together', 'BERTH_AWS_RATE', '20'))
    .addOption(env('--drain-timeout <duration>', 'on SIGTERM, how long work in flight may finish (keep under the ECS stopTimeout)', 'BERTH_DRAIN_TIMEOUT', '25s'))
    .addOption(env('--work-dir <dir>', 'where the git mirror is kept', 'BERTH_WORK_DIR'))
    .addOption(new Option('--log-level <level>', 'JSON log level').choices(['debug', 'info', 'warn', 'error']).default('info').env('BERTH_LOG_LEVEL'))
    .action(async (options: RunCommandOptions) => setExit(await runCommand(options)));

  berth
    .command('status')
    .description('Show a running controller\'s status: the source revision and its last error, and every resource\'s sync and health. Exit 0 when all are Synced and Healthy, 2 otherwise, 1 when the controller cannot be reached.')
    .addOption(new Option('--url <url>', 'the controller\'s HTTP address').default('http://127.0.0.1:8080').env('BERTH_URL'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: StatusOptions) => setExit(await statusCommand(options)));

  berth
    .command('sim')
    .description('Run the local AWS simulator (ECS, Auto Scaling, CloudWatch over their real wire protocols). Without --seed it holds the deployment\'s own infrastructure: the g5.xlarge group filot-ocr-gpu-asg joining filot-ocr-gpu-cluster.')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4566')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <file>', 'YAML or JSON seed: accountId, region, behaviour, clusters, autoScalingGroups')
    .addOption(new Option('--clock <clock>', 'real time, or a virtual clock moved by POST /_sim/clock/advance').choices(['real', 'virtual']).default('real'))
    .option('--speed <factor>', 'real-time mode: simulated seconds per real second', '1')
    .action(async (options: SimOptions) => setExit(await simCommand(options)));

  return berth;
}

/** Runs the CLI with `argv` (as `process.argv`) and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  try {
    await program((code) => (exitCode = code)).parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version output end with these codes; everything else is a usage error.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    if (err instanceof ManifestPathError || err instanceof UsageError || (err instanceof Error && err.name === 'SeedFileError')) {
      process.stderr.write(`berth: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`berth: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.invalid;
  }
}
