/**
 * The ECS service of a Service manifest: the fields Berth manages, their canonical form, and the
 * diff against DescribeServices split into what UpdateService can change and what it cannot.
 * Pure: no I/O. The task definition is compared separately, by content (task-definition.ts).
 *
 * Classification follows the UpdateService API reference
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html):
 * - UpdateService takes no serviceName, cluster, schedulingStrategy or launchType: a change to
 *   any of them (launchType to another launchType) needs a new service. So does a change of the
 *   deployment controller type (Berth does not migrate controllers).
 * - Moving between a launchType and a capacityProviderStrategy (either way), or changing the
 *   strategy, is in place, but the running tasks move only with forceNewDeployment.
 * - Under the CODE_DEPLOY controller UpdateService changes only desiredCount,
 *   deploymentConfiguration, healthCheckGracePeriodSeconds, placement constraints and strategy,
 *   enableECSManagedTags and propagateTags; under EXTERNAL the same without
 *   deploymentConfiguration. Anything else needs a CodeDeploy deployment or a task set, which
 *   Berth does not make: it is reported as replaceRequired.
 */
import type { CreateServiceCommandInput, Service, UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import type { FieldChange } from '../../engine/plan-types.ts';
import type { ServiceManifest } from '../../manifests/types.ts';
import { diffFields } from '../field-diff.ts';
import type { FieldDiffOptions, PlainObject } from '../field-diff.ts';
import { nameFromArn, normalizeCapacityProviderStrategy, num, prune, record, records, sortByKeys, sorted, str, strings, unlessDefault } from '../normalize.ts';

export interface DesiredServiceOptions {
  /**
   * Another actor (a QueueScaler) owns `desiredCount`: Berth neither sets nor diffs it.
   * @defaultValue false
   */
  readonly desiredCountOwnedElsewhere?: boolean;
}

/**
 * The CreateService input of the fields Berth manages. `taskDefinition` is not among them: it is
 * registered and set by apply, and compared by content. Tags are not either: ownership and the
 * manifest's tags are handled by the caller.
 */
export type DesiredService = Omit<CreateServiceCommandInput, 'taskDefinition' | 'tags'> & {
  readonly cluster: string;
  readonly serviceName: string;
};

/** The canonical form of a service's managed fields: plain JSON. */
export type NormalizedService = PlainObject;

/** What differs between the desired and the observed service. */
export interface ServiceDiff {
  /** Changes UpdateService can make. */
  inPlace: FieldChange[];
  /** Changes UpdateService cannot make: the service would have to be created again. */
  replaceRequired: FieldChange[];
  /** The in-place changes move tasks between launch types or capacity providers: UpdateService needs forceNewDeployment. */
  forceNewDeployment: boolean;
}

/** The fields of a Service manifest that Berth sets on the ECS service (CreateService's shape). */
export function desiredService(manifest: ServiceManifest, options: DesiredServiceOptions = {}): DesiredService {
  const s = manifest.spec;
  return {
    cluster: s.cluster,
    serviceName: s.serviceName ?? manifest.metadata.name,
    ...(s.desiredCount !== undefined && options.desiredCountOwnedElsewhere !== true && { desiredCount: s.desiredCount }),
    ...(s.launchType !== undefined && { launchType: s.launchType }),
    ...(s.capacityProviderStrategy !== undefined && { capacityProviderStrategy: s.capacityProviderStrategy }),
    ...(s.platformVersion !== undefined && { platformVersion: s.platformVersion }),
    ...(s.networkConfiguration !== undefined && { networkConfiguration: s.networkConfiguration }),
    ...(s.loadBalancers !== undefined && { loadBalancers: s.loadBalancers }),
    ...(s.serviceRegistries !== undefined && { serviceRegistries: s.serviceRegistries }),
    ...(s.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds }),
    ...(s.deploymentConfiguration !== undefined && { deploymentConfiguration: s.deploymentConfiguration }),
    ...(s.deploymentController !== undefined && { deploymentController: s.deploymentController }),
    ...(s.placementConstraints !== undefined && { placementConstraints: s.placementConstraints }),
    ...(s.placementStrategy !== undefined && { placementStrategy: s.placementStrategy }),
    ...(s.schedulingStrategy !== undefined && { schedulingStrategy: s.schedulingStrategy }),
    ...(s.enableExecuteCommand !== undefined && { enableExecuteCommand: s.enableExecuteCommand }),
    ...(s.enableECSManagedTags !== undefined && { enableECSManagedTags: s.enableECSManagedTags }),
    ...(s.propagateTags !== undefined && { propagateTags: s.propagateTags }),
    ...(s.availabilityZoneRebalancing !== undefined && { availabilityZoneRebalancing: s.availabilityZoneRebalancing }),
  };
}

