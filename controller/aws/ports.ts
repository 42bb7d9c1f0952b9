/**
 * The narrow ports through which Berth reaches AWS: exactly the calls it makes. Adapters over the
 * SDK v3 clients implement them; every error leaving a port is a classified `ReconcileError`.
 */
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
}

/** Counts every AWS call a process makes, for metrics, benchmarks and the apply summary. */
export interface CallCounter {
  /** `service:Operation` → calls (retries each count). */
  calls(): Readonly<Record<string, number>>;
  /** `service:Operation` → calls answered with a throttling error. */
  throttles(): Readonly<Record<string, number>>;
  reset(): void;
}
