/**
 * The AWS context against the simulator: every attempt and every throttle counted (retries
 * included, checked against the simulator's own counts), errors classified through the port,
 * and how the region, the endpoint and the credentials are found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsContext, resolveRegion } from '../../controller/aws/aws-context.ts';
import { StalledError, TransientError } from '../../controller/aws/errors.ts';
import { startSimulator } from '../../sim/simulator.ts';
import type { AwsSim } from './helpers.ts';
import { CREDENTIALS, REGION, awsSim, fargateTaskDefinition, rejectionOf, simCalls, withEnv } from './helpers.ts';

/** A port nothing listens on: a request there is refused at once. */
const DEAD_ENDPOINT = 'http://127.0.0.1:9';

let s: AwsSim | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('counting and classification through the port', () => {
  it('counts each retried attempt and each throttle: throttled twice with maxAttempts 2 is a TransientError Throttled', async () => {
    s = await awsSim({ context: { maxAttempts: 2 } });
    s.sim.injectFault({ service: 'ecs', throttleRate: 1 });

    const error = await rejectionOf(s.ecs.describeClusters(['web']));

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ reason: 'Throttled', operation: 'ecs:DescribeClusters' });
    expect((error as Error).message).toBe('ecs:DescribeClusters failed after 2 attempts: Rate exceeded (ThrottlingException)');
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeClusters': 2 });
    expect(s.aws.counter.throttles()).toEqual({ 'ecs:DescribeClusters': 2 });
    expect(s.aws.counter.calls()).toEqual(simCalls(s.sim.callCounts()));
    expect(s.aws.counter.throttles()).toEqual(simCalls(s.sim.throttleCounts()));
  });

  it('does not retry AccessDeniedException: one attempt, StalledError AccessDenied', async () => {
    s = await awsSim();
    s.sim.injectFault({ service: 'ecs', operation: 'DescribeClusters', error: { code: 'AccessDeniedException', message: 'User: arn:aws:sts::111122223333:assumed-role/berth/task is not authorized to perform: ecs:DescribeClusters' } });

    const error = await rejectionOf(s.ecs.describeClusters(['web']));

    expect(error).toBeInstanceOf(StalledError);
    expect(error).toMatchObject({ reason: 'AccessDenied', operation: 'ecs:DescribeClusters' });
    expect((error as Error).message).toContain('is not authorized to perform: ecs:DescribeClusters');
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeClusters': 1 });
    expect(s.aws.counter.throttles()).toEqual({});
  });

  it('DescribeServices on a missing cluster is a StalledError ClusterNotFound', async () => {
    s = await awsSim();
    const error = await rejectionOf(s.ecs.describeServices('no-such-cluster', ['api']));
    expect(error).toBeInstanceOf(StalledError);
    expect(error).toMatchObject({ reason: 'ClusterNotFound', operation: 'ecs:DescribeServices' });
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeServices': 1 });
  });

  it('retries 5xx answers and succeeds, counting every attempt', async () => {
    s = await awsSim();
    s.sim.injectFault({ service: 'ecs', errorRate: 1, count: 2 });
    expect((await s.ecs.describeClusters(['web'])).clusters).toHaveLength(1);
    expect(s.aws.counter.calls()).toEqual({ 'ecs:DescribeClusters': 3 });
    expect(s.aws.counter.throttles()).toEqual({});
    expect(simCalls(s.sim.callCounts())).toEqual({ 'ecs:DescribeClusters': 3 });
  });

  it('under 30 % throttling of every ECS operation, 40 calls all succeed with the default attempts', async () => {
    // Seed 9: 15 of the 55 draws the run takes are throttles, at most 3 after the first 40, so no
    // call can be throttled 5 times however the concurrent retries interleave (seed 1 would allow it).
    s = await awsSim({ randomSeed: 9 });
    const td = await s.ecs.registerTaskDefinition(fargateTaskDefinition('api'));
    s.sim.resetCallCounts();
    s.aws.counter.reset();
    s.sim.injectFault({ service: 'ecs', throttleRate: 0.3 });

    const { ecs } = s;
    const calls = Array.from({ length: 40 }, (_, i): Promise<unknown> => {
      switch (i % 4) {
        case 0:
          return ecs.describeClusters(['web']);
        case 1:
          return ecs.describeServices('web', [`svc-${i}`]);
        case 2:
          return ecs.latestTaskDefinitionArn('api');
        default:
          return ecs.describeClusters([`cluster-${i}`]);
      }
    });
    const started = Date.now();
    const results = await Promise.allSettled(calls);
    const seconds = (Date.now() - started) / 1000;

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === td.taskDefinitionArn)).toHaveLength(10);
    const attempts = s.aws.counter.calls();
    const throttles = s.aws.counter.throttles();
    const total = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`40 calls under 30 % throttling: ${total(attempts)} attempts, ${total(throttles)} throttled, in ${seconds.toFixed(1)} s`, { attempts, throttles });
    expect(attempts).toEqual(simCalls(s.sim.callCounts()));
    expect(throttles).toEqual(simCalls(s.sim.throttleCounts()));
    // Every throttled attempt was retried: attempts = 40 successes + throttles.
    expect(total(attempts)).toBe(40 + total(throttles));
    expect(total(throttles)).toBeGreaterThan(5);
  }, 90_000);
});