function normalizeNetwork(value: unknown): PlainObject | undefined {
  if (value === undefined) return undefined;
  const vpc = record(record(value)['awsvpcConfiguration']);
  return {
    awsvpcConfiguration: {
      subnets: sorted(strings(vpc['subnets'])),
      securityGroups: sorted(strings(vpc['securityGroups'])),
      assignPublicIp: str(vpc['assignPublicIp']) ?? 'DISABLED',
    },
  };
}

function normalizeDeploymentConfiguration(value: unknown, daemon: boolean): PlainObject {
  const dc = record(value);
  const breaker = record(dc['deploymentCircuitBreaker']);
  const alarms = dc['alarms'] === undefined ? undefined : record(dc['alarms']);
  const strategy = str(dc['strategy']) ?? 'ROLLING';
  const alarmNames = sorted(strings(alarms?.['alarmNames']));
  return {
    // DAEMON services default to 100 % / 0 %, replica services to 200 % / 100 %.
    maximumPercent: num(dc['maximumPercent']) ?? (daemon ? 100 : 200),
    minimumHealthyPercent: num(dc['minimumHealthyPercent']) ?? (daemon ? 0 : 100),
    deploymentCircuitBreaker: { enable: breaker['enable'] === true, rollback: breaker['rollback'] === true },
    // DescribeServices returns { alarmNames: [], enable: false, rollback: false } for "no alarms".
    alarms:
      alarms === undefined || (alarms['enable'] !== true && alarms['rollback'] !== true && (alarmNames?.length ?? 0) === 0)
        ? undefined
        : { alarmNames, enable: alarms['enable'] === true, rollback: alarms['rollback'] === true },
    strategy,
    // The bake time is a blue/green setting; rolling deployments have none.
    bakeTimeInMinutes: strategy === 'ROLLING' ? undefined : num(dc['bakeTimeInMinutes']),
  };
}

/**
 * The canonical form of the fields Berth manages, for either side: the desired CreateService
 * input or the Service DescribeServices returned. Rules:
 * - Only the managed fields are kept (status, counts, deployments, events, tags… are dropped).
 * - cluster is the cluster's name (from the input's name or ARN, or the observed clusterArn).
 * - Defaults ECS applies when a field is absent are filled in: healthCheckGracePeriodSeconds 0,
 *   schedulingStrategy REPLICA, deploymentController { type: ECS }, propagateTags NONE,
 *   enableExecuteCommand and enableECSManagedTags false; deploymentConfiguration maximumPercent
 *   200 and minimumHealthyPercent 100 (100 and 0 for DAEMON), deploymentCircuitBreaker
 *   { enable: false, rollback: false }, strategy ROLLING; awsvpcConfiguration.assignPublicIp
 *   DISABLED; capacity provider weight 0 and base 0.
 * - platformVersion LATEST = absent (the default on Fargate; EC2 has none).
 * - deploymentConfiguration.alarms that watch nothing (not enabled, no rollback, no names) =
 *   absent; bakeTimeInMinutes is dropped for ROLLING deployments.
 * - Sorted: subnets, securityGroups, alarmNames; capacityProviderStrategy by provider;
 *   placementConstraints by type and expression; loadBalancers by target group (or name),
 *   container and port; serviceRegistries by registryArn. placementStrategy keeps its order (its
 *   rules apply in order).
 * - Empty lists and objects = absent.
 */
