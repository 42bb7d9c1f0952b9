/**
 * What the simulated ECS holds. Records are mutable and refer to each other directly (a task to its
 * cluster, service and instance), so that a lookup never scans more than the records it concerns.
 * API shapes are built from them on the way out (see the `*View` functions of each module).
 */
import type {
  Attribute,
  CapacityProviderStrategyItem,
  ClusterConfiguration,
  ClusterSetting,
  LoadBalancer,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  PropagateTags,
  ServiceRegistry,
  TaskDefinition,
  TaskStopCode,
} from '@aws-sdk/client-ecs';

export interface TagRecord {
  key: string;
  value: string;
}

/** Anything that can carry tags (TagResource works on every kind). */
export interface Taggable {
  tags: TagRecord[];
}

export type ClusterStatus = 'ACTIVE' | 'INACTIVE';

export interface ClusterRecord extends Taggable {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  status: ClusterStatus;
  settings: ClusterSetting[];
  /** ECS Exec and managed storage configuration, as given (absent until set). */
  configuration: ClusterConfiguration | undefined;
  /** The capacity providers associated with the cluster (FARGATE and FARGATE_SPOT only: the simulator has no Auto Scaling group providers). */
  capacityProviders: string[];
  /** The strategy CreateService uses when given neither a launch type nor a strategy; weight and base filled in. */
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
  /** The default Service Connect namespace, as its Cloud Map ARN. */
  serviceConnectNamespace: string | undefined;
  /** By service name, in creation order; the latest service of each name (an INACTIVE one until replaced). */
  readonly services: Map<string, ServiceRecord>;
  /** By task ID, every task until it is purged (an hour after it stopped). */
  readonly tasks: Map<string, TaskRecord>;
  /** By container instance ID. */
  readonly instances: Map<string, ContainerInstanceRecord>;
  /** Services with tasks they could not place: a pass runs for each when capacity appears. */
  readonly waitingForCapacity: Set<ServiceRecord>;
}

export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE';

/** What a task of a task definition takes from a container instance. */
export interface TaskDemand {
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: number;
  /** Static host ports as `tcp:80`, `udp:53` (bridge and host network modes only). */
  readonly hostPorts: readonly string[];
}

export interface TaskDefinitionRecord extends Taggable {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly region: string;
  status: TaskDefinitionStatus;
  deregisteredAt: number | undefined;
  /** The task definition as DescribeTaskDefinition returns it, defaults filled in; without status. */
  readonly body: TaskDefinition;
  readonly demand: TaskDemand;
  readonly hasHealthCheck: boolean;
  readonly networkMode: 'bridge' | 'host' | 'awsvpc' | 'none';
}

export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';
export type LaunchType = 'EC2' | 'FARGATE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface DeploymentRecord {
  readonly id: string;
  status: 'PRIMARY' | 'ACTIVE';
  readonly taskDefinition: TaskDefinitionRecord;
  readonly createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  failedTasks: number;
  readonly runtime: ServiceRuntime;
  readonly networkConfiguration: NetworkConfiguration | undefined;
}

/**
 * Where a service's tasks run: a launch type, or a capacity provider strategy (whose providers
 * decide the launch type: FARGATE and FARGATE_SPOT run on Fargate), and the Fargate platform version.
 */
export interface ServiceRuntime {
  /** What the tasks run on, whether given as a launch type or derived from the strategy. */
  readonly launchType: LaunchType;
  /** The strategy when the service uses one (then DescribeServices shows no launchType); weight and base filled in. */
  readonly capacityProviderStrategy: readonly CapacityProviderStrategyItem[] | undefined;
  /** Fargate only: as given, LATEST by default. */
  readonly platformVersion: string | undefined;
}

export interface DeploymentSettings {
  maximumPercent: number;
  minimumHealthyPercent: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  /** CloudWatch alarms that fail a deployment (kept and returned; not evaluated by the simulator). */
  alarms: { alarmNames: string[]; enable: boolean; rollback: boolean };
}

