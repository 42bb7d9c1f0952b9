/**
 * One QueueScaler at work: reads the BullMQ backlog every `pollSeconds` and at once on queue
 * events, decides (the pure `decide`), and moves the worker service and its Auto Scaling group:
 * up together; down with the service first, busy instances protected from scale-in, and the group
 * lowered only to the instances still running tasks. It publishes the backlog to CloudWatch.
 * The desired count and desired capacity it writes are its own fields: the Service and group
 * reconcilers never plan or revert them.
 */
import type { ReconcileError } from '../aws/errors.ts';
import type { AwsPorts } from '../engine/observe.ts';
import type { Condition, ResourceEvent, ResourceStatus } from '../engine/status.ts';
import type { Health } from '../engine/plan-types.ts';
import type { Logger } from '../log.ts';
import type { AutoScalingGroupManifest, QueueScalerManifest, ServiceManifest } from '../manifests/types.ts';
import { clusterRef } from '../manifests/types.ts';
import { decide, initialState, scalerPolicy } from './decision.ts';
import type { Decision, ScalerPolicy, ScalerState } from './decision.ts';
import { QueueBacklog } from './queue-backlog.ts';

/** What a scaler reports to Prometheus (BerthMetrics implements it). */
export interface ScalerMetrics {
  scalerObserved(scaler: string, backlog: number | undefined, tasks: number, instances: number): void;
  scalerDecided(scaler: string, direction: 'up' | 'down'): void;
  scalerFailed(scaler: string): void;
  scalerReacted(seconds: number): void;
}

export interface QueueScalerOptions {
  readonly scaler: QueueScalerManifest;
  /** The Service manifest it scales (its cluster and service name). */
  readonly service: ServiceManifest;
  /** The AutoScalingGroup manifest of the instances, if any (its name and size bounds). */
  readonly group?: AutoScalingGroupManifest;
  readonly region: string;
  readonly aws: AwsPorts;
  readonly redisUrl: string;
  readonly log: Logger;
  readonly metrics?: ScalerMetrics;
  /** Whether this process may write to AWS (the leader, or single-instance mode). @defaultValue always */
  readonly mayWrite?: () => boolean;
  /** Milliseconds: the decision's clock (tests pass the simulator's virtual one). @defaultValue Date.now */
  readonly now?: () => number;
  /** Real-time poll period, overriding the manifest's pollSeconds (tests). */
  readonly pollMs?: number;
  /** How often a pending step-down of the group looks at the instances again, real time. @defaultValue 5000 */
  readonly stepDownRecheckMs?: number;
  /** A queue read that takes longer fails (and the decision is held). @defaultValue 2000 */
  readonly readTimeoutMs?: number;
}

const MAX_EVENTS = 20;


export class QueueScaler {
  private readonly options: QueueScalerOptions;
  private readonly name: string;
  private readonly policy: ScalerPolicy;
  private readonly backlog: QueueBacklog;
  private readonly now: () => number;
  private readonly cluster: string;
  private readonly serviceName: string;
  private readonly groupName: string | undefined;
  private state: ScalerState = initialState();
  private decision: Decision | undefined;
  /** What was last written: the service's desired count and the group's desired capacity. */
  private applied: { tasks: number; instances: number } | undefined;
  private lastBacklog: number | undefined;
  private lastError: { message: string; since: number } | undefined;
  private lastPublished = Number.NEGATIVE_INFINITY;
  private lastStepDownCheck = Number.NEGATIVE_INFINITY;
  /** When the backlog was first seen above zero after an idle queue (for the reaction metric). */
  private wokeAt: number | undefined;
  private readonly events: ResourceEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(options: QueueScalerOptions) {
    this.options = options;
    this.name = options.scaler.metadata.name;
    this.policy = scalerPolicy(options.scaler.spec, options.group?.spec);
    this.now = options.now ?? Date.now;
    this.cluster = clusterRef(options.service.spec.cluster);
    this.serviceName = options.service.spec.serviceName ?? options.service.metadata.name;
    this.groupName = options.group ? (options.group.spec.autoScalingGroupName ?? options.group.metadata.name) : undefined;
    const q = options.scaler.spec.queue;
    this.backlog = new QueueBacklog({
      redisUrl: options.redisUrl,
      name: q.name,
      ...(q.prefix !== undefined && { prefix: q.prefix }),
      ...(q.states !== undefined && { states: q.states }),
      ...(options.readTimeoutMs !== undefined && { readTimeoutMs: options.readTimeoutMs }),
      onActivity: () => void this.tick('event'),
    });
  }

