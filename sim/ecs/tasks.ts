/**
 * Tasks: their lifecycle in simulated time (PROVISIONING → PENDING → RUNNING → STOPPED, or a failed
 * start with CannotPullContainerError), what they hold on their container instance, and ListTasks,
 * DescribeTasks and StopTask.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 */
import type {
  Attachment,
  Container,
  DescribeTasksRequest,
  DescribeTasksResponse,
  ListTasksRequest,
  ListTasksResponse,
  StopTaskRequest,
  StopTaskResponse,
  Task,
  TaskStopCode,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { containerArn, taskArn } from './arns.ts';
import type { ClusterRecord, ContainerInstanceRecord, DeploymentRecord, ServiceRecord, TaskDefinitionRecord, TaskRecord } from './model.ts';
import { chooseProvider, resolvePlatformVersion } from './capacity-providers.ts';
import { release, reserve, taskGroup } from './placement.ts';
import { asRequest, checkMaxItems, describeEach, invalidParameter, paginate, requireList, requireString } from './requests.ts';
import type { EcsContext } from './store.ts';
import { findInstance, findService, findTask, now, requireCluster, scopeOf } from './store.ts';
import { tagsView } from './tags.ts';

/** How long a STOPPED task stays visible to ListTasks and DescribeTasks (AWS: at least an hour). */
const STOPPED_RETENTION_MS = 3600_000;

/** The deployment's tasks not told to stop, per capacity provider. */
function providerCounts(service: ServiceRecord, deployment: DeploymentRecord): Map<string, number> {
  const counts = new Map<string, number>();
  for (const task of service.tasks) {
    if (task.deploymentId !== deployment.id || task.desiredStatus !== 'RUNNING' || task.capacityProviderName === undefined) continue;
    counts.set(task.capacityProviderName, (counts.get(task.capacityProviderName) ?? 0) + 1);
  }
  return counts;
}

/** What the service scheduler hears from the tasks. */
export interface TaskObserver {
  /** A task reached RUNNING, became HEALTHY, or stopped. */
  taskChanged(task: TaskRecord): void;
  /** A task stopped without ever running (its image failed to pull): circuit breaker material. */
  taskFailed(task: TaskRecord): void;
  /** A task stopped on a container instance of the cluster: capacity came free. */
  capacityFreed(cluster: ClusterRecord): void;
}

/** The container instance a new EC2 task goes to, and the GPU IDs it gets there. */
export interface Placement {
  readonly instance: ContainerInstanceRecord;
  readonly gpuIds: readonly string[];
}

export class Tasks {
  private readonly ctx: EcsContext;
  private readonly observer: TaskObserver;

  constructor(ctx: EcsContext, observer: TaskObserver) {
    this.ctx = ctx;
    this.observer = observer;
  }

  /** Starts a task of a service's deployment (on `placement` for EC2) and schedules its lifecycle. */
  launch(service: ServiceRecord, deployment: DeploymentRecord, placement: Placement | undefined): TaskRecord {
    const { ctx } = this;
    const cluster = service.cluster;
    const id = ctx.ids.hex(32);
    const td = deployment.taskDefinition;
    const { launchType, capacityProviderStrategy, platformVersion } = deployment.runtime;
    // awsvpc tasks first provision their network interface; bridge/host EC2 tasks go straight to PENDING.
    const provisions = td.networkMode === 'awsvpc' || launchType === 'FARGATE';
    const task: TaskRecord = {
      id,
      arn: taskArn(scopeOf(ctx, cluster.region), cluster.name, id),
      cluster,
      service,
      deploymentId: deployment.id,
      startedBy: deployment.id,
      taskDefinition: td,
      launchType,
      capacityProviderName: capacityProviderStrategy ? chooseProvider(capacityProviderStrategy, providerCounts(service, deployment)) : undefined,
      platformVersion: resolvePlatformVersion(platformVersion),
      availabilityZone: placement?.instance.availabilityZone ?? `${cluster.region}${'abc'.charAt(Math.floor(ctx.world.random() * 3))}`,
      networkConfiguration: deployment.networkConfiguration,
      enableExecuteCommand: service.enableExecuteCommand,
      lastStatus: provisions ? 'PROVISIONING' : 'PENDING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      createdAt: now(ctx),
      pullStartedAt: provisions ? undefined : now(ctx),
      pullStoppedAt: undefined,
      startedAt: undefined,
      stoppingAt: undefined,
      stoppedAt: undefined,
      stopCode: undefined,
      stoppedReason: undefined,
      containerReason: undefined,
      instance: placement?.instance,
      gpuIds: placement?.gpuIds ?? [],
      protectedUntil: undefined,
      version: 1,
      tags: service.propagateTags === 'SERVICE' ? [...service.tags] : service.propagateTags === 'TASK_DEFINITION' ? [...td.tags] : [],
    };
    cluster.tasks.set(id, task);
    service.tasks.add(task);
    if (placement) reserve(placement.instance, task);
    this.scheduleStart(task);
    return task;
  }

  /** The image of the task that matches the behaviour's failing pattern, if any: it will never pull. */
  private failingImage(td: TaskDefinitionRecord): string | undefined {
    const pattern = new RegExp(this.ctx.world.behaviour.failingImagePattern);
    return td.body.containerDefinitions?.find((c) => pattern.test(c.image ?? ''))?.image;
  }

  /** Schedules PROVISIONING → PENDING, then RUNNING (or the failed start) after the launch type's start time. */
  private scheduleStart(task: TaskRecord): void {
    const { scheduler, behaviour } = this.ctx.world;
    const startMs = (task.launchType === 'FARGATE' ? behaviour.fargateStartSeconds : behaviour.ec2StartSeconds) * 1000;
    if (task.lastStatus === 'PROVISIONING') scheduler.after(startMs / 4, `ecs task ${task.id} pending`, () => this.toPending(task));
    const failing = this.failingImage(task.taskDefinition);
    if (failing !== undefined) scheduler.after(behaviour.taskFailSeconds * 1000, `ecs task ${task.id} fails`, () => this.failToStart(task, failing));
    else scheduler.after(startMs, `ecs task ${task.id} running`, () => this.toRunning(task));
  }

  private toPending(task: TaskRecord): void {
    if (task.lastStatus !== 'PROVISIONING' || task.desiredStatus !== 'RUNNING') return;
    task.lastStatus = 'PENDING';
    task.pullStartedAt = now(this.ctx);
    task.version++;
  }

  private toRunning(task: TaskRecord): void {
    if (task.desiredStatus !== 'RUNNING' || task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPED') return;
    const { world } = this.ctx;
    task.lastStatus = 'RUNNING';
    task.pullStartedAt ??= now(this.ctx);
    task.pullStoppedAt = now(this.ctx);
    task.startedAt = now(this.ctx);
    task.version++;
    world.record({ service: 'ecs', type: 'task-started', detail: this.historyDetail(task) });
    // A container health check reports HEALTHY after its first passing checks.
    if (task.taskDefinition.hasHealthCheck) world.scheduler.after(world.behaviour.healthCheckSeconds * 1000, `ecs task ${task.id} healthy`, () => this.toHealthy(task));
    this.observer.taskChanged(task);
  }

  private toHealthy(task: TaskRecord): void {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return;
    task.healthStatus = 'HEALTHY';
    task.version++;
    this.observer.taskChanged(task);
  }

  /** The image never pulls: the task stops with TaskFailedToStart, as ECS reports a CannotPullContainerError. */
  private failToStart(task: TaskRecord, image: string): void {
    if (task.desiredStatus !== 'RUNNING' || task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPED') return;
    const reason = `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ${image}: not found`;
    task.desiredStatus = 'STOPPED';
    task.stopCode = 'TaskFailedToStart';
    task.stoppedReason = reason;
    task.containerReason = reason;
    task.stoppingAt = now(this.ctx);
    this.markStopped(task, true);
  }

  /** Asks a task to stop (SIGTERM); it is STOPPED after the behaviour's stop time. False if it already stops. */
  requestStop(task: TaskRecord, stopCode: TaskStopCode, reason: string): boolean {
    if (task.desiredStatus === 'STOPPED') return false;
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = now(this.ctx);
    task.version++;
    this.ctx.world.scheduler.after(this.ctx.world.behaviour.taskStopSeconds * 1000, `ecs task ${task.id} stopped`, () => this.markStopped(task, false));
    return true;
  }

  /** Stops a task at once (its host is gone). */
  stopNow(task: TaskRecord, stopCode: TaskStopCode, reason: string): void {
    if (task.lastStatus === 'STOPPED') return;
    if (task.desiredStatus === 'RUNNING') {
      task.desiredStatus = 'STOPPED';
      task.stopCode = stopCode;
      task.stoppedReason = reason;
      task.stoppingAt = now(this.ctx);
    }
    this.markStopped(task, false);
  }

  /** Whether scale-in protection holds now (it lapses at its expiry). */
  isProtected(task: TaskRecord): boolean {
    return task.protectedUntil !== undefined && now(this.ctx) < task.protectedUntil;
  }

  /** The task is STOPPED: it gives back its resources, is kept for an hour, and the scheduler hears of it. */
  private markStopped(task: TaskRecord, failedToStart: boolean): void {
    if (task.lastStatus === 'STOPPED') return;
    const { world } = this.ctx;
    task.lastStatus = 'STOPPED';
    task.stoppedAt = now(this.ctx);
    task.version++;
    const instance = task.instance;
    release(task);
    world.record({ service: 'ecs', type: 'task-stopped', detail: { ...this.historyDetail(task), stopCode: task.stopCode, reason: task.stoppedReason } });
    world.scheduler.after(STOPPED_RETENTION_MS, `ecs task ${task.id} purge`, () => this.purge(task));
    if (failedToStart) this.observer.taskFailed(task);
    this.observer.taskChanged(task);
    if (instance) this.observer.capacityFreed(task.cluster);
  }

  private purge(task: TaskRecord): void {
    if (task.cluster.tasks.get(task.id) === task) task.cluster.tasks.delete(task.id);
    task.service?.tasks.delete(task);
  }

  private historyDetail(task: TaskRecord): Record<string, unknown> {
    return {
      taskArn: task.arn,
      cluster: task.cluster.name,
      service: task.service?.name,
      taskDefinition: task.taskDefinition.arn,
      launchType: task.launchType,
      instance: task.instance?.ec2InstanceId,
      containerInstanceArn: task.instance?.arn,
    };
  }

  operations(): Record<string, Operation> {
    const { ctx } = this;
    return {
      ListTasks: (input, { region }): ListTasksResponse => {
        const req = asRequest<ListTasksRequest>(input);
        const cluster = requireCluster(ctx, region, req.cluster);
        const page = paginate(listTasks(cluster, req), req, { defaultSize: 100, maxSize: 100 });
        return { taskArns: page.items.map((t) => t.arn), ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
      },
      DescribeTasks: (input, { region }): DescribeTasksResponse => {
        const req = asRequest<DescribeTasksRequest>(input);
        const cluster = requireCluster(ctx, region, req.cluster);
        const refs = requireList(req.tasks, 'Tasks cannot be empty.');
        checkMaxItems(refs, 100, 'tasks');
        const includeTags = req.include?.includes('TAGS') ?? false;
        const { found: tasks, failures } = describeEach(refs, (ref) => findTask(cluster, ref), (task) => taskView(ctx, task, includeTags), (name) => taskArn(scopeOf(ctx, region), cluster.name, name));
        return { tasks, failures };
      },
      StopTask: (input, { region }): StopTaskResponse => {
        const req = asRequest<StopTaskRequest>(input);
        const cluster = requireCluster(ctx, region, req.cluster);
        const task = findTask(cluster, requireString(req.task, 'task can not be blank.'));
        if (!task) throw invalidParameter('The referenced task was not found.');
        this.requestStop(task, 'UserInitiated', req.reason ?? 'Task stopped by user');
        return { task: taskView(ctx, task, false) };
      },
    };
  }
}

/** The cluster's tasks matching ListTasks' filters (desiredStatus RUNNING unless it says otherwise). */
function listTasks(cluster: ClusterRecord, req: Partial<ListTasksRequest>): TaskRecord[] {
  let source: Iterable<TaskRecord> = cluster.tasks.values();
  if (req.serviceName !== undefined) {
    const service = findService(cluster, req.serviceName);
    if (!service) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    source = service.tasks;
  }
  let instance: ContainerInstanceRecord | undefined;
  if (req.containerInstance !== undefined) {
    instance = findInstance(cluster, req.containerInstance);
    if (!instance) throw invalidParameter('The referenced container instance was not found.');
  }
  const desired = req.desiredStatus ?? 'RUNNING';
  const out: TaskRecord[] = [];
  for (const task of source) {
    if (task.desiredStatus !== desired) continue;
    if (instance && task.instance !== instance) continue;
    if (req.family !== undefined && task.taskDefinition.family !== req.family) continue;
    if (req.startedBy !== undefined && task.startedBy !== req.startedBy) continue;
    if (req.launchType !== undefined && task.launchType !== req.launchType) continue;
    out.push(task);
  }
  return out;
}

function date(ms: number | undefined): Date | undefined {
  return ms === undefined ? undefined : new Date(ms);
}

/** A private address and ENI ID derived from the task ID (stable, without storing them). */
function networkIdentity(task: TaskRecord): { ip: string; eni: string; attachmentId: string } {
  const byte = (i: number) => parseInt(task.id.slice(i, i + 2), 16);
  const h = task.id;
  return {
    ip: `10.0.${byte(0)}.${Math.max(4, byte(2))}`,
    eni: `eni-${h.slice(4, 21)}`,
    attachmentId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
  };
}

function containerStatus(task: TaskRecord): string {
  return task.lastStatus === 'PROVISIONING' ? 'PENDING' : task.lastStatus;
}

/** The task's containers: their status follows the task's; GPU IDs go to the containers that asked for GPUs. */
function containersView(ctx: EcsContext, task: TaskRecord): Container[] {
  const scope = scopeOf(ctx, task.cluster.region);
  const gpus = [...task.gpuIds];
  const awsvpc = task.taskDefinition.networkMode === 'awsvpc';
  const net = networkIdentity(task);
  return (task.taskDefinition.body.containerDefinitions ?? []).map((c, index): Container => {
    const wanted = (c.resourceRequirements ?? []).filter((r) => r.type === 'GPU').reduce((n, r) => n + Number(r.value ?? 0), 0);
    const gpuIds = gpus.splice(0, wanted);
    return {
      containerArn: containerArn(scope, task.cluster.name, task.id, index),
      taskArn: task.arn,
      name: c.name,
      image: c.image,
      ...(task.startedAt !== undefined && { runtimeId: `${task.id}-${index}` }),
      lastStatus: containerStatus(task),
      ...(task.lastStatus === 'STOPPED' && task.startedAt !== undefined && { exitCode: 0 }),
      ...(task.containerReason !== undefined && { reason: task.containerReason }),
      networkBindings: [],
      networkInterfaces: awsvpc ? [{ attachmentId: net.attachmentId, privateIpv4Address: net.ip }] : [],
      healthStatus: c.healthCheck ? task.healthStatus : 'UNKNOWN',
      cpu: String(c.cpu ?? 0),
      ...(c.memory !== undefined && { memory: String(c.memory) }),
      ...(c.memoryReservation !== undefined && { memoryReservation: String(c.memoryReservation) }),
      ...(gpuIds.length > 0 && { gpuIds }),
    };
  });
}

/** The ENI attachment of an awsvpc task. */
function attachments(task: TaskRecord): Attachment[] {
  if (task.taskDefinition.networkMode !== 'awsvpc') return [];
  const net = networkIdentity(task);
  const subnet = task.networkConfiguration?.awsvpcConfiguration?.subnets?.[0] ?? 'subnet-00000000';
  const status = task.lastStatus === 'STOPPED' ? 'DELETED' : task.lastStatus === 'PROVISIONING' ? 'PRECREATED' : 'ATTACHED';
  return [
    {
      id: net.attachmentId,
      type: 'ElasticNetworkInterface',
      status,
      details: [
        { name: 'subnetId', value: subnet },
        { name: 'networkInterfaceId', value: net.eni },
        { name: 'privateIPv4Address', value: net.ip },
      ],
    },
  ];
}

/** A task as DescribeTasks returns it. */
export function taskView(ctx: EcsContext, task: TaskRecord, includeTags: boolean): Task {
  const td = task.taskDefinition;
  const fargate = task.launchType === 'FARGATE';
  return {
    attachments: attachments(task),
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    clusterArn: task.cluster.arn,
    ...(task.startedAt !== undefined && { connectivity: task.lastStatus === 'STOPPED' ? 'DISCONNECTED' : 'CONNECTED', connectivityAt: date(task.pullStartedAt) }),
    ...(task.instance && { containerInstanceArn: task.instance.arn }),
    containers: containersView(ctx, task),
    ...(td.body.cpu !== undefined && { cpu: td.body.cpu }),
    ...(td.body.memory !== undefined && { memory: td.body.memory }),
    createdAt: new Date(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: task.enableExecuteCommand,
    group: taskGroup(task),
    healthStatus: task.healthStatus,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    ...(task.capacityProviderName !== undefined && { capacityProviderName: task.capacityProviderName }),
    overrides: { containerOverrides: (td.body.containerDefinitions ?? []).map((c) => ({ name: c.name })), inferenceAcceleratorOverrides: [] },
    ...(fargate && { platformVersion: task.platformVersion ?? '1.4.0', platformFamily: 'Linux', ephemeralStorage: { sizeInGiB: 20 } }),
    pullStartedAt: date(task.pullStartedAt),
    pullStoppedAt: date(task.pullStoppedAt),
    startedAt: date(task.startedAt),
    ...(task.startedBy !== undefined && { startedBy: task.startedBy }),
    ...(task.stopCode !== undefined && { stopCode: task.stopCode }),
    stoppingAt: date(task.stoppingAt),
    stoppedAt: date(task.stoppedAt),
    executionStoppedAt: date(task.stoppedAt),
    ...(task.stoppedReason !== undefined && { stoppedReason: task.stoppedReason }),
    ...(includeTags && { tags: tagsView(task.tags) }),
    taskArn: task.arn,
    taskDefinitionArn: td.arn,
    version: task.version,
  };
}
