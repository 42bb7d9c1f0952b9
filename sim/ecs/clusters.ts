/**
 * Clusters: CreateCluster (idempotent, as in ECS), DescribeClusters, DeleteCluster and ListClusters.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Cluster.html
 */
import type {
  Cluster,
  ClusterSetting,
  CreateClusterRequest,
  CreateClusterResponse,
  DeleteClusterRequest,
  DeleteClusterResponse,
  DescribeClustersRequest,
  DescribeClustersResponse,
  Failure,
  ListClustersRequest,
  ListClustersResponse,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { clusterArn, isArn } from './arns.ts';
import type { ClusterRecord } from './model.ts';
import { asRequest, checkMaxItems, invalidParameter, paginate } from './requests.ts';
import type { EcsContext } from './store.ts';
import { findCluster, requireCluster, scopeOf } from './store.ts';
import { readTags, tagsView } from './tags.ts';

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Settings over the default (Container Insights off). */
function readSettings(settings: readonly ClusterSetting[] | undefined): ClusterSetting[] {
  const byName = new Map<string, string>([['containerInsights', 'disabled']]);
  for (const s of settings ?? []) {
    if (s.name !== 'containerInsights') throw invalidParameter(`Invalid cluster setting name '${String(s.name)}'.`);
    byName.set(s.name, s.value ?? 'disabled');
  }
  return [...byName].map(([name, value]) => ({ name: name as ClusterSetting['name'], value }));
}

/** Creates the cluster, or returns it when it already exists and is ACTIVE. */
export function createCluster(ctx: EcsContext, region: string, req: Partial<CreateClusterRequest>): ClusterRecord {
  const name = req.clusterName ?? 'default';
  if (!NAME.test(name)) throw invalidParameter('Cluster name can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.');
  const existing = findCluster(ctx, region, name);
  if (existing?.status === 'ACTIVE') return existing;
  const cluster: ClusterRecord = {
    arn: clusterArn(scopeOf(ctx, region), name),
    name,
    region,
    status: 'ACTIVE',
    settings: readSettings(req.settings),
    tags: readTags(req.tags),
    services: new Map(),
    tasks: new Map(),
    instances: new Map(),
    waitingForCapacity: new Set(),
  };
  ctx.store.clusters.set(cluster.arn, cluster);
  return cluster;
}

/** The cluster with its counts; settings and tags only when asked for (DescribeClusters' include). */
export function clusterView(cluster: ClusterRecord, include: { settings: boolean; tags: boolean }): Cluster {
  let running = 0;
  let pending = 0;
  for (const task of cluster.tasks.values()) {
    if (task.lastStatus === 'RUNNING') running++;
    else if (task.lastStatus !== 'STOPPED') pending++;
  }
  let instances = 0;
  for (const ci of cluster.instances.values()) if (ci.status !== 'INACTIVE') instances++;
  let services = 0;
  for (const s of cluster.services.values()) if (s.status === 'ACTIVE') services++;
  return {
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    status: cluster.status,
    registeredContainerInstancesCount: instances,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: services,
    statistics: [],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
    ...(include.settings && { settings: cluster.settings }),
    ...(include.tags && { tags: tagsView(cluster.tags) }),
  };
}

/** DeleteCluster refuses while the cluster holds services, container instances or tasks. */
function checkEmpty(cluster: ClusterRecord): void {
  if ([...cluster.services.values()].some((s) => s.status !== 'INACTIVE')) {
    throw new AwsError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
  }
  if ([...cluster.instances.values()].some((ci) => ci.status !== 'INACTIVE')) {
    throw new AwsError('ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
  }
  if ([...cluster.tasks.values()].some((t) => t.lastStatus !== 'STOPPED')) {
    throw new AwsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
  }
}

export function clusterOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    CreateCluster: (input, { region }): CreateClusterResponse => {
      const cluster = createCluster(ctx, region, asRequest<CreateClusterRequest>(input));
      return { cluster: clusterView(cluster, { settings: true, tags: true }) };
    },
    DescribeClusters: (input, { region }): DescribeClustersResponse => {
      const req = asRequest<DescribeClustersRequest>(input);
      const refs = req.clusters && req.clusters.length > 0 ? req.clusters : ['default'];
      checkMaxItems(refs, 100, 'clusters');
      const include = { settings: req.include?.includes('SETTINGS') ?? false, tags: req.include?.includes('TAGS') ?? false };
      const clusters: Cluster[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const cluster = findCluster(ctx, region, ref);
        if (cluster) clusters.push(clusterView(cluster, include));
        else failures.push({ arn: isArn(ref) ? ref : clusterArn(scopeOf(ctx, region), ref), reason: 'MISSING' });
      }
      return { clusters, failures };
    },
    DeleteCluster: (input, { region }): DeleteClusterResponse => {
      const req = asRequest<DeleteClusterRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      checkEmpty(cluster);
      cluster.status = 'INACTIVE';
      return { cluster: clusterView(cluster, { settings: true, tags: true }) };
    },
    ListClusters: (input, { region }): ListClustersResponse => {
      const req = asRequest<ListClustersRequest>(input);
      const arns = [...ctx.store.clusters.values()].filter((c) => c.region === region && c.status === 'ACTIVE').map((c) => c.arn);
      const page = paginate(arns, req, { defaultSize: 100, maxSize: 100 });
      return { clusterArns: page.items, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },
  };
}