  /** Starts from the live desired count and capacity (a restart neither jumps nor forgets), then polls. */
  async start(): Promise<void> {
    try {
      const [service, group] = await Promise.all([
        this.options.aws.ecs(this.options.region).describeServices(this.cluster, [this.serviceName]),
        this.groupName === undefined ? Promise.resolve(undefined) : this.options.aws.autoscaling(this.options.region).describeGroups([this.groupName]),
      ]);
      const tasks = service.services[0]?.desiredCount ?? 0;
      const instances = group?.groups[0]?.DesiredCapacity ?? 0;
      this.state = initialState({ tasks, instances });
      this.applied = { tasks, instances };
    } catch (err) {
      this.options.log('warn', 'queue scaler: could not read the current desired count; starting from none', { scaler: this.name, error: errorText(err) });
    }
    this.backlog.watch();
    await this.tick('poll');
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const every = this.options.pollMs ?? (this.options.scaler.spec.pollSeconds ?? 1) * 1000;
    this.timer = setTimeout(() => {
      void this.tick('poll').finally(() => this.schedule());
    }, every);
    this.timer.unref();
  }

  /** Reads, decides, acts. Serialized: a tick asked while one runs runs once more after it. */
  tick(_why: 'poll' | 'event' = 'poll'): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<void> {
    const at = this.now();
    // Read: a failure is data too (held decision, never scale-in on missing data).
    let observation: { at: number; backlog: number } | { at: number; error: string };
    try {
      const backlog = await this.backlog.read();
      observation = { at, backlog };
      if (this.lastError) this.event('Normal', 'QueueReadable', `the queue is readable again after ${Math.round((at - this.lastError.since) / 1000)} s`);
      this.lastError = undefined;
      if ((this.lastBacklog ?? 0) === 0 && backlog > 0) this.wokeAt = performance.now();
      this.lastBacklog = backlog;
    } catch (err) {
      const message = errorText(err);
      observation = { at, error: message };
      if (!this.lastError) {
        this.lastError = { message, since: at };
        this.event('Warning', 'QueueUnreadable', `${message}; holding the last decision`);
        this.options.log('warn', 'queue scaler: queue unreadable, holding', { scaler: this.name, error: message });
      }
      this.options.metrics?.scalerFailed(this.name);
    }

    const { decision, state } = decide(this.state, observation, this.policy);
    this.state = state;
    const previous = this.decision;
    this.decision = decision;
    this.options.metrics?.scalerObserved(this.name, this.lastBacklog, decision.tasks, decision.instances);
    if (previous === undefined || previous.tasks !== decision.tasks || previous.instances !== decision.instances) {
      this.event('Normal', decision.direction === 'up' ? 'ScaledUp' : decision.direction === 'down' ? 'ScaledDown' : 'Decided', decision.reason);
    }

    if (this.options.mayWrite?.() === false) return;
    await this.act(decision);
    if ('backlog' in observation) await this.publish(observation.backlog, at);
  }

  /** Moves the service and the group toward the decision. */
  private async act(decision: Decision): Promise<void> {
    const applied = this.applied ?? { tasks: -1, instances: -1 };
    const ecs = this.options.aws.ecs(this.options.region);
    const autoscaling = this.options.aws.autoscaling(this.options.region);
    try {
      // Up: the group and the service together (tasks wait PENDING until instances register).
      if (decision.tasks > applied.tasks || (this.groupName !== undefined && decision.instances > applied.instances)) {
        const calls: Promise<unknown>[] = [];
        if (decision.tasks !== applied.tasks) calls.push(ecs.updateService({ cluster: this.cluster, service: this.serviceName, desiredCount: decision.tasks }));
        if (this.groupName !== undefined && decision.instances > applied.instances) calls.push(autoscaling.updateCapacity({ name: this.groupName, desiredCapacity: decision.instances }));
        if (this.wokeAt !== undefined) {
          this.options.metrics?.scalerReacted((performance.now() - this.wokeAt) / 1000);
          this.wokeAt = undefined;
        }
        await Promise.all(calls);
        this.options.metrics?.scalerDecided(this.name, 'up');
        this.options.log('info', 'queue scaler: scaled up', { scaler: this.name, tasks: decision.tasks, instances: decision.instances, reason: decision.reason });
        this.applied = { tasks: Math.max(decision.tasks, applied.tasks), instances: this.groupName === undefined ? decision.instances : Math.max(decision.instances, applied.instances) };
        return;
      }
      // Down: the service first; ECS stops idle tasks (a busy worker protects its own task).
      if (decision.tasks < applied.tasks) {
        await ecs.updateService({ cluster: this.cluster, service: this.serviceName, desiredCount: decision.tasks });
        this.options.metrics?.scalerDecided(this.name, 'down');
        this.options.log('info', 'queue scaler: scaled the service down', { scaler: this.name, tasks: decision.tasks, reason: decision.reason });
        this.applied = { tasks: decision.tasks, instances: applied.instances };
        this.lastStepDownCheck = Number.NEGATIVE_INFINITY;
      }
      // Then the group, down only to the instances still running tasks, busy ones protected.
      if (this.groupName !== undefined && decision.instances < (this.applied?.instances ?? applied.instances)) await this.stepGroupDown(decision.instances);
    } catch (err) {
      this.options.metrics?.scalerFailed(this.name);
      const reason = (err as Partial<ReconcileError>).reason ?? 'Error';
      this.event('Warning', 'ScaleFailed', `${reason}: ${errorText(err)}`);
      this.options.log('warn', 'queue scaler: scaling call failed; retrying on the next tick', { scaler: this.name, error: errorText(err) });
    }
  }