export interface ServiceEventRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly message: string;
}

export interface ServiceRecord extends Taggable {
  readonly arn: string;
  readonly name: string;
  readonly cluster: ClusterRecord;
  status: ServiceStatus;
  desiredCount: number;
  /** What new deployments run on; each deployment keeps its own. */
  runtime: ServiceRuntime;
  readonly createdAt: number;
  readonly createdBy: string;
  deploymentSettings: DeploymentSettings;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  networkConfiguration: NetworkConfiguration | undefined;
  healthCheckGracePeriodSeconds: number;
  propagateTags: PropagateTags;
  enableECSManagedTags: boolean;
  enableExecuteCommand: boolean;
  /** Kept and returned as given; the simulator routes no traffic. */
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  /** ECS's default for services created since 2025: ENABLED. */
  availabilityZoneRebalancing: 'ENABLED' | 'DISABLED';
  /** The PRIMARY deployment first, then older ACTIVE ones, newest first. */
  deployments: DeploymentRecord[];
  /** The last deployment that completed: what the circuit breaker rolls back to. */
  lastCompleted: DeploymentRecord | undefined;
  /** Newest first, at most 100. */
  events: ServiceEventRecord[];
  /** Every task of the service not yet purged. */
  readonly tasks: Set<TaskRecord>;
  /** When the next scheduler pass is due, if one is scheduled. */
  passAt: number | undefined;
  /** Whether the last pass found the service at its desired state (for the steady-state event). */
  steady: boolean;
  /** The last placement failure event, so that a repeat is not logged again (AWS omits duplicates). */
  lastPlacementFailure: { readonly message: string; readonly at: number } | undefined;
  deletedAt: number | undefined;
}

export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';
export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';

export interface TaskRecord extends Taggable {
  readonly id: string;
  readonly arn: string;
  readonly cluster: ClusterRecord;
  readonly service: ServiceRecord | undefined;
  /** The deployment the task belongs to (it can move to a rollback deployment of the same task definition). */
  deploymentId: string | undefined;
  readonly startedBy: string | undefined;
  readonly taskDefinition: TaskDefinitionRecord;
  readonly launchType: LaunchType;
  /** The provider of the deployment's strategy the task was placed with, if it has one. */
  readonly capacityProviderName: string | undefined;
  /** Fargate only: the platform version the task runs on (LATEST resolved). */
  readonly platformVersion: string | undefined;
  readonly availabilityZone: string;
  readonly networkConfiguration: NetworkConfiguration | undefined;
  readonly enableExecuteCommand: boolean;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  readonly createdAt: number;
  pullStartedAt: number | undefined;
  pullStoppedAt: number | undefined;
  startedAt: number | undefined;
  stoppingAt: number | undefined;
  stoppedAt: number | undefined;
  stopCode: TaskStopCode | undefined;
  stoppedReason: string | undefined;
  /** Why the containers stopped, when they failed (CannotPullContainerError …). */
  containerReason: string | undefined;
  /** The container instance (EC2 only) and what the task holds on it. */
  instance: ContainerInstanceRecord | undefined;
  gpuIds: readonly string[];
  /** Scale-in protection: protected until this time (epoch ms). */
  protectedUntil: number | undefined;
  version: number;
}

export type ContainerInstanceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';

export interface ContainerInstanceRecord extends Taggable {
  readonly id: string;
  readonly arn: string;
  readonly cluster: ClusterRecord;
  readonly ec2InstanceId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  status: ContainerInstanceStatus;
  readonly registeredAt: number;
  readonly attributes: readonly Attribute[];
  readonly cpu: number;
  readonly memory: number;
  readonly gpuIds: readonly string[];
  usedCpu: number;
  usedMemory: number;
  readonly usedGpus: Set<string>;
  readonly usedPorts: Set<string>;
  /** Tasks placed on it and not yet STOPPED. */
  readonly tasks: Set<TaskRecord>;
  version: number;
}