export function normalizeService(service: DesiredService | Service): NormalizedService {
  const src = record(service);
  const scheduling = str(src['schedulingStrategy']) ?? 'REPLICA';
  const out: Record<string, unknown> = {
    cluster: nameFromArn(str(src['cluster']) ?? str(src['clusterArn'])),
    serviceName: str(src['serviceName']),
    desiredCount: num(src['desiredCount']),
    launchType: str(src['launchType']),
    capacityProviderStrategy: normalizeCapacityProviderStrategy(src['capacityProviderStrategy']),
    platformVersion: unlessDefault(str(src['platformVersion']), 'LATEST'),
    networkConfiguration: normalizeNetwork(src['networkConfiguration']),
    loadBalancers: sortByKeys(
      records(src['loadBalancers']),
      (lb) => lb['targetGroupArn'] ?? lb['loadBalancerName'],
      (lb) => lb['containerName'],
      (lb) => lb['containerPort'],
    ),
    serviceRegistries: sortByKeys(records(src['serviceRegistries']), (r) => r['registryArn'], (r) => r['containerName'], (r) => r['containerPort'] ?? r['port']),
    healthCheckGracePeriodSeconds: num(src['healthCheckGracePeriodSeconds']) ?? 0,
    deploymentConfiguration: normalizeDeploymentConfiguration(src['deploymentConfiguration'], scheduling === 'DAEMON'),
    deploymentController: { type: str(record(src['deploymentController'])['type']) ?? 'ECS' },
    placementConstraints: sortByKeys(records(src['placementConstraints']), (c) => c['type'], (c) => c['expression']),
    placementStrategy: records(src['placementStrategy'])?.map((p): PlainObject => ({ type: p['type'], field: p['field'] })),
    schedulingStrategy: scheduling,
    enableExecuteCommand: src['enableExecuteCommand'] === true,
    enableECSManagedTags: src['enableECSManagedTags'] === true,
    propagateTags: str(src['propagateTags']) ?? 'NONE',
    availabilityZoneRebalancing: str(src['availabilityZoneRebalancing']),
  };
  return record(prune(out));
}

/**
 * Fields Berth leaves to others when the manifest does not set them: desiredCount (a scaler's,
 * or ECS's for DAEMON), availabilityZoneRebalancing (ECS picks ENABLED or DISABLED by the
 * service's placement strategy, and keeps an existing service's value on update).
 */
const UNMANAGED_WHEN_ABSENT = ['desiredCount', 'availabilityZoneRebalancing'] as const;

/** Fields UpdateService does not take. */
const NEVER_IN_PLACE: ReadonlySet<string> = new Set(['serviceName', 'cluster', 'schedulingStrategy', 'deploymentController']);

/** What UpdateService can change per deployment controller, where it is restricted. */
const IN_PLACE_BY_CONTROLLER: Readonly<Record<string, ReadonlySet<string>>> = {
  CODE_DEPLOY: new Set(['desiredCount', 'deploymentConfiguration', 'healthCheckGracePeriodSeconds', 'placementConstraints', 'placementStrategy', 'enableECSManagedTags', 'propagateTags']),
  EXTERNAL: new Set(['desiredCount', 'healthCheckGracePeriodSeconds', 'placementConstraints', 'placementStrategy', 'enableECSManagedTags', 'propagateTags']),
};

const SERVICE_LIST_KEYS: FieldDiffOptions['listKeys'] = {
  capacityProviderStrategy: (i) => str(i['capacityProvider']),
  loadBalancers: (lb) => {
    const container = str(lb['containerName']);
    const port = num(lb['containerPort']);
    return container !== undefined && port !== undefined ? `${container}:${port}` : undefined;
  },
  serviceRegistries: (r) => str(r['registryArn']),
};

