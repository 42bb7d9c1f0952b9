/**
 * The AWS SDK clients of one Berth process: built once per region, with the default credential
 * chain, adaptive client-side rate limiting, bounded retries and timeouts, and a middleware that
 * counts every HTTP attempt (retries included) and every throttling answer into one `CallCounter`.
 *
 * The ECS, Auto Scaling, CloudWatch and Resource Groups Tagging ports are built the same way
 * (`clientConfig` + `countCalls`), one client per service and region, cached for the life of the
 * context.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { ECSClientConfig } from '@aws-sdk/client-ecs';
// The SDK's own middleware types: @smithy/types is what every @aws-sdk client's declarations import.
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import { CloudWatchAdapter } from './cloudwatch-adapter.ts';
import { CallCounts } from './call-counter.ts';
import { AwsReason, isThrottlingError } from './classify.ts';
import { AutoScalingAdapter } from './autoscaling-adapter.ts';
import { EcsAdapter } from './ecs-adapter.ts';
import { StalledError } from './errors.ts';
import type { AutoScalingPort, CallCounter, CloudWatchPort, EcsPort, TaggingPort } from './ports.ts';
import { TaggingAdapter } from './tagging-adapter.ts';

export interface AwsContextOptions {
  /**
   * The region of ports asked for none (the controller's `--region`). A manifest's `spec.region`,
   * passed to `ecs(region)`, wins over it.
   * @defaultValue `AWS_REGION`, else `AWS_DEFAULT_REGION`, read when a port is first asked for
   */
  readonly region?: string;
  /**
   * One endpoint for every service (`--endpoint`, e.g. the simulator's URL). It wins over the
   * environment.
   * @defaultValue the SDK's own resolution: `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_ECS`,
   * `AWS_ENDPOINT_URL_AUTO_SCALING`, `AWS_ENDPOINT_URL_CLOUDWATCH`), then `AWS_ENDPOINT_URL`, then
   * `endpoint_url` in the shared config profile, then AWS's regional endpoint
   */
  readonly endpoint?: string;
  /**
   * Attempts per call, the first included: throttling, 5xx and network errors are retried with
   * jittered exponential backoff. At least 1.
   * @defaultValue 5
   */
  readonly maxAttempts?: number;
  /**
   * Static credentials or a provider, for tests. Production leaves this out.
   * @defaultValue the SDK's default credential chain (environment, shared config and SSO, web
   * identity, the ECS task role, EC2 instance metadata)
   */
  readonly credentials?: ECSClientConfig['credentials'];
  /**
   * Milliseconds one HTTP attempt may take before it fails as a `Timeout` (and is retried).
   * @defaultValue 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Milliseconds to establish a connection.
   * @defaultValue 5000
   */
  readonly connectionTimeoutMs?: number;
  /** Run around every HTTP attempt (retries included): the controller's rate limit, write guard and metrics. */
  readonly hooks?: CallHooks;
}

/** The outcome of one HTTP attempt. */
export type CallOutcome = 'success' | 'error' | 'throttled';

export interface CallHooks {
  /**
   * Before an attempt is sent: wait for a token of the global rate limit; throw (a
   * `ReconcileError`) to refuse it, e.g. a write without leadership.
   */
  before?(service: string, operation: string): Promise<void>;
  /** After an attempt: what became of it. */
  after?(service: string, operation: string, outcome: CallOutcome): void;
}

/** Reads change nothing in AWS; every other operation is a write. */
export const isReadOperation = (operation: string): boolean => /^(Describe|List|Get)/.test(operation);

export interface AwsContext {
  /**
   * The ECS port of `region` (else the context's region, else the environment's), one per region
   * for the life of the context, so its task-definition cache lasts as long.
   * @throws StalledError `NoRegion` when no region is given anywhere
   */
  ecs(region?: string): EcsPort;
  /**
   * The Auto Scaling port of `region` (else the context's, else the environment's), one per region
   * for the life of the context.
   * @throws StalledError `NoRegion` when no region is given anywhere
   */
  autoscaling(region?: string): AutoScalingPort;
  /**
   * The CloudWatch port of `region` (else the context's, else the environment's), one per region
   * for the life of the context.
   * @throws StalledError `NoRegion` when no region is given anywhere
   */
  cloudwatch(region?: string): CloudWatchPort;
  /**
   * The Resource Groups Tagging API port of `region`, for the inventory of what Berth owns.
   * @throws StalledError `NoRegion` when no region is given anywhere
   */
  tagging(region?: string): TaggingPort;
  /** Every AWS call made through this context's clients. */
  readonly counter: CallCounter;
  /** Destroys every client. Idempotent; afterwards `ecs()` throws. */
  close(): void;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
const COUNTER_MIDDLEWARE = 'berthCallCounter';

/** What the context needs of an SDK client: its middleware stack, to count calls, and destroy(). */
interface CountedClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each client's stack is typed by its own inputs; the counter only reads the command name.
  readonly middlewareStack: MiddlewareStack<any, any>;
  destroy(): void;
}

