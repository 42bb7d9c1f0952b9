/**
 * Services: CreateService, UpdateService, DescribeServices, ListServices and DeleteService, with
 * AWS's checks; what happens over time is the service scheduler's (service-scheduler.ts).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
 */
import type {
  CapacityProviderStrategyItem,
  CreateServiceRequest,
  CreateServiceResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  Deployment,
  DeploymentConfiguration,
  DescribeServicesRequest,
  DescribeServicesResponse,
  ListServicesRequest,
  ListServicesResponse,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  Service,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { serviceArn } from './arns.ts';
import { checkServiceStrategy, launchTypeOfStrategy, readPlatformVersion, readStrategy, resolvePlatformVersion, sameStrategy } from './capacity-providers.ts';
import { ExpressionError, parseExpression } from './expressions.ts';
import type { ClusterRecord, DeploymentRecord, DeploymentSettings, LaunchType, ServiceRecord, ServiceRuntime, TaskDefinitionRecord } from './model.ts';
import { asRequest, checkMaxItems, describeEach, invalidParameter, paginate, requireList, requireString } from './requests.ts';
import type { ServiceScheduler } from './service-scheduler.ts';
import type { EcsContext } from './store.ts';
import { findService, findTaskDefinition, now, requireCluster, requireService, scopeOf } from './store.ts';
import { readTags, tagsView } from './tags.ts';

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const STRATEGY_FIELDS: Readonly<Record<string, (field: string | undefined) => boolean>> = {
  binpack: (f) => f === 'cpu' || f === 'memory' || f === 'CPU' || f === 'MEMORY',
  spread: (f) => f === 'instanceId' || f === 'host' || (f?.startsWith('attribute:') ?? false),
  random: (f) => f === undefined,
};

/** A task definition a service can run: it exists and is ACTIVE. */
function runnableTaskDefinition(ctx: EcsContext, region: string, ref: string | undefined): TaskDefinitionRecord {
  const td = findTaskDefinition(ctx, region, requireString(ref, 'TaskDefinition can not be blank.'));
  if (!td) throw new AwsError('ClientException', 'TaskDefinition not found.');
  if (td.status !== 'ACTIVE') throw new AwsError('ClientException', 'TaskDefinition is inactive');
  return td;
}

/** AWS's answer to an UpdateService that changes the capacity provider strategy without forceNewDeployment. */
const STRATEGY_NEEDS_DEPLOYMENT =
  'When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.';

function copyStrategy(strategy: readonly CapacityProviderStrategyItem[]): CapacityProviderStrategyItem[] {
  return strategy.map((i) => ({ ...i }));
}

/**
 * Where a new service's tasks run: its launch type; or its capacity provider strategy; or, given
 * neither, the cluster's default strategy if it has one, else EC2. A strategy's providers must be
 * associated with the cluster; the platform version is Fargate's only.
 */
function readRuntime(cluster: ClusterRecord, req: Partial<CreateServiceRequest>): ServiceRuntime {
  if (req.launchType !== undefined && req.launchType !== 'EC2' && req.launchType !== 'FARGATE') {
    throw invalidParameter(`launchType ${req.launchType} is not supported by this simulator (EC2 and FARGATE are).`);
  }
  const given = req.capacityProviderStrategy ?? [];
  if (req.launchType !== undefined && given.length > 0) {
    throw invalidParameter('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  }
  const strategy = given.length > 0 ? readStrategy(given) : req.launchType === undefined && cluster.defaultCapacityProviderStrategy.length > 0 ? copyStrategy(cluster.defaultCapacityProviderStrategy) : undefined;
  if (strategy) {
    checkServiceStrategy(cluster, strategy);
    const launchType = launchTypeOfStrategy(strategy);
    return { launchType, capacityProviderStrategy: strategy, platformVersion: readPlatformVersion(req.platformVersion, launchType) };
  }
  const launchType: LaunchType = req.launchType ?? 'EC2';
  return { launchType, capacityProviderStrategy: undefined, platformVersion: readPlatformVersion(req.platformVersion, launchType) };
}

/**
 * Where an updated service's tasks run. A non-empty strategy replaces the launch type or the
 * current strategy; an empty one takes a service back from its strategy to the launch type its
 * providers run on. Either change needs forceNewDeployment, as AWS demands. A platform version
 * given replaces the current one (Fargate only).
 */
function updateRuntime(cluster: ClusterRecord, service: ServiceRecord, req: Partial<UpdateServiceRequest>): ServiceRuntime {
  const current = service.runtime;
  let { launchType, capacityProviderStrategy: strategy } = current;
  let strategyChanged = false;
  if (req.capacityProviderStrategy !== undefined) {
    if (req.capacityProviderStrategy.length === 0) {
      strategyChanged = strategy !== undefined;
      strategy = undefined;
    } else {
      const next = readStrategy(req.capacityProviderStrategy);
      checkServiceStrategy(cluster, next);
      strategyChanged = !sameStrategy(next, strategy) || strategy === undefined;
      strategy = next;
      launchType = launchTypeOfStrategy(next);
    }
  }
  if (strategyChanged && req.forceNewDeployment !== true) throw invalidParameter(STRATEGY_NEEDS_DEPLOYMENT);
  const platformVersion =
    req.platformVersion !== undefined ? readPlatformVersion(req.platformVersion, launchType) : launchType === 'FARGATE' ? (current.platformVersion ?? 'LATEST') : undefined;
  if (!strategyChanged && launchType === current.launchType && platformVersion === current.platformVersion) return current;
  return { launchType, capacityProviderStrategy: strategy, platformVersion };
}

/** A service or deployment's launch type or strategy, as DescribeServices shows them (never both). */
function runtimeView(runtime: ServiceRuntime, platformVersion: string | undefined): Pick<Service, 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'platformFamily'> {
  return {
    ...(runtime.capacityProviderStrategy ? { capacityProviderStrategy: copyStrategy(runtime.capacityProviderStrategy) } : { launchType: runtime.launchType }),
    ...(platformVersion !== undefined && { platformVersion, platformFamily: 'Linux' }),
  };
}

/** The task definition suits the launch type, and the network configuration suits its network mode. */
function checkTaskDefinitionFits(td: TaskDefinitionRecord, launchType: LaunchType, network: NetworkConfiguration | undefined): void {
  if (!(td.body.compatibilities ?? []).includes(launchType)) throw invalidParameter(`Task definition does not support launch_type ${launchType}.`);
  if (td.networkMode === 'awsvpc') {
    const subnets = network?.awsvpcConfiguration?.subnets;
    if (!network?.awsvpcConfiguration) throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    if (!subnets || subnets.length === 0) throw invalidParameter('subnets can not be empty.');
  } else if (network?.awsvpcConfiguration) {
    throw invalidParameter('Network Configuration is not valid for the given networkMode of this task definition.');
  }
}

/** Deployment settings: the request's, over the current ones (defaults 200 % / 100 %, no circuit breaker). */
function readDeploymentSettings(config: DeploymentConfiguration | undefined, current: DeploymentSettings): DeploymentSettings {
  const settings: DeploymentSettings = {
    maximumPercent: config?.maximumPercent ?? current.maximumPercent,
    minimumHealthyPercent: config?.minimumHealthyPercent ?? current.minimumHealthyPercent,
    circuitBreaker: {
      enable: config?.deploymentCircuitBreaker?.enable ?? current.circuitBreaker.enable,
      rollback: config?.deploymentCircuitBreaker?.rollback ?? current.circuitBreaker.rollback,
    },
    alarms: config?.alarms
      ? { alarmNames: [...(config.alarms.alarmNames ?? [])], enable: config.alarms.enable ?? false, rollback: config.alarms.rollback ?? false }
      : current.alarms,
  };
  const { maximumPercent: max, minimumHealthyPercent: min } = settings;
  if (!Number.isInteger(min) || min < 0 || min > 100) throw invalidParameter('minimumHealthyPercent must be between 0 and 100.');
  if (!Number.isInteger(max) || max < 100) throw invalidParameter('maximumPercent must be at least 100.');
  return settings;
}

const DEFAULT_SETTINGS: DeploymentSettings = {
  maximumPercent: 200,
  minimumHealthyPercent: 100,
  circuitBreaker: { enable: false, rollback: false },
  alarms: { alarmNames: [], enable: false, rollback: false },
};

function checkPlacement(constraints: readonly PlacementConstraint[], strategy: readonly PlacementStrategy[], launchType: LaunchType): void {
  if (launchType === 'FARGATE' && (constraints.length > 0 || strategy.length > 0)) {
    throw invalidParameter('Task placement constraints and strategies are not supported with the FARGATE launch type.');
  }
  if (constraints.length > 10) throw invalidParameter('placementConstraints can have at most 10 items.');
  if (strategy.length > 5) throw invalidParameter('placementStrategy can have at most 5 items.');
  for (const c of constraints) {
    if (c.type === 'distinctInstance') {
      if (c.expression) throw invalidParameter('An expression is not valid for the distinctInstance placement constraint.');
    } else if (c.type === 'memberOf') {
      try {
        parseExpression(requireString(c.expression, 'A memberOf placement constraint requires an expression.'));
      } catch (err) {
        if (err instanceof ExpressionError) throw invalidParameter(`Invalid placement constraint expression '${c.expression ?? ''}': ${err.message}`);
        throw err;
      }
    } else {
      throw invalidParameter(`Invalid placement constraint type '${String(c.type)}'.`);
    }
  }
  for (const s of strategy) {
    const fieldOk = STRATEGY_FIELDS[s.type ?? ''];
    if (!fieldOk) throw invalidParameter(`Invalid placement strategy type '${String(s.type)}'.`);
    if (!fieldOk(s.field)) throw invalidParameter(`Invalid field '${s.field ?? ''}' for placement strategy type '${String(s.type)}'.`);
  }
}

function checkDesiredCount(count: number | undefined): void {
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw invalidParameter('desiredCount must be 0 or more.');
}

interface TaskCounts {
  running: number;
  pending: number;
  alive: number;
}

/** Running, pending and not-stopping tasks per deployment, in one pass over the service's tasks. */
function countByDeployment(service: ServiceRecord): Map<string | undefined, TaskCounts> {
  const counts = new Map<string | undefined, TaskCounts>();
  for (const task of service.tasks) {
    if (task.desiredStatus !== 'RUNNING') continue;
    let c = counts.get(task.deploymentId);
    if (!c) counts.set(task.deploymentId, (c = { running: 0, pending: 0, alive: 0 }));
    c.alive++;
    if (task.lastStatus === 'RUNNING') c.running++;
    else c.pending++;
  }
  return counts;
}

function deploymentView(service: ServiceRecord, d: DeploymentRecord, counts: TaskCounts | undefined): Deployment {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition.arn,
    // An older deployment wants what it still runs; it shrinks as it drains.
    desiredCount: d.status === 'PRIMARY' ? service.desiredCount : (counts?.alive ?? 0),
    pendingCount: counts?.pending ?? 0,
    runningCount: counts?.running ?? 0,
    failedTasks: d.failedTasks,
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.updatedAt),
    // A deployment shows the platform version its tasks run on: LATEST resolved.
    ...runtimeView(d.runtime, resolvePlatformVersion(d.runtime.platformVersion)),
    ...(d.networkConfiguration && { networkConfiguration: d.networkConfiguration }),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

/** A service as DescribeServices returns it. */
export function serviceView(service: ServiceRecord, includeTags: boolean): Service {
  const counts = countByDeployment(service);
  let running = 0;
  let pending = 0;
  for (const c of counts.values()) {
    running += c.running;
    pending += c.pending;
  }
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const { maximumPercent, minimumHealthyPercent, circuitBreaker, alarms } = service.deploymentSettings;
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.cluster.arn,
    loadBalancers: service.loadBalancers,
    serviceRegistries: service.serviceRegistries,
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: running,
    pendingCount: pending,
    ...runtimeView(service.runtime, service.runtime.platformVersion),
    ...(primary && { taskDefinition: primary.taskDefinition.arn }),
    // DescribeServices returns the alarms block even when it watches nothing.
    deploymentConfiguration: { deploymentCircuitBreaker: { ...circuitBreaker }, maximumPercent, minimumHealthyPercent, alarms: { ...alarms, alarmNames: [...alarms.alarmNames] } },
    availabilityZoneRebalancing: service.availabilityZoneRebalancing,
    deployments: service.deployments.map((d) => deploymentView(service, d, counts.get(d.id))),
    events: service.events.map((e) => ({ id: e.id, createdAt: new Date(e.createdAt), message: e.message })),
    createdAt: new Date(service.createdAt),
    placementConstraints: service.placementConstraints,
    placementStrategy: service.placementStrategy,
    ...(service.networkConfiguration && { networkConfiguration: service.networkConfiguration }),
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    createdBy: service.createdBy,
    enableECSManagedTags: service.enableECSManagedTags,
    propagateTags: service.propagateTags,
    enableExecuteCommand: service.enableExecuteCommand,
    ...(includeTags && { tags: tagsView(service.tags) }),
  };
}

export function serviceOperations(ctx: EcsContext, scheduler: ServiceScheduler): Record<string, Operation> {
  return {
    CreateService: (input, { region }): CreateServiceResponse => {
      const req = asRequest<CreateServiceRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const name = requireString(req.serviceName, 'serviceName can not be blank.');
      if (!NAME.test(name)) throw invalidParameter('Service name can contain up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.');
      const existing = cluster.services.get(name);
      if (existing?.status === 'ACTIVE') throw invalidParameter('Creation of service was not idempotent.');
      if (existing?.status === 'DRAINING') throw invalidParameter('Unable to Start a service that is still Draining.');
      if (req.schedulingStrategy === 'DAEMON') throw invalidParameter('The DAEMON scheduling strategy is not supported by this simulator.');
      const td = runnableTaskDefinition(ctx, region, req.taskDefinition);
      const runtime = readRuntime(cluster, req);
      checkTaskDefinitionFits(td, runtime.launchType, req.networkConfiguration);
      const settings = readDeploymentSettings(req.deploymentConfiguration, DEFAULT_SETTINGS);
      checkPlacement(req.placementConstraints ?? [], req.placementStrategy ?? [], runtime.launchType);
      checkDesiredCount(req.desiredCount);
      const tags = readTags(req.tags);
      // Everything checked: the service exists, and its first deployment starts.
      const service: ServiceRecord = {
        arn: serviceArn(scopeOf(ctx, region), cluster.name, name),
        name,
        cluster,
        status: 'ACTIVE',
        desiredCount: req.desiredCount ?? 0,
        runtime,
        createdAt: now(ctx),
        createdBy: `arn:aws:iam::${ctx.world.accountId}:root`,
        deploymentSettings: settings,
        placementConstraints: req.placementConstraints ?? [],
        placementStrategy: req.placementStrategy ?? [],
        networkConfiguration: req.networkConfiguration,
        healthCheckGracePeriodSeconds: req.healthCheckGracePeriodSeconds ?? 0,
        propagateTags: req.propagateTags ?? 'NONE',
        enableECSManagedTags: req.enableECSManagedTags ?? false,
        enableExecuteCommand: req.enableExecuteCommand ?? false,
        loadBalancers: req.loadBalancers ?? [],
        serviceRegistries: req.serviceRegistries ?? [],
        availabilityZoneRebalancing: req.availabilityZoneRebalancing ?? 'ENABLED',
        deployments: [],
        lastCompleted: undefined,
        events: [],
        tasks: new Set(),
        passAt: undefined,
        steady: false,
        lastPlacementFailure: undefined,
        deletedAt: undefined,
        tags,
      };
      // A replaced INACTIVE service of the same name goes; the new one lists last.
      cluster.services.delete(name);
      cluster.services.set(name, service);
      scheduler.createDeployment(service, td, req.networkConfiguration);
      return { service: serviceView(service, false) };
    },
    UpdateService: (input, { region }): UpdateServiceResponse => {
      const req = asRequest<UpdateServiceRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const service = requireService(cluster, req.service);
      if (service.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service not active.');
      const primary = service.deployments[0];
      // Check everything first, so that a rejected update changes nothing.
      const td = req.taskDefinition !== undefined ? runnableTaskDefinition(ctx, region, req.taskDefinition) : primary?.taskDefinition;
      if (!td) throw new AwsError('ClientException', 'TaskDefinition not found.');
      const network = req.networkConfiguration ?? service.networkConfiguration;
      const runtime = updateRuntime(cluster, service, req);
      checkTaskDefinitionFits(td, runtime.launchType, network);
      const settings = readDeploymentSettings(req.deploymentConfiguration, service.deploymentSettings);
      const constraints = req.placementConstraints ?? service.placementConstraints;
      const strategy = req.placementStrategy ?? service.placementStrategy;
      checkPlacement(constraints, strategy, runtime.launchType);
      checkDesiredCount(req.desiredCount);
      // A new task definition, network configuration or platform version, or forceNewDeployment
      // (which a new capacity provider strategy needs), start a deployment (of an ACTIVE task
      // definition only); a desired count alone does not.
      const networkChanged = JSON.stringify(network) !== JSON.stringify(service.networkConfiguration);
      const platformChanged = runtime.platformVersion !== service.runtime.platformVersion;
      const redeploy = td !== primary?.taskDefinition || req.forceNewDeployment === true || networkChanged || platformChanged;
      if (redeploy && td.status !== 'ACTIVE') throw new AwsError('ClientException', 'TaskDefinition is inactive');
      service.desiredCount = req.desiredCount ?? service.desiredCount;
      service.runtime = runtime;
      service.deploymentSettings = settings;
      service.placementConstraints = constraints;
      service.placementStrategy = strategy;
      service.networkConfiguration = network;
      service.healthCheckGracePeriodSeconds = req.healthCheckGracePeriodSeconds ?? service.healthCheckGracePeriodSeconds;
      service.enableExecuteCommand = req.enableExecuteCommand ?? service.enableExecuteCommand;
      service.propagateTags = req.propagateTags ?? service.propagateTags;
      service.enableECSManagedTags = req.enableECSManagedTags ?? service.enableECSManagedTags;
      service.loadBalancers = req.loadBalancers ?? service.loadBalancers;
      service.serviceRegistries = req.serviceRegistries ?? service.serviceRegistries;
      service.availabilityZoneRebalancing = req.availabilityZoneRebalancing ?? service.availabilityZoneRebalancing;
      if (redeploy) scheduler.createDeployment(service, td, network);
      else scheduler.requestPass(service);
      return { service: serviceView(service, false) };
    },
    DescribeServices: (input, { region }): DescribeServicesResponse => {
      const req = asRequest<DescribeServicesRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const refs = requireList(req.services, 'Services cannot be empty.');
      checkMaxItems(refs, 10, 'service names');
      const includeTags = req.include?.includes('TAGS') ?? false;
      const { found, failures } = describeEach(refs, (ref) => findService(cluster, ref), (service) => serviceView(service, includeTags), (name) => serviceArn(scopeOf(ctx, region), cluster.name, name));
      return { services: found, failures };
    },
    ListServices: (input, { region }): ListServicesResponse => {
      const req = asRequest<ListServicesRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const arns: string[] = [];
      for (const service of cluster.services.values()) {
        if (service.status === 'INACTIVE') continue;
        // A service on a capacity provider strategy has no launch type to match.
        if (req.launchType !== undefined && (service.runtime.capacityProviderStrategy !== undefined || service.runtime.launchType !== req.launchType)) continue;
        if (req.schedulingStrategy === 'DAEMON') continue;
        arns.push(service.arn);
      }
      const page = paginate(arns, req, { defaultSize: 10, maxSize: 100 });
      return { serviceArns: page.items, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },
    DeleteService: (input, { region }): DeleteServiceResponse => {
      const req = asRequest<DeleteServiceRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const service = requireService(cluster, req.service);
      if (service.status === 'INACTIVE') throw new AwsError('ServiceNotFoundException', 'Service not found.');
      if (service.status === 'DRAINING') throw new AwsError('ServiceNotActiveException', 'Service not active.');
      if (req.force !== true && service.desiredCount > 0) throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
      scheduler.drainService(service);
      return { service: serviceView(service, false) };
    },
  };
}
