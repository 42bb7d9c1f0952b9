/**
 * The `EcsPort` over the SDK's `ECSClient`. Reads are batched to the API's limits and issued in
 * parallel; task definitions, being immutable, are described once per ARN. Every call goes through
 * `call()`, which types whatever AWS throws with `classifyAwsError`.
 */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateClusterCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type {
  Cluster,
  CreateClusterCommandInput,
  CreateServiceCommandInput,
  ECSClient,
  Failure,
  RegisterTaskDefinitionCommandInput,
  Service,
  Tag,
  TaskDefinition,
  UpdateClusterCommandInput,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { chunks, classified, unique } from './adapter-support.ts';
import { AwsReason } from './classify.ts';
import { ReconcileError, TransientError } from './errors.ts';
import type { ContainerInstanceLoad, EcsPort } from './ports.ts';

/** DescribeClusters takes at most 100 clusters a call. */
export const DESCRIBE_CLUSTERS_BATCH = 100;
/** DescribeContainerInstances takes at most 100 a call. */
export const DESCRIBE_CONTAINER_INSTANCES_BATCH = 100;
/** DescribeServices takes at most 10 services a call. */
export const DESCRIBE_SERVICES_BATCH = 10;

/** `arn:aws:ecs:…:task-definition/api-worker:3` → `api-worker`; `api:3` → `api`. */
export function taskDefinitionFamily(arnOrRef: string): string {
  const resource = arnOrRef.slice(arnOrRef.lastIndexOf('/') + 1);
  const colon = resource.lastIndexOf(':');
  return colon === -1 ? resource : resource.slice(0, colon);
}

/** A reference that names one revision (`family:3` or a full ARN), which is immutable and so cacheable. */
function namesRevision(ref: string): boolean {
  return /:\d+$/.test(ref);
}


/** The names once each, in the order first given. */

export class EcsAdapter implements EcsPort {
  readonly region: string;
  private readonly client: ECSClient;
  /** Task definitions by ARN (and by `family:revision` when asked so): one promise, shared by concurrent callers. */
  private readonly taskDefinitions = new Map<string, Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }>>();

  constructor(client: ECSClient, region: string) {
    this.client = client;
    this.region = region;
  }

  /** Runs one SDK call; anything it throws leaves as a classified `ReconcileError`. */
  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return classified(`ecs:${operation}`, run);
  }

  /** A member AWS always returns; its absence is an answer Berth cannot act on. */
  private present<T>(value: T | undefined, operation: string, member: string): T {
    if (value === undefined) throw new TransientError(AwsReason.UnexpectedResponse, `ecs:${operation} answered without ${member}`, { operation: `ecs:${operation}` });
    return value;
  }

  /** Failures other than MISSING are not "absent": the resource's state is unknown, so the pass must not act on it. */
  private checkFailures(failures: readonly Failure[] | undefined, operation: string): void {
    const other = (failures ?? []).filter((f) => f.reason !== 'MISSING');
    if (other.length === 0) return;
    const list = other.map((f) => `${f.arn ?? '?'}: ${f.reason ?? '?'}${f.detail ? ` (${f.detail})` : ''}`).join('; ');
    throw new TransientError(AwsReason.UnexpectedResponse, `ecs:${operation} could not describe ${list}`, { operation: `ecs:${operation}` });
  }

  async describeClusters(names: readonly string[]): Promise<{ clusters: Cluster[]; missing: string[] }> {
    const wanted = unique(names);
    const batches = await Promise.all(
      chunks(wanted, DESCRIBE_CLUSTERS_BATCH).map((batch) =>
        this.call('DescribeClusters', () => this.client.send(new DescribeClustersCommand({ clusters: batch, include: ['SETTINGS', 'CONFIGURATIONS', 'TAGS'] }))),
      ),
    );
    for (const out of batches) this.checkFailures(out.failures, 'DescribeClusters');
    // A deleted cluster stays visible as INACTIVE for a while; to Berth it is absent.
    const live = batches.flatMap((out) => out.clusters ?? []).filter((c) => c.status !== 'INACTIVE');
    const clusters: Cluster[] = [];
    const missing: string[] = [];
    for (const name of wanted) {
      const cluster = live.find((c) => c.clusterName === name || c.clusterArn === name);
      if (cluster) clusters.push(cluster);
      else missing.push(name);
    }
    return { clusters, missing };
  }

  async createCluster(input: CreateClusterCommandInput): Promise<Cluster> {
    const out = await this.call('CreateCluster', () => this.client.send(new CreateClusterCommand(input)));
    return this.present(out.cluster, 'CreateCluster', 'cluster');
  }

  async updateCluster(input: UpdateClusterCommandInput): Promise<Cluster> {
    const out = await this.call('UpdateCluster', () => this.client.send(new UpdateClusterCommand(input)));
    return this.present(out.cluster, 'UpdateCluster', 'cluster');
  }

  async describeServices(cluster: string, names: readonly string[]): Promise<{ services: Service[]; missing: string[] }> {
    const wanted = unique(names);
    const batches = await Promise.all(
      chunks(wanted, DESCRIBE_SERVICES_BATCH).map((batch) =>
        this.call('DescribeServices', () => this.client.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }))),
      ),
    );
    for (const out of batches) this.checkFailures(out.failures, 'DescribeServices');
    // A deleted service is INACTIVE until ECS forgets it; its name is free to create again.
    const live = batches.flatMap((out) => out.services ?? []).filter((s) => s.status !== 'INACTIVE');
    const services: Service[] = [];
    const missing: string[] = [];
    for (const name of wanted) {
      const service = live.find((s) => s.serviceName === name || s.serviceArn === name);
      if (service) services.push(service);
      else missing.push(name);
    }
    return { services, missing };
  }

  describeTaskDefinition(arn: string): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }> {
    const cached = this.taskDefinitions.get(arn);
    if (cached) return cached;
    const lookup = this.call('DescribeTaskDefinition', () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }))).then((out) => ({
      taskDefinition: this.present(out.taskDefinition, 'DescribeTaskDefinition', 'taskDefinition'),
      tags: out.tags ?? [],
    }));
    // A bare family names whichever revision is latest: not immutable, so not cached.
    if (!namesRevision(arn)) return lookup;
    this.taskDefinitions.set(arn, lookup);
    // A failed lookup is forgotten, so that the next pass asks again.
    void lookup.catch(() => {
      if (this.taskDefinitions.get(arn) === lookup) this.taskDefinitions.delete(arn);
    });
    return lookup;
  }

  async latestTaskDefinitionArn(family: string): Promise<string | undefined> {
    // AWS documents familyPrefix of ListTaskDefinitions as the full family name, but the name says
    // prefix: the answer is filtered to the exact family, paging on past any other family (`api-worker`
    // sorts after `api`, so first in DESC order). One call in the usual case.
    let nextToken: string | undefined;
    let maxResults = 1;
    do {
      const out = await this.call('ListTaskDefinitions', () =>
        this.client.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults, ...(nextToken !== undefined && { nextToken }) })),
      );
      const found = (out.taskDefinitionArns ?? []).find((arn) => taskDefinitionFamily(arn) === family);
      if (found !== undefined) return found;
      nextToken = out.nextToken;
      maxResults = 100;
    } while (nextToken !== undefined && nextToken !== '');
    return undefined;
  }

  async registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition> {
    const out = await this.call('RegisterTaskDefinition', () => this.client.send(new RegisterTaskDefinitionCommand(input)));
    const taskDefinition = this.present(out.taskDefinition, 'RegisterTaskDefinition', 'taskDefinition');
    // The new revision is what the next pass describes: it is known already.
    if (taskDefinition.taskDefinitionArn !== undefined) {
      this.taskDefinitions.set(taskDefinition.taskDefinitionArn, Promise.resolve({ taskDefinition, tags: out.tags ?? [] }));
    }
    return taskDefinition;
  }

  async createService(input: CreateServiceCommandInput): Promise<Service> {
    const out = await this.call('CreateService', () => this.client.send(new CreateServiceCommand(input)));
    return this.present(out.service, 'CreateService', 'service');
  }

  async updateService(input: UpdateServiceCommandInput): Promise<Service> {
    const out = await this.call('UpdateService', () => this.client.send(new UpdateServiceCommand(input)));
    return this.present(out.service, 'UpdateService', 'service');
  }

  async tagResource(arn: string, tags: readonly Tag[]): Promise<void> {
    if (tags.length === 0) return;
    await this.call('TagResource', () => this.client.send(new TagResourceCommand({ resourceArn: arn, tags: [...tags] })));
  }

  async deleteService(cluster: string, service: string): Promise<void> {
    try {
      await this.call('DeleteService', () => this.client.send(new DeleteServiceCommand({ cluster, service })));
    } catch (err) {
      // Already gone or going (deleted by a crashed earlier prune, or by hand): the goal is reached.
      if (err instanceof ReconcileError && (err.reason === AwsReason.ServiceNotFound || err.reason === AwsReason.ServiceNotActive)) return;
      throw err;
    }
  }

  async deregisterTaskDefinition(arn: string): Promise<void> {
    await this.call('DeregisterTaskDefinition', () => this.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })));
    this.taskDefinitions.delete(arn);
  }

  async containerInstances(cluster: string): Promise<ContainerInstanceLoad[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call('ListContainerInstances', () => this.client.send(new ListContainerInstancesCommand({ cluster, maxResults: 100, ...(nextToken !== undefined && { nextToken }) })));
      arns.push(...(out.containerInstanceArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken !== undefined && nextToken !== '');
    const described = await Promise.all(
      chunks(arns, DESCRIBE_CONTAINER_INSTANCES_BATCH).map((batch) => this.call('DescribeContainerInstances', () => this.client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: batch })))),
    );
    return described.flatMap((out) =>
      (out.containerInstances ?? []).flatMap((ci) =>
        ci.ec2InstanceId === undefined ? [] : [{ ec2InstanceId: ci.ec2InstanceId, status: ci.status ?? 'UNKNOWN', tasks: (ci.runningTasksCount ?? 0) + (ci.pendingTasksCount ?? 0) }],
      ),
    );
  }
}
