/**
 * Container instances: EC2 instances whose ECS agent registered them with a cluster (the Auto
 * Scaling simulator calls `register` when an instance is InService and `deregister` when it
 * terminates), their resources, and ListContainerInstances and DescribeContainerInstances.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html
 */
import type {
  Attribute,
  ContainerInstance,
  DescribeContainerInstancesRequest,
  DescribeContainerInstancesResponse,
  ListContainerInstancesRequest,
  ListContainerInstancesResponse,
  Resource,
} from '@aws-sdk/client-ecs';
import type { EcsHooks, Operation } from '../world.ts';
import { containerInstanceArn } from './arns.ts';
import { evaluate, ExpressionError, parseExpression } from './expressions.ts';
import type { ClusterRecord, ContainerInstanceRecord } from './model.ts';
import { instanceTarget } from './placement.ts';
import { asRequest, checkMaxItems, describeEach, invalidParameter, paginate, requireList } from './requests.ts';
import type { EcsContext } from './store.ts';
import { findCluster, findInstance, now, requireCluster, scopeOf } from './store.ts';
import { tagsView } from './tags.ts';
import type { Tasks } from './tasks.ts';

type InstanceRegistration = Parameters<EcsHooks['registerContainerInstance']>[0];

/** Ports the ECS agent and Docker reserve on every instance (SSH, Docker, the agent). */
const RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'];
/** How long a deregistered (INACTIVE) instance stays visible to DescribeContainerInstances. */
const INACTIVE_RETENTION_MS = 3600_000;

/** The capabilities the ECS-optimized AMI's agent reports (those task definitions require, and a few more). */
const AGENT_CAPABILITIES = [
  'com.amazonaws.ecs.capability.docker-remote-api.1.17',
  'com.amazonaws.ecs.capability.docker-remote-api.1.18',
  'com.amazonaws.ecs.capability.docker-remote-api.1.19',
  'com.amazonaws.ecs.capability.docker-remote-api.1.24',
  'com.amazonaws.ecs.capability.docker-remote-api.1.44',
  'com.amazonaws.ecs.capability.logging-driver.awslogs',
  'com.amazonaws.ecs.capability.ecr-auth',
  'com.amazonaws.ecs.capability.task-iam-role',
  'ecs.capability.execution-role-awslogs',
  'ecs.capability.execution-role-ecr-pull',
  'ecs.capability.container-health-check',
  'ecs.capability.secrets.asm.environment-variables',
  'ecs.capability.secrets.ssm.environment-variables',
  'ecs.capability.task-eni',
];

function instanceAttributes(instance: InstanceRegistration): Attribute[] {
  return [
    { name: 'ecs.instance-type', value: instance.instanceType },
    { name: 'ecs.availability-zone', value: instance.availabilityZone },
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.os-family', value: 'LINUX' },
    { name: 'ecs.cpu-architecture', value: 'x86_64' },
    ...(instance.gpuIds.length > 0 ? [{ name: 'ecs.capability.gpu-driver-version', value: '550.127.05' }] : []),
    ...AGENT_CAPABILITIES.map((name) => ({ name })),
  ];
}

function integerResource(name: string, value: number): Resource {
  return { name, type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: value };
}

function stringSetResource(name: string, values: string[]): Resource {
  return { name, type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: values };
}

/** Registered (all) or remaining resources; PORTS lists the ports in use, GPU the GPU IDs (free ones when remaining). */
function resources(ci: ContainerInstanceRecord, remaining: boolean): Resource[] {
  const used = remaining ? [...ci.usedPorts] : [];
  const out = [
    integerResource('CPU', remaining ? ci.cpu - ci.usedCpu : ci.cpu),
    integerResource('MEMORY', remaining ? ci.memory - ci.usedMemory : ci.memory),
    stringSetResource('PORTS', [...RESERVED_PORTS, ...used.filter((p) => p.startsWith('tcp:')).map((p) => p.slice(4))]),
    stringSetResource('PORTS_UDP', used.filter((p) => p.startsWith('udp:')).map((p) => p.slice(4))),
  ];
  if (ci.gpuIds.length > 0) out.push(stringSetResource('GPU', remaining ? ci.gpuIds.filter((id) => !ci.usedGpus.has(id)) : [...ci.gpuIds]));
  return out;
}

export function containerInstanceView(ci: ContainerInstanceRecord, includeTags: boolean): ContainerInstance {
  let running = 0;
  for (const task of ci.tasks) if (task.lastStatus === 'RUNNING') running++;
  return {
    containerInstanceArn: ci.arn,
    ec2InstanceId: ci.ec2InstanceId,
    version: ci.version,
    versionInfo: { agentVersion: '1.89.2', agentHash: 'a3b5c7d9', dockerVersion: 'DockerVersion: 25.0.6' },
    remainingResources: resources(ci, true),
    registeredResources: resources(ci, false),
    status: ci.status,
    agentConnected: ci.status !== 'INACTIVE',
    runningTasksCount: running,
    pendingTasksCount: ci.tasks.size - running,
    attributes: [...ci.attributes],
    registeredAt: new Date(ci.registeredAt),
    attachments: [],
    ...(includeTags && { tags: tagsView(ci.tags) }),
  };
}

export class ContainerInstances {
  private readonly ctx: EcsContext;
  private readonly tasks: Tasks;
  private readonly onCapacity: (cluster: ClusterRecord) => void;

