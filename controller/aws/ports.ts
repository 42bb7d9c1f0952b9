/**
 * The narrow ports through which Berth reaches AWS: exactly the calls it makes. Adapters over the
 * SDK v3 clients implement them; every error leaving a port is a classified `ReconcileError`.
 */
import type { Activity, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type {
  Cluster,
  CreateClusterCommandInput,
  CreateServiceCommandInput,
  RegisterTaskDefinitionCommandInput,
  Service,
  Tag,
  TaskDefinition,
  UpdateClusterCommandInput,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { MetricAlarm, PutMetricAlarmCommandInput, Tag as CloudWatchTag } from '@aws-sdk/client-cloudwatch';

export interface EcsPort {
  readonly region: string;
  /** DescribeClusters with SETTINGS, CONFIGURATIONS and TAGS (≤100 names a call); absent names come back in `missing`. */
  describeClusters(names: readonly string[]): Promise<{ clusters: Cluster[]; missing: string[] }>;
  createCluster(input: CreateClusterCommandInput): Promise<Cluster>;
  updateCluster(input: UpdateClusterCommandInput): Promise<Cluster>;
  /**
   * DescribeServices with TAGS, batched 10 names a call (the API's limit), calls in parallel.
   * INACTIVE services and MISSING failures both come back in `missing`.
   */
  describeServices(cluster: string, names: readonly string[]): Promise<{ services: Service[]; missing: string[] }>;
  /** DescribeTaskDefinition with TAGS, cached per ARN for the life of the port: task definitions are immutable. */
  describeTaskDefinition(arn: string): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }>;
  /** The newest ACTIVE revision of a family (ListTaskDefinitions sorted DESC, 1 result), or undefined. */
  latestTaskDefinitionArn(family: string): Promise<string | undefined>;
  registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition>;
  createService(input: CreateServiceCommandInput): Promise<Service>;
  updateService(input: UpdateServiceCommandInput): Promise<Service>;
  tagResource(arn: string, tags: readonly Tag[]): Promise<void>;
  /** DeleteService of a service already scaled to 0 (prune). An absent or INACTIVE service is not an error. */
  deleteService(cluster: string, service: string): Promise<void>;
  /** DeregisterTaskDefinition of one revision (prune). An already INACTIVE revision is not an error. */
  deregisterTaskDefinition(arn: string): Promise<void>;
  /** The cluster's ACTIVE and DRAINING container instances (ListContainerInstances + DescribeContainerInstances, 100 a call). */
  containerInstances(cluster: string): Promise<ContainerInstanceLoad[]>;
}

/** What the queue scaler needs to know of a container instance: which EC2 instance, and how busy. */
export interface ContainerInstanceLoad {
  readonly ec2InstanceId: string;
  readonly status: string;
  /** RUNNING tasks plus tasks placed on it and starting (PENDING): an instance with either is busy. */
  readonly tasks: number;
}

/** The CloudWatch calls Berth makes for Alarm manifests (metric alarms only). */
export interface CloudWatchPort {
  readonly region: string;
  /**
   * DescribeAlarms of metric alarms by name, 100 names a call, following NextToken; names
   * CloudWatch does not know come back in `missing`.
   */
  describeAlarms(names: readonly string[]): Promise<{ alarms: MetricAlarm[]; missing: string[] }>;
  /** PutMetricAlarm: creates the alarm or replaces its whole configuration. */
  putMetricAlarm(input: PutMetricAlarmCommandInput): Promise<void>;
  /** EnableAlarmActions or DisableAlarmActions of the named alarms. */
  setActionsEnabled(names: readonly string[], enabled: boolean): Promise<void>;
  /** TagResource of an alarm ARN (CloudWatch tags are `{Key, Value}`). */
  tagResource(arn: string, tags: readonly CloudWatchTag[]): Promise<void>;
  /** ListTagsForResource of an alarm ARN. */
  listTags(arn: string): Promise<CloudWatchTag[]>;
  /** DeleteAlarms, 100 names a call (prune). Names CloudWatch does not know are ignored, as it does. */
  deleteAlarms(names: readonly string[]): Promise<void>;
  /** PutMetricData of one value with one dimension (the queue scaler's backlog). */
  putMetricValue(input: { readonly namespace: string; readonly metricName: string; readonly dimensions: Readonly<Record<string, string>>; readonly value: number; readonly timestamp: Date }): Promise<void>;
}

/** The EC2 Auto Scaling calls Berth makes for AutoScalingGroup manifests: it only sizes existing groups. */
export interface AutoScalingPort {
  readonly region: string;
  /**
   * DescribeAutoScalingGroups by name, 50 names a call (the API's default limit of names), calls in
   * parallel, following NextToken; names Auto Scaling does not know come back in `missing`. An empty
   * list makes no call (AWS would describe every group).
   */
  describeGroups(names: readonly string[]): Promise<{ groups: AutoScalingGroup[]; missing: string[] }>;
  /** UpdateAutoScalingGroup of the sizes given; the ones left out stay as they are. */
  updateCapacity(input: { readonly name: string; readonly minSize?: number; readonly maxSize?: number; readonly desiredCapacity?: number }): Promise<void>;
  /** CreateOrUpdateTags of the group (ResourceType auto-scaling-group, PropagateAtLaunch false). */
  createOrUpdateTags(name: string, tags: readonly { readonly key: string; readonly value: string }[]): Promise<void>;
  /** DeleteTags of the given keys from the group (releasing an adopted group on prune). */
  deleteTags(name: string, keys: readonly string[]): Promise<void>;
  /** The group's most recent scaling activities (DescribeScalingActivities, one page of up to `max`), newest first. */
  describeActivities(name: string, max?: number): Promise<Activity[]>;
  /** SetInstanceProtection (scale-in protection) of instances of the group, 50 a call. */
  setInstanceProtection(name: string, instanceIds: readonly string[], protectedFromScaleIn: boolean): Promise<void>;
}

/** A resource and its tags, as the Resource Groups Tagging API returns it. */
export interface TaggedResource {
  readonly arn: string;
  readonly tags: ReadonlyMap<string, string>;
}

/** The Resource Groups Tagging API: what carries a tag, across ECS, CloudWatch and Auto Scaling. */
export interface TaggingPort {
  readonly region: string;
  /**
   * GetResources of the given resource types (`ecs:service`, `cloudwatch:alarm` …) whose tag `key`
   * has `value`, 100 a page, following PaginationToken.
   */
  resourcesTagged(key: string, value: string, resourceTypes: readonly string[]): Promise<TaggedResource[]>;
}

/** Counts every AWS call a process makes, for metrics, benchmarks and the apply summary. */
export interface CallCounter {
  /** `service:Operation` → calls (retries each count). */
  calls(): Readonly<Record<string, number>>;
  /** `service:Operation` → calls answered with a throttling error. */
  throttles(): Readonly<Record<string, number>>;
  reset(): void;
}