/** The top-level field a change path is under (`deploymentConfiguration.maximumPercent` → `deploymentConfiguration`). */
export function topLevelField(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

/**
 * The managed fields that differ, observed → desired, split by whether UpdateService can change
 * them. Fields the desired side leaves to others are not compared: desiredCount and
 * availabilityZoneRebalancing when absent, and the launch type / capacity provider strategy when
 * the manifest sets neither (the cluster's default strategy then applies).
 */
export function diffService(desired: DesiredService, observed: Service): ServiceDiff {
  const want = normalizeService(desired);
  const have: Record<string, unknown> = { ...normalizeService(observed) };
  for (const field of UNMANAGED_WHEN_ABSENT) if (want[field] === undefined) delete have[field];
  if (want['launchType'] === undefined && want['capacityProviderStrategy'] === undefined) {
    delete have['launchType'];
    delete have['capacityProviderStrategy'];
  }
  const changes = diffFields(have, want, { listKeys: SERVICE_LIST_KEYS });
  const restricted = IN_PLACE_BY_CONTROLLER[str(record(have['deploymentController'])['type']) ?? 'ECS'];
  // launchType → another launchType: UpdateService has no launchType. launchType ↔ capacity
  // provider strategy: in place, with a forced new deployment.
  const launchTypeSwap = have['launchType'] !== undefined && want['launchType'] !== undefined && have['launchType'] !== want['launchType'];
  const result: ServiceDiff = { inPlace: [], replaceRequired: [], forceNewDeployment: false };
  for (const change of changes) {
    const field = topLevelField(change.path);
    const replace = NEVER_IN_PLACE.has(field) || (field === 'launchType' && launchTypeSwap) || (restricted !== undefined && !restricted.has(field));
    if (replace) {
      result.replaceRequired.push(change);
    } else {
      result.inPlace.push(change);
      if (field === 'launchType' || field === 'capacityProviderStrategy') result.forceNewDeployment = true;
    }
  }
  return result;
}

/** List fields that UpdateService clears when given an empty list. */
const CLEARED_BY_EMPTY_LIST: ReadonlySet<string> = new Set(['capacityProviderStrategy', 'loadBalancers', 'serviceRegistries', 'placementConstraints', 'placementStrategy']);

/** Fields the canonical form drops at their default, and the value that restores the default. */
const RESET_TO: Readonly<Record<string, unknown>> = { platformVersion: 'LATEST' };

/**
 * The UpdateService input that makes the in-place changes of `diff`: every changed top-level
 * field with its whole desired (canonical) value, an empty list for a list to remove, the default
 * for a field going back to it (platformVersion LATEST), deployment alarms turned off explicitly,
 * and forceNewDeployment when the diff needs it. taskDefinition is the caller's to add.
 */
export function serviceUpdateInput(desired: DesiredService, diff: ServiceDiff): UpdateServiceCommandInput {
  const want = normalizeService(desired);
  const fields: Record<string, unknown> = {};
  for (const change of diff.inPlace) {
    const field = topLevelField(change.path);
    const value = want[field];
    if (value !== undefined) fields[field] = value;
    else if (CLEARED_BY_EMPTY_LIST.has(field)) fields[field] = [];
    else if (field in RESET_TO) fields[field] = RESET_TO[field];
  }
  // launchType is not an UpdateService field: going back to it means clearing the strategy.
  delete fields['launchType'];
  // Alarms left out of a deploymentConfiguration would stay as they are: turn them off explicitly.
  const deployment = fields['deploymentConfiguration'];
  if (deployment !== undefined && record(deployment)['alarms'] === undefined) {
    fields['deploymentConfiguration'] = { ...record(deployment), alarms: { alarmNames: [], enable: false, rollback: false } };
  }
  return {
    cluster: desired.cluster,
    service: desired.serviceName,
    ...(fields as Partial<UpdateServiceCommandInput>),
    ...(diff.forceNewDeployment && { forceNewDeployment: true }),
  };
}