  /** Protects busy instances, releases idle ones, and lowers the group to max(decision, busy). */
  private async stepGroupDown(target: number): Promise<void> {
    const name = this.groupName;
    if (name === undefined) return;
    const wall = performance.now();
    // Instances drain as their tasks stop: look again every few seconds, not on every poll.
    if (wall - this.lastStepDownCheck < (this.options.stepDownRecheckMs ?? 5000)) return;
    this.lastStepDownCheck = wall;
    const ecs = this.options.aws.ecs(this.options.region);
    const autoscaling = this.options.aws.autoscaling(this.options.region);
    const [instances, groups] = await Promise.all([ecs.containerInstances(this.cluster), autoscaling.describeGroups([name])]);
    const group = groups.groups[0];
    if (!group) return;
    const busy = new Set(instances.filter((i) => i.tasks > 0).map((i) => i.ec2InstanceId));
    const members = (group.Instances ?? []).filter((i) => i.InstanceId !== undefined && /^(Pending|InService)/.test(i.LifecycleState ?? ''));
    const protect = members.filter((i) => busy.has(i.InstanceId ?? '') && i.ProtectedFromScaleIn !== true).map((i) => i.InstanceId ?? '');
    const release = members.filter((i) => !busy.has(i.InstanceId ?? '') && i.ProtectedFromScaleIn === true).map((i) => i.InstanceId ?? '');
    if (protect.length > 0) await autoscaling.setInstanceProtection(name, protect, true);
    if (release.length > 0) await autoscaling.setInstanceProtection(name, release, false);
    const busyMembers = members.filter((i) => busy.has(i.InstanceId ?? '')).length;
    const next = Math.max(target, busyMembers);
    if (next < (group.DesiredCapacity ?? 0)) {
      await autoscaling.updateCapacity({ name, desiredCapacity: next });
      this.options.log('info', 'queue scaler: lowered the group', { scaler: this.name, instances: next, busy: busyMembers, target });
    }
    this.applied = { tasks: this.applied?.tasks ?? 0, instances: next };
  }

  /** PutMetricData of the backlog, at most every intervalSeconds. */
  private async publish(backlog: number, at: number): Promise<void> {
    const spec = this.options.scaler.spec.publishMetric;
    if (!spec) return;
    if (at - this.lastPublished < (spec.intervalSeconds ?? 10) * 1000) return;
    this.lastPublished = at;
    try {
      await this.options.aws.cloudwatch(this.options.region).putMetricValue({ namespace: spec.namespace, metricName: spec.metricName, dimensions: { QueueName: this.options.scaler.spec.queue.name }, value: backlog, timestamp: new Date(at) });
    } catch (err) {
      this.options.metrics?.scalerFailed(this.name);
      this.options.log('warn', 'queue scaler: could not publish the backlog', { scaler: this.name, error: errorText(err) });
    }
  }

  private event(type: ResourceEvent['type'], reason: string, message: string): void {
    this.events.unshift({ time: new Date().toISOString(), type, reason, message });
    if (this.events.length > MAX_EVENTS) this.events.length = MAX_EVENTS;
  }

  /** The scaler as a resource of the status API: its decision, whether it is applied, and its decision log. */
  status(): ResourceStatus {
    const d = this.decision;
    const applied = this.applied;
    const inPlace = d !== undefined && applied !== undefined && applied.tasks === d.tasks && (this.groupName === undefined || applied.instances === d.instances);
    const health: Health = this.lastError
      ? { status: 'Degraded', message: `queue unreadable since ${new Date(this.lastError.since).toISOString()} (${this.lastError.message}); holding ${d?.tasks ?? '?'} tasks` }
      : d === undefined
        ? { status: 'Unknown', message: 'not decided yet' }
        : { status: inPlace ? 'Healthy' : 'Progressing', message: `backlog ${this.lastBacklog ?? '?'} → ${d.tasks} tasks, ${d.instances} instances${d.held ? ' (held)' : ''}` };
    const time = new Date().toISOString();
    const conditions: Condition[] = [
      { type: 'Ready', status: health.status === 'Healthy' ? 'True' : 'False', reason: this.lastError ? 'QueueUnreadable' : inPlace ? 'Scaled' : 'Scaling', message: d?.reason ?? health.message, lastTransitionTime: time },
    ];
    return {
      kind: 'QueueScaler',
      name: this.name,
      syncStatus: d === undefined ? 'Unknown' : inPlace ? 'Synced' : 'OutOfSync',
      health,
      conditions,
      events: [...this.events],
      diff: [],
      ...(this.lastError && { lastError: { reason: 'QueueUnreadable', message: this.lastError.message, time: new Date(this.lastError.since).toISOString() } }),
    };
  }

  /** The last decision (tests, status). */
  lastDecision(): Decision | undefined {
    return this.decision;
  }

  /** Stops polling and the queue's connections; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.backlog.close();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
