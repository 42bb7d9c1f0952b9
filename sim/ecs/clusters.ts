/**
 * Clusters: CreateCluster (idempotent, as in ECS), DescribeClusters, UpdateCluster,
 * UpdateClusterSettings, PutClusterCapacityProviders, DeleteCluster and ListClusters.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Cluster.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateCluster.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutClusterCapacityProviders.html
 */
import type {
  CapacityProviderStrategyItem,
  Cluster,
  ClusterConfiguration,
  ClusterServiceConnectDefaultsRequest,
  ClusterSetting,
  CreateClusterRequest,
  CreateClusterResponse,
  DeleteClusterRequest,
  DeleteClusterResponse,
  DescribeClustersRequest,
  DescribeClustersResponse,
  ExecuteCommandConfiguration,
  Failure,
  ListClustersRequest,
  ListClustersResponse,
  PutClusterCapacityProvidersRequest,
  PutClusterCapacityProvidersResponse,
  UpdateClusterRequest,
  UpdateClusterResponse,
  UpdateClusterSettingsRequest,
  UpdateClusterSettingsResponse,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { clusterArn, isArn } from './arns.ts';
import { checkAssociated, checkProviderExists, readStrategy } from './capacity-providers.ts';
import type { ClusterRecord } from './model.ts';
import { asRequest, checkMaxItems, invalidParameter, paginate, requireList } from './requests.ts';
import type { EcsContext } from './store.ts';
import { findCluster, requireCluster, scopeOf } from './store.ts';
import { readTags, tagsView } from './tags.ts';

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CONTAINER_INSIGHTS: ReadonlySet<string> = new Set(['enabled', 'enhanced', 'disabled']);
const EXEC_LOGGING: ReadonlySet<string> = new Set(['NONE', 'DEFAULT', 'OVERRIDE']);
/** A Cloud Map namespace name: up to 1024 characters, none of > < " / (the API reference). */
const NAMESPACE_NAME = /^[^<>"/]{1,1024}$/;
const NAMESPACE_ARN = /^arn:aws[a-z-]*:servicediscovery:([a-z0-9-]+):(\d{12}):namespace\/ns-[a-z0-9]+$/;

/**
 * Settings from a request over the current ones (a new cluster: Container Insights disabled). The
 * message for a bad value could not be confirmed against AWS.
 */
function readSettings(settings: readonly ClusterSetting[] | undefined, current: readonly ClusterSetting[]): ClusterSetting[] {
  const byName = new Map<string, string>(current.map((s) => [s.name ?? '', s.value ?? '']));
  for (const s of settings ?? []) {
    if (s.name !== 'containerInsights') throw invalidParameter(`Invalid cluster setting name '${String(s.name)}'.`);
    const value = s.value ?? 'disabled';
    if (!CONTAINER_INSIGHTS.has(value)) throw invalidParameter(`Invalid value '${value}' for cluster setting containerInsights: enabled, enhanced or disabled.`);
    byName.set(s.name, value);
  }
  return [...byName].map(([name, value]) => ({ name: name as ClusterSetting['name'], value }));
}

const DEFAULT_SETTINGS: readonly ClusterSetting[] = [{ name: 'containerInsights', value: 'disabled' }];

/**
 * ECS Exec's configuration, checked: a log configuration only with logging OVERRIDE (AWS's
 * message), and OVERRIDE only with one (the API reference; that message is not confirmed).
 */
function checkExecuteCommand(exec: ExecuteCommandConfiguration): void {
  if (exec.logging !== undefined && !EXEC_LOGGING.has(exec.logging)) throw invalidParameter(`Invalid value '${exec.logging}' for logging: NONE, DEFAULT or OVERRIDE.`);
  if (exec.logConfiguration !== undefined && exec.logging !== 'OVERRIDE') throw invalidParameter("You must set logging to 'OVERRIDE' when you supply a log configuration.");
  if (exec.logging === 'OVERRIDE' && exec.logConfiguration === undefined) throw invalidParameter("A log configuration must be supplied when logging is set to 'OVERRIDE'.");
}

/** The configuration from a request over the current one: each part given replaces that part. */
function readConfiguration(config: ClusterConfiguration | undefined, current: ClusterConfiguration | undefined): ClusterConfiguration | undefined {
  if (config === undefined) return current;
  if (config.executeCommandConfiguration) checkExecuteCommand(config.executeCommandConfiguration);
  const merged: ClusterConfiguration = {
    ...current,
    ...(config.executeCommandConfiguration !== undefined && { executeCommandConfiguration: config.executeCommandConfiguration }),
    ...(config.managedStorageConfiguration !== undefined && { managedStorageConfiguration: config.managedStorageConfiguration }),
  };
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/**
 * The Service Connect namespace ARN a request sets: an ARN as given (this account and region), a
 * name as the ARN of the namespace of that name (ECS creates an HTTP namespace for a new name; the
 * simulator mints its ARN), and "" for none. Undefined: the request leaves it as it is. The
 * messages of these checks could not be confirmed against AWS.
 */
function readNamespace(ctx: EcsContext, region: string, defaults: ClusterServiceConnectDefaultsRequest | undefined): { readonly arn: string | undefined } | undefined {
  if (defaults === undefined) return undefined;
  const namespace = defaults.namespace;
  if (namespace === undefined) throw invalidParameter('serviceConnectDefaults.namespace can not be null.');
  if (namespace === '') return { arn: undefined };
  if (isArn(namespace)) {
    const match = NAMESPACE_ARN.exec(namespace);
    if (!match) throw invalidParameter(`Invalid namespace ARN: ${namespace}`);
    if (match[1] !== region || match[2] !== ctx.world.accountId) throw new AwsError('NamespaceNotFoundException', 'The specified namespace wasn\'t found.');
    return { arn: namespace };
  }
  if (!NAMESPACE_NAME.test(namespace)) throw invalidParameter('The namespace name can include up to 1024 characters, and none of >, <, " or /.');
  const key = `${region}/${namespace}`;
  let arn = ctx.store.namespaces.get(key);
  if (arn === undefined) {
    arn = `arn:aws:servicediscovery:${region}:${ctx.world.accountId}:namespace/ns-${ctx.ids.hex(16)}`;
    ctx.store.namespaces.set(key, arn);
  }
  return { arn };
}

/**
 * The capacity providers and default strategy of CreateCluster or PutClusterCapacityProviders:
 * known providers (each once), and a default strategy of associated providers only.
 */
function readCapacityProviders(providers: readonly string[], strategy: readonly CapacityProviderStrategyItem[]): { providers: string[]; strategy: CapacityProviderStrategyItem[] } {
  const unique = [...new Set(providers)];
  for (const name of unique) checkProviderExists(name);
  const filled = readStrategy(strategy);
  checkAssociated(filled, unique);
  return { providers: unique, strategy: filled };
}

/** Creates the cluster, or returns it when it already exists and is ACTIVE. */
export function createCluster(ctx: EcsContext, region: string, req: Partial<CreateClusterRequest>): ClusterRecord {
  const name = req.clusterName ?? 'default';
  if (!NAME.test(name)) throw invalidParameter('Cluster name can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.');
  const existing = findCluster(ctx, region, name);
  if (existing?.status === 'ACTIVE') return existing;
  const settings = readSettings(req.settings, DEFAULT_SETTINGS);
  const configuration = readConfiguration(req.configuration, undefined);
  const capacity = readCapacityProviders(req.capacityProviders ?? [], req.defaultCapacityProviderStrategy ?? []);
  const tags = readTags(req.tags);
  const namespace = readNamespace(ctx, region, req.serviceConnectDefaults);
  const cluster: ClusterRecord = {
    arn: clusterArn(scopeOf(ctx, region), name),
    name,
    region,
    status: 'ACTIVE',
    settings,
    configuration,
    capacityProviders: capacity.providers,
    defaultCapacityProviderStrategy: capacity.strategy,
    serviceConnectNamespace: namespace?.arn,
    tags,
    services: new Map(),
    tasks: new Map(),
    instances: new Map(),
    waitingForCapacity: new Set(),
  };
  ctx.store.clusters.set(cluster.arn, cluster);
  return cluster;
}

/** What DescribeClusters' `include` asks for beyond the cluster itself. */
interface ClusterInclude {
  readonly settings: boolean;
  readonly configurations: boolean;
  readonly tags: boolean;
}

const EVERYTHING: ClusterInclude = { settings: true, configurations: true, tags: true };

/**
 * The cluster with its counts, capacity providers and Service Connect defaults; settings,
 * configuration and tags only when asked for (DescribeClusters' include).
 */
export function clusterView(cluster: ClusterRecord, include: ClusterInclude): Cluster {
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
    ...(include.configurations && cluster.configuration !== undefined && { configuration: structuredClone(cluster.configuration) }),
    status: cluster.status,
    registeredContainerInstancesCount: instances,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: services,
    statistics: [],
    ...(include.tags && { tags: tagsView(cluster.tags) }),
    ...(include.settings && { settings: cluster.settings.map((s) => ({ ...s })) }),
    capacityProviders: [...cluster.capacityProviders],
    defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy.map((i) => ({ ...i })),
    ...(cluster.serviceConnectNamespace !== undefined && { serviceConnectDefaults: { namespace: cluster.serviceConnectNamespace } }),
  };
}

/**
 * PutClusterCapacityProviders may not take a provider away from the cluster while a task runs on
 * it or a service's strategy names it.
 */
function checkRemovable(cluster: ClusterRecord, kept: readonly string[]): void {
  const removed = new Set(cluster.capacityProviders.filter((p) => !kept.includes(p)));
  if (removed.size === 0) return;
  const inUse =
    [...cluster.tasks.values()].some((t) => t.lastStatus !== 'STOPPED' && t.capacityProviderName !== undefined && removed.has(t.capacityProviderName)) ||
    [...cluster.services.values()].some((s) => s.status !== 'INACTIVE' && (s.runtime.capacityProviderStrategy ?? []).some((i) => removed.has(i.capacityProvider ?? '')));
  if (inUse) throw new AwsError('ResourceInUseException', 'The specified capacity provider is in use and cannot be removed.');
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
      return { cluster: clusterView(cluster, EVERYTHING) };
    },
    DescribeClusters: (input, { region }): DescribeClustersResponse => {
      const req = asRequest<DescribeClustersRequest>(input);
      const refs = req.clusters && req.clusters.length > 0 ? req.clusters : ['default'];
      checkMaxItems(refs, 100, 'clusters');
      const include: ClusterInclude = {
        settings: req.include?.includes('SETTINGS') ?? false,
        configurations: req.include?.includes('CONFIGURATIONS') ?? false,
        tags: req.include?.includes('TAGS') ?? false,
      };
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
      return { cluster: clusterView(cluster, EVERYTHING) };
    },
    UpdateCluster: (input, { region }): UpdateClusterResponse => {
      const req = asRequest<UpdateClusterRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      // Check everything first, so that a rejected update changes nothing.
      const settings = readSettings(req.settings, cluster.settings);
      const configuration = readConfiguration(req.configuration, cluster.configuration);
      const namespace = readNamespace(ctx, region, req.serviceConnectDefaults);
      cluster.settings = settings;
      cluster.configuration = configuration;
      if (namespace) cluster.serviceConnectNamespace = namespace.arn;
      return { cluster: clusterView(cluster, { settings: true, configurations: true, tags: false }) };
    },
    UpdateClusterSettings: (input, { region }): UpdateClusterSettingsResponse => {
      const req = asRequest<UpdateClusterSettingsRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      // settings is required (the message is not confirmed).
      cluster.settings = readSettings(requireList(req.settings, 'settings can not be empty.'), cluster.settings);
      return { cluster: clusterView(cluster, { settings: true, configurations: false, tags: false }) };
    },
    PutClusterCapacityProviders: (input, { region }): PutClusterCapacityProvidersResponse => {
      const req = asRequest<PutClusterCapacityProvidersRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      // Both members are required; an empty list is how a caller asks for none. (Messages not confirmed.)
      if (req.capacityProviders === undefined) throw invalidParameter('capacityProviders can not be null.');
      if (req.defaultCapacityProviderStrategy === undefined) throw invalidParameter('defaultCapacityProviderStrategy can not be null.');
      const capacity = readCapacityProviders(req.capacityProviders, req.defaultCapacityProviderStrategy);
      checkRemovable(cluster, capacity.providers);
      cluster.capacityProviders = capacity.providers;
      cluster.defaultCapacityProviderStrategy = capacity.strategy;
      return { cluster: clusterView(cluster, { settings: true, configurations: true, tags: false }) };
    },
    ListClusters: (input, { region }): ListClustersResponse => {
      const req = asRequest<ListClustersRequest>(input);
      const arns = [...ctx.store.clusters.values()].filter((c) => c.region === region && c.status === 'ACTIVE').map((c) => c.arn);
      const page = paginate(arns, req, { defaultSize: 100, maxSize: 100 });
      return { clusterArns: page.items, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },
  };
}