describe('endpoint resolution', () => {
  const isolated = { AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_ECS: undefined, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined };

  it('reaches the simulator through AWS_ENDPOINT_URL', async () => {
    const { sim, endpoint, close } = await startSimulator({ seed: { region: REGION, clusters: [{ name: 'web' }] } });
    try {
      await withEnv({ ...isolated, AWS_ENDPOINT_URL: endpoint }, async () => {
        const aws = createAwsContext({ region: REGION, credentials: CREDENTIALS });
        expect((await aws.ecs().describeClusters(['web'])).clusters.map((c) => c.clusterName)).toEqual(['web']);
        aws.close();
      });
      expect(simCalls(sim.callCounts())).toEqual({ 'ecs:DescribeClusters': 1 });
    } finally {
      await close();
    }
  });

  it('prefers AWS_ENDPOINT_URL_ECS to AWS_ENDPOINT_URL', async () => {
    const { sim, endpoint, close } = await startSimulator({ seed: { region: REGION, clusters: [{ name: 'web' }] } });
    try {
      await withEnv({ ...isolated, AWS_ENDPOINT_URL: DEAD_ENDPOINT, AWS_ENDPOINT_URL_ECS: endpoint }, async () => {
        const aws = createAwsContext({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
        expect((await aws.ecs().describeClusters(['web'])).missing).toEqual([]);
        aws.close();
      });
      expect(simCalls(sim.callCounts())).toEqual({ 'ecs:DescribeClusters': 1 });
    } finally {
      await close();
    }
  });

  it('an explicit endpoint wins over the environment', async () => {
    s = await awsSim({ context: { maxAttempts: 1 } });
    const { endpoint } = s;
    await withEnv({ ...isolated, AWS_ENDPOINT_URL: DEAD_ENDPOINT, AWS_ENDPOINT_URL_ECS: DEAD_ENDPOINT }, async () => {
      const aws = createAwsContext({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
      expect((await aws.ecs().describeClusters(['web'])).missing).toEqual([]);
      aws.close();
      // Without the option the same environment reaches nothing: the option is what made the difference.
      const fromEnv = createAwsContext({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
      expect(await rejectionOf(fromEnv.ecs().describeClusters(['web']))).toMatchObject({ errorClass: 'transient', reason: 'NetworkError' });
      fromEnv.close();
    });
  });
});

describe('region', () => {
  const noRegion = { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined };

  it('no region anywhere is a StalledError NoRegion', async () => {
    await withEnv(noRegion, () => {
      const aws = createAwsContext({ credentials: CREDENTIALS });
      let error: unknown;
      try {
        aws.ecs();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StalledError);
      expect(error).toMatchObject({ reason: 'NoRegion' });
      expect((error as Error).message).toContain('spec.region');
      aws.close();
    });
  });

  it('takes the manifest region, then the context region, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    await withEnv({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-2' }, async () => {
      expect(resolveRegion('ap-southeast-2', 'us-west-2')).toBe('ap-southeast-2');
      expect(resolveRegion(undefined, 'us-west-2')).toBe('us-west-2');
      expect(resolveRegion(undefined, undefined)).toBe('eu-west-1');
      await withEnv({ AWS_REGION: undefined }, () => expect(resolveRegion(undefined, undefined)).toBe('us-east-2'));
    });
  });

  it('builds one client per region, and the region reaches AWS', async () => {
    s = await awsSim();
    expect(s.aws.ecs()).toBe(s.ecs);
    expect(s.aws.ecs(REGION)).toBe(s.ecs);
    const oregon = s.aws.ecs('us-west-2');
    expect(oregon).not.toBe(s.ecs);
    expect(oregon.region).toBe('us-west-2');
    // The seeded cluster lives in ap-southeast-2: in us-west-2 it is missing.
    expect((await oregon.describeClusters(['web'])).missing).toEqual(['web']);
    expect((await s.ecs.describeClusters(['web'])).missing).toEqual([]);
  });
});

describe('credentials and lifecycle', () => {
  it('uses the default credential chain; with nothing in it, calls fail StalledError NoCredentials', async () => {
    s = await awsSim();
    const { endpoint } = s;
    const empty = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_ROLE_ARN: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONFIG_FILE: '/nonexistent/berth-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/berth-test/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await withEnv(empty, async () => {
      const aws = createAwsContext({ endpoint, region: REGION });
      const error = await rejectionOf(aws.ecs().describeClusters(['web']));
      expect(error).toBeInstanceOf(StalledError);
      expect(error).toMatchObject({ reason: 'NoCredentials', operation: 'ecs:DescribeClusters' });
      aws.close();
    });
    // Nothing was sent without credentials.
    expect(s.sim.callCounts()).toEqual({});

    await withEnv({ ...empty, AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'from-env' }, async () => {
      const aws = createAwsContext({ endpoint, region: REGION });
      expect((await aws.ecs().describeClusters(['web'])).missing).toEqual([]);
      aws.close();
    });
  });

  it('close() is idempotent and ends the context', async () => {
    s = await awsSim();
    s.aws.close();
    s.aws.close();
    expect(() => s?.aws.ecs()).toThrow(/closed/);
  });

  it('refuses nonsense options at construction', () => {
    expect(() => createAwsContext({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => createAwsContext({ requestTimeoutMs: -1 })).toThrow(RangeError);
  });
});
