/** A simulator and an AWS context pointed at it, for the tests of Berth's AWS boundary. */
import { createAwsContext } from '../../controller/aws/aws-context.ts';
import type { AwsContext, AwsContextOptions } from '../../controller/aws/aws-context.ts';
import type { EcsPort } from '../../controller/aws/ports.ts';
import { startSimulator } from '../../sim/simulator.ts';
import type { Simulator } from '../../sim/simulator.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'ap-southeast-2';
export const SUBNETS = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0a1b2c3d'] } };

/** Static credentials: the simulator accepts any signature, and tests must not read ~/.aws. */
export const CREDENTIALS = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };

export interface AwsSim {
  readonly sim: Simulator;
  readonly endpoint: string;
  readonly aws: AwsContext;
  readonly ecs: EcsPort;
  close(): Promise<void>;
}

/** A simulator seeded with `clusters` and a context (explicit endpoint, static credentials) on it. */
export async function awsSim(options: { clusters?: readonly string[]; context?: AwsContextOptions; randomSeed?: number } = {}): Promise<AwsSim> {
  const { sim, endpoint, close } = await startSimulator({
    ...(options.randomSeed !== undefined && { randomSeed: options.randomSeed }),
    seed: { accountId: ACCOUNT, region: REGION, clusters: (options.clusters ?? ['web']).map((name) => ({ name })), autoScalingGroups: [] },
  });
  const aws = createAwsContext({ endpoint, region: REGION, credentials: CREDENTIALS, ...options.context });
  return {
    sim,
    endpoint,
    aws,
    ecs: aws.ecs(),
    async close() {
      aws.close();
      await close();
    },
  };
}

/** The simulator's counts (`service → operation → n`) flattened to the context counter's `service:Operation` keys. */
export function simCalls(counts: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [service, operations] of Object.entries(counts)) {
    for (const [operation, n] of Object.entries(operations)) out[`${service}:${operation}`] = n;
  }
  return out;
}

/** Runs `fn` with the environment variables set (undefined: unset), then puts them back as they were. */
export async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** The rejection of `promise` (the test fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (e: unknown) => e,
  );
}

/** A Fargate task definition input of one container. */
export function fargateTaskDefinition(family: string, image = 'nginx:1.27') {
  return {
    family,
    networkMode: 'awsvpc' as const,
    requiresCompatibilities: ['FARGATE' as const],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'app', image, portMappings: [{ containerPort: 8080 }] }],
  };
}