  /** `onCapacity` runs when an instance joins a cluster (the scheduler places waiting tasks). */
  constructor(ctx: EcsContext, tasks: Tasks, onCapacity: (cluster: ClusterRecord) => void) {
    this.ctx = ctx;
    this.tasks = tasks;
    this.onCapacity = onCapacity;
  }

  /** The ECS agent registers an instance; undefined when the cluster does not exist (the agent retries). */
  register(instance: InstanceRegistration): string | undefined {
    const { ctx } = this;
    const cluster = findCluster(ctx, instance.region, instance.cluster);
    if (!cluster || cluster.status !== 'ACTIVE') return undefined;
    const key = `${instance.region}/${instance.ec2InstanceId}`;
    const existing = ctx.store.instancesByEc2Id.get(key);
    if (existing && existing.status !== 'INACTIVE' && existing.cluster === cluster) return existing.arn;
    const id = ctx.ids.hex(32);
    const ci: ContainerInstanceRecord = {
      id,
      arn: containerInstanceArn(scopeOf(ctx, cluster.region), cluster.name, id),
      cluster,
      ec2InstanceId: instance.ec2InstanceId,
      instanceType: instance.instanceType,
      availabilityZone: instance.availabilityZone,
      status: 'ACTIVE',
      registeredAt: now(ctx),
      attributes: instanceAttributes(instance),
      cpu: instance.cpu,
      memory: instance.memory,
      gpuIds: [...instance.gpuIds],
      usedCpu: 0,
      usedMemory: 0,
      usedGpus: new Set(),
      usedPorts: new Set(),
      tasks: new Set(),
      version: 1,
      tags: [],
    };
    cluster.instances.set(id, ci);
    ctx.store.instancesByEc2Id.set(key, ci);
    ctx.world.record({ service: 'ecs', type: 'container-instance-registered', detail: { cluster: cluster.name, containerInstanceArn: ci.arn, ec2InstanceId: ci.ec2InstanceId, instanceType: ci.instanceType } });
    this.onCapacity(cluster);
    return ci.arn;
  }

  /** The instance terminates: its tasks stop at once and it leaves the cluster (INACTIVE, kept an hour). */
  deregister(region: string, ec2InstanceId: string): void {
    const { ctx } = this;
    const key = `${region}/${ec2InstanceId}`;
    const ci = ctx.store.instancesByEc2Id.get(key);
    if (!ci || ci.status === 'INACTIVE') return;
    ci.status = 'INACTIVE';
    ci.version++;
    for (const task of [...ci.tasks]) this.tasks.stopNow(task, 'TerminationNotice', `Host EC2 (instance ${ec2InstanceId}) terminated.`);
    ctx.world.record({ service: 'ecs', type: 'container-instance-deregistered', detail: { cluster: ci.cluster.name, containerInstanceArn: ci.arn, ec2InstanceId } });
    ctx.world.scheduler.after(INACTIVE_RETENTION_MS, `ecs container instance ${ci.id} purge`, () => {
      if (ci.cluster.instances.get(ci.id) === ci) ci.cluster.instances.delete(ci.id);
      if (ctx.store.instancesByEc2Id.get(key) === ci) ctx.store.instancesByEc2Id.delete(key);
    });
  }

  /** Tasks on the instance not yet STOPPED. */
  tasksOn(region: string, ec2InstanceId: string): number {
    const ci = this.ctx.store.instancesByEc2Id.get(`${region}/${ec2InstanceId}`);
    return ci && ci.status !== 'INACTIVE' ? ci.tasks.size : 0;
  }

  operations(): Record<string, Operation> {
    const { ctx } = this;
    return {
      ListContainerInstances: (input, { region }): ListContainerInstancesResponse => {
        const req = asRequest<ListContainerInstancesRequest>(input);
        const cluster = requireCluster(ctx, region, req.cluster);
        const page = paginate(listInstances(cluster, req), req, { defaultSize: 100, maxSize: 100 });
        return { containerInstanceArns: page.items.map((ci) => ci.arn), ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
      },
      DescribeContainerInstances: (input, { region }): DescribeContainerInstancesResponse => {
        const req = asRequest<DescribeContainerInstancesRequest>(input);
        const cluster = requireCluster(ctx, region, req.cluster);
        const refs = requireList(req.containerInstances, 'ContainerInstances cannot be empty.');
        checkMaxItems(refs, 100, 'containerInstances');
        const includeTags = req.include?.includes('TAGS') ?? false;
        const { found: containerInstances, failures } = describeEach(refs, (ref) => findInstance(cluster, ref), (ci) => containerInstanceView(ci, includeTags), (name) => containerInstanceArn(scopeOf(ctx, region), cluster.name, name));
        return { containerInstances, failures };
      },
    };
  }
}

/** The cluster's instances matching ListContainerInstances' status and cluster-query-language filter. */
function listInstances(cluster: ClusterRecord, req: Partial<ListContainerInstancesRequest>): ContainerInstanceRecord[] {
  let filter;
  try {
    filter = req.filter ? parseExpression(req.filter) : undefined;
  } catch (err) {
    if (err instanceof ExpressionError) throw invalidParameter(`Invalid filter expression: ${err.message}`);
    throw err;
  }
  // Without a status, every instance that is not deregistered.
  const statusOk = (ci: ContainerInstanceRecord) => (req.status ? ci.status === req.status : ci.status !== 'INACTIVE');
  return [...cluster.instances.values()].filter((ci) => statusOk(ci) && (!filter || evaluate(filter, instanceTarget(ci))));
}