/**
 * The region to use: the one asked for, else the context's, else `AWS_REGION`, else
 * `AWS_DEFAULT_REGION`. (The SDK alone reads only `AWS_REGION` and the shared config profile.)
 */
export function resolveRegion(asked: string | undefined, configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const region = [asked, configured, env.AWS_REGION, env.AWS_DEFAULT_REGION].find((r) => r !== undefined && r.trim() !== '');
  if (region === undefined) {
    throw new StalledError(
      AwsReason.NoRegion,
      'No AWS region: set spec.region in the manifest, pass --region, or set AWS_REGION (or AWS_DEFAULT_REGION) in the environment.',
    );
  }
  return region.trim();
}

/**
 * Counts every HTTP attempt of a client and every throttling answer, as `service:Operation`.
 * The middleware sits after the signer inside the retry middleware's loop (finalizeRequest step),
 * so each retry passes through it again and only requests that were actually sent are counted.
 */
export function countCalls<Input extends object, Output extends object>(stack: MiddlewareStack<Input, Output>, service: string, counter: CallCounts, hooks: CallHooks = {}): void {
  const middleware: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const key = `${service}:${operation}`;
    await hooks.before?.(service, operation);
    counter.recordCall(key);
    try {
      const out = await next(args);
      hooks.after?.(service, operation, 'success');
      return out;
    } catch (err) {
      const throttled = isThrottlingError(err);
      if (throttled) counter.recordThrottle(key);
      hooks.after?.(service, operation, throttled ? 'throttled' : 'error');
      throw err;
    }
  };
  stack.addRelativeTo(middleware, { name: COUNTER_MIDDLEWARE, relation: 'after', toMiddleware: 'httpSigningMiddleware', override: true });
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a whole number of 1 or more, got ${value}`);
  return value;
}

export function createAwsContext(options: AwsContextOptions = {}): AwsContext {
  const maxAttempts = positiveInteger(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'maxAttempts');
  const requestTimeout = positiveInteger(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
  const connectionTimeout = positiveInteger(options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS, 'connectionTimeoutMs');
  const counter = new CallCounts();
  let closed = false;

  /** What every client shares; the SDK fills in the rest (credentials, endpoint) from its chain. */
  const clientConfig = (region: string) => ({
    region,
    maxAttempts,
    // Adaptive: the standard retries plus a client-side token bucket that slows down after throttling.
    retryMode: 'adaptive',
    requestHandler: { requestTimeout, connectionTimeout, throwOnRequestTimeout: true },
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
  });

  /** Every client built, for close(). */
  const clients: { destroy(): void }[] = [];
  /** One port per region for the life of the context, its client counted as `service`. */
  function ports<P>(service: string, build: (region: string) => { client: CountedClient; port: P }): (asked?: string) => P {
    const byRegion = new Map<string, P>();
    return (asked) => {
      if (closed) throw new Error('the AWS context is closed');
      const region = resolveRegion(asked, options.region);
      const known = byRegion.get(region);
      if (known !== undefined) return known;
      const { client, port } = build(region);
      countCalls(client.middlewareStack, service, counter, options.hooks);
      clients.push(client);
      byRegion.set(region, port);
      return port;
    };
  }

  const ecs = ports('ecs', (region) => {
    const client = new ECSClient(clientConfig(region));
    return { client, port: new EcsAdapter(client, region) };
  });
  const autoscaling = ports('autoscaling', (region) => {
    const client = new AutoScalingClient(clientConfig(region));
    return { client, port: new AutoScalingAdapter(client, region) };
  });
  const cloudwatch = ports('cloudwatch', (region) => {
    const client = new CloudWatchClient(clientConfig(region));
    return { client, port: new CloudWatchAdapter(client, region) };
  });
  const tagging = ports('tagging', (region) => {
    const client = new ResourceGroupsTaggingAPIClient(clientConfig(region));
    return { client, port: new TaggingAdapter(client, region) };
  });

  return {
    counter,
    ecs,
    autoscaling,
    cloudwatch,
    tagging,
    close(): void {
      closed = true;
      for (const client of clients.splice(0)) {
        try {
          client.destroy();
        } catch {
          // Each client is destroyed even if another one throws; destroying only closes sockets.
        }
      }
    },
  };
}
