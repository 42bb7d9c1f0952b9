/**
 * The ECS state and its indexes, with the lookups every operation shares: a cluster, service, task,
 * container instance or task definition by name, ID or ARN, failing as AWS does.
 */
import { AwsError } from '../errors.ts';
import type { World } from '../world.ts';
import { clusterArn, Ids, isArn, parseArn, refParts, taskDefinitionArn } from './arns.ts';
import type { Scope } from './arns.ts';
import type { ClusterRecord, ContainerInstanceRecord, ServiceRecord, TaskDefinitionRecord, TaskRecord } from './model.ts';

/** Revisions of one task definition family in one region, revision 1 first. */
export interface FamilyRecord {
  readonly name: string;
  readonly region: string;
  readonly revisions: TaskDefinitionRecord[];
}

export class EcsStore {
  /** By cluster ARN (the ARN holds the region). */
  readonly clusters = new Map<string, ClusterRecord>();
  /** By task definition ARN. */
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord>();
  /** By `region/family`, in registration order. */
  readonly families = new Map<string, FamilyRecord>();
  /** Container instances by `region/ec2InstanceId` (the Auto Scaling side knows instances by EC2 ID). */
  readonly instancesByEc2Id = new Map<string, ContainerInstanceRecord>();
  /**
   * Cloud Map namespace ARNs by `region/name`: the namespaces ECS created for a cluster's Service
   * Connect defaults (the simulator has no Cloud Map; a name maps to the same ARN every time).
   */
  readonly namespaces = new Map<string, string>();
}

/** What each part of the simulated ECS works with. */
export interface EcsContext {
  readonly world: World;
  readonly store: EcsStore;
  readonly ids: Ids;
}

export function createContext(world: World): EcsContext {
  return { world, store: new EcsStore(), ids: new Ids(() => world.random()) };
}

export function now(ctx: EcsContext): number {
  return ctx.world.scheduler.now;
}

export function scopeOf(ctx: EcsContext, region: string): Scope {
  return { region, account: ctx.world.accountId };
}

/** The cluster a request names (`default` when it names none), in the request's region; undefined if none. */
export function findCluster(ctx: EcsContext, region: string, ref: string | undefined): ClusterRecord | undefined {
  const name = ref ?? 'default';
  const arn = isArn(name) ? name : clusterArn(scopeOf(ctx, region), name);
  return ctx.store.clusters.get(arn);
}

/** The ACTIVE cluster a request names, or ClusterNotFoundException as AWS answers. */
export function requireCluster(ctx: EcsContext, region: string, ref: string | undefined): ClusterRecord {
  const cluster = findCluster(ctx, region, ref);
  if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
  if (cluster.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'The referenced cluster was inactive.');
  return cluster;
}

/** A service of the cluster by name or ARN (an ARN naming another cluster finds nothing). */
export function findService(cluster: ClusterRecord, ref: string): ServiceRecord | undefined {
  const { id, cluster: arnCluster } = refParts(ref);
  if (arnCluster !== undefined && arnCluster !== cluster.name) return undefined;
  return cluster.services.get(id);
}

/** A service that exists (any status), or ServiceNotFoundException. */
export function requireService(cluster: ClusterRecord, ref: string | undefined): ServiceRecord {
  const service = ref === undefined ? undefined : findService(cluster, ref);
  if (!service) throw new AwsError('ServiceNotFoundException', 'Service not found.');
  return service;
}

/** A task of the cluster by ID or ARN. */
export function findTask(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
  const { id, cluster: arnCluster } = refParts(ref);
  if (arnCluster !== undefined && arnCluster !== cluster.name) return undefined;
  return cluster.tasks.get(id);
}

/** A container instance of the cluster by ID or ARN. */
export function findInstance(cluster: ClusterRecord, ref: string): ContainerInstanceRecord | undefined {
  const { id, cluster: arnCluster } = refParts(ref);
  if (arnCluster !== undefined && arnCluster !== cluster.name) return undefined;
  return cluster.instances.get(id);
}

/**
 * A task definition from a family (its latest ACTIVE revision), `family:revision`, or an ARN;
 * undefined when there is none.
 */
export function findTaskDefinition(ctx: EcsContext, region: string, ref: string): TaskDefinitionRecord | undefined {
  if (isArn(ref)) return parseArn(ref) ? ctx.store.taskDefinitions.get(ref) : undefined;
  const colon = ref.lastIndexOf(':');
  if (colon > 0) {
    const revision = Number(ref.slice(colon + 1));
    if (!Number.isInteger(revision)) return undefined;
    return ctx.store.taskDefinitions.get(taskDefinitionArn(scopeOf(ctx, region), ref.slice(0, colon), revision));
  }
  const family = ctx.store.families.get(`${region}/${ref}`);
  if (!family) return undefined;
  for (let i = family.revisions.length - 1; i >= 0; i--) {
    const td = family.revisions[i];
    if (td?.status === 'ACTIVE') return td;
  }
  return undefined;
}
