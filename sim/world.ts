/**
 * What the simulated services share: the simulated time and event queue, the account, the
 * behaviour settings, a seeded random source, a history of notable events, and each other.
 */
import type { Scheduler } from './scheduler.ts';
import type { ServiceName } from './protocol.ts';

/** How the simulated world behaves where AWS takes time or fails. Every duration in seconds. */
export interface SimBehaviour {
  /** From RunTask/scheduling to RUNNING for a Fargate task. @defaultValue 20 */
  readonly fargateStartSeconds: number;
  /** From placement to RUNNING for an EC2 task. @defaultValue 5 */
  readonly ec2StartSeconds: number;
  /** From RUNNING to HEALTHY when the container defines a health check. @defaultValue 10 */
  readonly healthCheckSeconds: number;
  /** An image matching this regular expression never starts: the task stops with CannotPullContainerError. @defaultValue `:broken$` */
  readonly failingImagePattern: string;
  /** How long a failing task takes to stop. @defaultValue 10 */
  readonly taskFailSeconds: number;
  /** How long a stopping task takes (SIGTERM to STOPPED) when nothing else is said. @defaultValue 2 */
  readonly taskStopSeconds: number;
  /** Default boot time of an Auto Scaling instance before it is InService. @defaultValue 180 */
  readonly instanceBootSeconds: number;
  /** A DRAINING service becomes INACTIVE after this. @defaultValue 10 */
  readonly serviceDrainSeconds: number;
}

export const DEFAULT_BEHAVIOUR: SimBehaviour = {
  fargateStartSeconds: 20,
  ec2StartSeconds: 5,
  healthCheckSeconds: 10,
  failingImagePattern: ':broken$',
  taskFailSeconds: 10,
  taskStopSeconds: 2,
  instanceBootSeconds: 180,
  serviceDrainSeconds: 10,
};

/** One notable thing that happened, for tests to assert on after the fact. */
export interface HistoryEvent {
  /** Simulated epoch milliseconds. */
  readonly at: number;
  readonly service: ServiceName;
  /** e.g. `instance-launched`, `instance-terminated`, `task-started`, `task-stopped`, `alarm-state`. */
  readonly type: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The context of one API call. */
export interface OperationContext {
  readonly region: string;
  readonly requestId: string;
}

export type Operation = (input: Record<string, unknown>, ctx: OperationContext) => unknown;

/** A simulated AWS service. */
export interface SimService {
  /** Operation name (as in the API, e.g. `DescribeServices`) → handler returning the output shape. */
  readonly operations: Readonly<Record<string, Operation>>;
  /** Everything the service holds, as plain data, for the admin API's dump. */
  dump(): unknown;
}

/** Ports the services use on each other (ECS ↔ Auto Scaling). */
export interface EcsHooks {
  /**
   * An EC2 instance's ECS agent registers it with a cluster. Returns the container instance ARN,
   * or undefined when the cluster does not exist (the agent retries later, as the real one does).
   */
  registerContainerInstance(instance: {
    readonly region: string;
    readonly cluster: string;
    readonly ec2InstanceId: string;
    readonly instanceType: string;
    readonly availabilityZone: string;
    readonly cpu: number;
    readonly memory: number;
    readonly gpuIds: readonly string[];
  }): string | undefined;
  /** The instance is terminating: its tasks stop and it leaves the cluster. */
  deregisterContainerInstance(region: string, ec2InstanceId: string): void;
  /** How many tasks not yet STOPPED the instance runs. */
  tasksOnInstance(region: string, ec2InstanceId: string): number;
}

/** A resource and its current tags, as a service holds them (the Resource Groups Tagging API's view). */
export interface TaggedResource {
  readonly arn: string;
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

/** Port a service offers the tagging simulator: its live taggable resources in a region, tags read from its own store. */
export interface TagSource {
  taggedResources(region: string): Iterable<TaggedResource>;
}

export interface World {
  readonly scheduler: Scheduler;
  readonly accountId: string;
  readonly defaultRegion: string;
  readonly behaviour: SimBehaviour;
  /** Seeded, so a run is reproducible. Uniform in [0, 1). */
  random(): number;
  record(event: Omit<HistoryEvent, 'at'>): void;
  readonly ecs: EcsHooks;
}

/** mulberry32: a small, fast, seedable generator; plenty for fault injection and IDs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
