/**
 * The ECS service scheduler: after anything that matters to a service (created, updated, a task
 * started, became healthy or stopped, capacity appeared, protection lapsed) it runs a pass that
 * drives the service toward its desired count, rolls deployments within minimumHealthyPercent and
 * maximumPercent, places EC2 tasks, and trips the deployment circuit breaker.
 *
 * Passes are events on the world's scheduler, at most one pending per service: nothing polls.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
 */
import type { NetworkConfiguration } from '@aws-sdk/client-ecs';
import type { ClusterRecord, DeploymentRecord, ServiceRecord, ServiceRuntime, TaskDefinitionRecord, TaskRecord } from './model.ts';
import { choosePlacement } from './placement.ts';
import type { PlacementOutcome } from './placement.ts';
import { addPlacementFailure, addServiceEvent, serviceMessages } from './service-events.ts';
import type { EcsContext } from './store.ts';
import { now } from './store.ts';
import { Tasks } from './tasks.ts';
import type { TaskObserver } from './tasks.ts';

/** How long an INACTIVE service stays visible to DescribeServices. */
const INACTIVE_RETENTION_MS = 3600_000;

/** A task that counts toward minimumHealthyPercent: RUNNING, and HEALTHY if its containers have a health check. */
export function isHealthy(task: TaskRecord): boolean {
  return task.desiredStatus === 'RUNNING' && task.lastStatus === 'RUNNING' && (!task.taskDefinition.hasHealthCheck || task.healthStatus === 'HEALTHY');
}

/** The circuit breaker's failure threshold: half the desired count, at least 3 and at most 200. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(Math.max(Math.ceil(desiredCount * 0.5), 3), 200);
}

/** Tasks to stop first: not yet running, then unhealthy, then the newest. */
function byStopPreference(tasks: readonly TaskRecord[]): TaskRecord[] {
  const rank = (t: TaskRecord) => (t.lastStatus !== 'RUNNING' ? 0 : isHealthy(t) ? 2 : 1);
  return [...tasks].sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt);
}

interface PassPlan {
  readonly stops: TaskRecord[];
  readonly starts: number;
  /** When a protected task that blocked a stop loses its protection. */
  readonly wakeAt: number | undefined;
}

export class ServiceScheduler implements TaskObserver {
  readonly tasks: Tasks;
  private readonly ctx: EcsContext;

  constructor(ctx: EcsContext) {
    this.ctx = ctx;
    this.tasks = new Tasks(ctx, this);
  }

  /** Schedules a pass for the service at `at` (now by default), unless one is already due by then. */
  requestPass(service: ServiceRecord, at: number = now(this.ctx)): void {
    if (service.passAt !== undefined && service.passAt <= at) return;
    service.passAt = at;
    this.ctx.world.scheduler.at(at, `ecs service ${service.name} pass`, () => {
      // A pass requested earlier than this one took its place.
      if (service.passAt !== at) return;
      service.passAt = undefined;
      this.pass(service);
    });
  }

  /**
   * A new PRIMARY deployment of `td` on `runtime` (the service's by default); the previous PRIMARY
   * becomes ACTIVE and drains.
   */
  createDeployment(
    service: ServiceRecord,
    td: TaskDefinitionRecord,
    networkConfiguration: NetworkConfiguration | undefined,
    runtime: ServiceRuntime = service.runtime,
    reason?: string,
  ): DeploymentRecord {
    const id = this.ctx.ids.deploymentId();
    const at = now(this.ctx);
    for (const d of service.deployments) {
      if (d.status !== 'PRIMARY') continue;
      d.status = 'ACTIVE';
      d.updatedAt = at;
    }
    const deployment: DeploymentRecord = {
      id,
      status: 'PRIMARY',
      taskDefinition: td,
      createdAt: at,
      updatedAt: at,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: reason ?? `ECS deployment ${id} in progress.`,
      failedTasks: 0,
      runtime,
      networkConfiguration,
    };
    service.deployments.unshift(deployment);
    service.steady = false;
    this.requestPass(service);
    return deployment;
  }

  // TaskObserver: what the tasks tell the scheduler.

  taskChanged(task: TaskRecord): void {
    if (task.service) this.requestPass(task.service);
  }

  taskFailed(task: TaskRecord): void {
    const service = task.service;
    if (!service || service.status !== 'ACTIVE') return;
    const deployment = service.deployments.find((d) => d.id === task.deploymentId);
    if (!deployment) return;
    deployment.failedTasks++;
    deployment.updatedAt = now(this.ctx);
    const breaker = service.deploymentSettings.circuitBreaker;
    if (!breaker.enable || deployment.status !== 'PRIMARY' || deployment.rolloutState !== 'IN_PROGRESS') return;
    if (deployment.failedTasks >= circuitBreakerThreshold(service.desiredCount)) this.failDeployment(service, deployment);
  }

  capacityFreed(cluster: ClusterRecord): void {
    for (const service of cluster.waitingForCapacity) this.requestPass(service);
  }

  /** An instance joined the cluster: services waiting for capacity try again. */
  capacityAdded(cluster: ClusterRecord): void {
    this.capacityFreed(cluster);
  }

  /** A task's protection changed: its service may now stop it (or must not). */
  protectionChanged(task: TaskRecord): void {
    if (task.service) this.requestPass(task.service);
  }

  /** DeleteService: the service drains (its tasks stop) and becomes INACTIVE. */
  drainService(service: ServiceRecord): void {
    service.status = 'DRAINING';
    service.desiredCount = 0;
    service.deletedAt = now(this.ctx);
    service.cluster.waitingForCapacity.delete(service);
    this.requestPass(service);
  }

  /** One pass: plan the stops and starts, carry them out, then see whether the rollout completed. */
  private pass(service: ServiceRecord): void {
    if (service.status === 'INACTIVE') return;
    if (service.status === 'DRAINING') {
      this.drain(service);
      return;
    }
    this.reapDeployments(service);
    const primary = service.deployments[0];
    if (!primary) return;
    const plan = this.plan(service, primary);
    this.stopTasks(service, plan.stops);
    this.startTasks(service, primary, plan.starts);
    this.updateRollout(service, primary);
    if (plan.wakeAt !== undefined) this.requestPass(service, plan.wakeAt);
  }

  /**
   * Drops ACTIVE deployments whose tasks have all stopped; a FAILED one stays listed until the
   * PRIMARY deployment completes, so that the failure can be seen.
   */
  private reapDeployments(service: ServiceRecord): void {
    const live = new Set<string | undefined>();
    for (const task of service.tasks) if (task.lastStatus !== 'STOPPED') live.add(task.deploymentId);
    service.deployments = service.deployments.filter((d) => d.status === 'PRIMARY' || d.rolloutState === 'FAILED' || live.has(d.id));
  }

  /**
   * What this pass does, as the ECS rolling update does it:
   * 1. scale-in: the PRIMARY deployment's tasks beyond the desired count stop;
   * 2. older deployments' tasks stop, not yet healthy ones first, healthy ones only while the
   *    healthy tasks stay above minimumHealthyPercent;
   * 3. new PRIMARY tasks start up to the desired count, within maximumPercent (tasks still
   *    stopping count, as they hold their resources).
   * A task under scale-in protection is never chosen; the pass comes back when its protection lapses.
   */
  private plan(service: ServiceRecord, primary: DeploymentRecord): PassPlan {
    const desired = service.desiredCount;
    const { maximumPercent, minimumHealthyPercent } = service.deploymentSettings;
    const maxInFlight = Math.floor((desired * maximumPercent) / 100);
    const minHealthy = Math.ceil((desired * minimumHealthyPercent) / 100);
    let inFlight = 0;
    const primaryAlive: TaskRecord[] = [];
    const oldAlive: TaskRecord[] = [];
    for (const task of service.tasks) {
      if (task.lastStatus !== 'STOPPED') inFlight++;
      if (task.desiredStatus !== 'RUNNING') continue;
      (task.deploymentId === primary.id ? primaryAlive : oldAlive).push(task);
    }
    let wakeAt: number | undefined;
    const stoppable = (task: TaskRecord): boolean => {
      if (!this.tasks.isProtected(task)) return true;
      wakeAt = Math.min(wakeAt ?? Infinity, task.protectedUntil ?? Infinity);
      return false;
    };
    const stops: TaskRecord[] = [];
    // Step 1: scale-in of the PRIMARY deployment.
    for (const task of byStopPreference(primaryAlive)) {
      if (primaryAlive.length - stops.length <= desired) break;
      if (stoppable(task)) stops.push(task);
    }
    // Step 2: older deployments drain, keeping minimumHealthyPercent healthy.
    let healthy = [...primaryAlive, ...oldAlive].filter(isHealthy).length - stops.filter(isHealthy).length;
    for (const task of byStopPreference(oldAlive)) {
      const wasHealthy = isHealthy(task);
      if (wasHealthy && healthy <= minHealthy) continue;
      if (!stoppable(task)) continue;
      stops.push(task);
      if (wasHealthy) healthy--;
    }
    // Step 3: new tasks (none for a deployment the circuit breaker failed without rollback).
    const primaryLeft = primaryAlive.length - stops.filter((t) => t.deploymentId === primary.id).length;
    const starts = primary.rolloutState === 'FAILED' ? 0 : Math.max(0, Math.min(desired - primaryLeft, maxInFlight - inFlight));
    return { stops, starts, wakeAt };
  }

  private stopTasks(service: ServiceRecord, stops: readonly TaskRecord[]): void {
    const stopped: string[] = [];
    for (const task of stops) {
      if (this.tasks.requestStop(task, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${task.deploymentId ?? ''})`)) stopped.push(task.id);
    }
    if (stopped.length > 0) addServiceEvent(this.ctx, service, serviceMessages.stopped(service.name, stopped));
  }

  /**
   * Starts `count` tasks of the PRIMARY deployment. An EC2 task that fits no container instance is
   * not created at all (as in ECS): the service logs why and waits for capacity to appear.
   */
  private startTasks(service: ServiceRecord, primary: DeploymentRecord, count: number): void {
    const started: string[] = [];
    let unplaced: PlacementOutcome | undefined;
    for (let i = 0; i < count; i++) {
      let placement;
      if (primary.runtime.launchType === 'EC2') {
        const outcome = choosePlacement(service, primary.taskDefinition, () => this.ctx.world.random());
        if (!outcome.ok) {
          unplaced = outcome;
          break;
        }
        placement = { instance: outcome.instance, gpuIds: outcome.gpuIds };
      }
      started.push(this.tasks.launch(service, primary, placement).id);
    }
    if (started.length > 0) addServiceEvent(this.ctx, service, serviceMessages.started(service.name, started));
    if (unplaced && !unplaced.ok) {
      const message = unplaced.instanceId === undefined ? serviceMessages.noContainerInstances(service.name) : serviceMessages.closestMatch(service.name, unplaced.instanceId, unplaced.reason);
      addPlacementFailure(this.ctx, service, message);
      service.cluster.waitingForCapacity.add(service);
    } else {
      service.cluster.waitingForCapacity.delete(service);
      if (started.length > 0) service.lastPlacementFailure = undefined;
    }
  }

  /** COMPLETED once the PRIMARY deployment alone runs the desired count, healthy; then a steady state. */
  private updateRollout(service: ServiceRecord, primary: DeploymentRecord): void {
    let healthy = 0;
    let others = 0;
    for (const task of service.tasks) {
      if (task.lastStatus === 'STOPPED') continue;
      if (task.deploymentId === primary.id && isHealthy(task)) healthy++;
      else others++;
    }
    // Settled: only the PRIMARY deployment's tasks are left, as many as desired, all healthy.
    const settled = healthy === service.desiredCount && others === 0;
    if (settled && primary.rolloutState === 'IN_PROGRESS') this.completeDeployment(service, primary);
    const steady = settled && primary.rolloutState === 'COMPLETED' && service.deployments.length === 1;
    if (steady && !service.steady) addServiceEvent(this.ctx, service, serviceMessages.steadyState(service.name));
    service.steady = steady;
  }

  /** The rollout is done: the deployment is the service's only one and what a rollback returns to. */
  private completeDeployment(service: ServiceRecord, deployment: DeploymentRecord): void {
    service.deployments = [deployment];
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
    deployment.updatedAt = now(this.ctx);
    service.lastCompleted = deployment;
    addServiceEvent(this.ctx, service, serviceMessages.deploymentCompleted(service.name, deployment.id));
    this.ctx.world.record({
      service: 'ecs',
      type: 'deployment-completed',
      detail: { cluster: service.cluster.name, service: service.name, deploymentId: deployment.id, taskDefinition: deployment.taskDefinition.arn },
    });
  }

  /** The circuit breaker trips: the deployment FAILED, and with rollback the last COMPLETED one returns. */
  private failDeployment(service: ServiceRecord, deployment: DeploymentRecord): void {
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    deployment.updatedAt = now(this.ctx);
    addServiceEvent(this.ctx, service, serviceMessages.deploymentFailed(service.name, deployment.id));
    const target = service.deploymentSettings.circuitBreaker.rollback ? service.lastCompleted : undefined;
    this.ctx.world.record({
      service: 'ecs',
      type: 'deployment-failed',
      detail: {
        cluster: service.cluster.name,
        service: service.name,
        deploymentId: deployment.id,
        taskDefinition: deployment.taskDefinition.arn,
        failedTasks: deployment.failedTasks,
        rollbackTo: target?.id,
      },
    });
    if (target) this.rollback(service, target);
    this.requestPass(service);
  }

  /**
   * A new PRIMARY deployment of the last completed deployment's task definition, network
   * configuration, launch type or capacity provider strategy, and platform version. It rolls like
   * any deployment: fresh tasks, then the older deployments drain.
   */
  private rollback(service: ServiceRecord, target: DeploymentRecord): void {
    this.createDeployment(service, target.taskDefinition, target.networkConfiguration, target.runtime, `ECS deployment circuit breaker: rolling back to deploymentId ${target.id}.`);
    addServiceEvent(this.ctx, service, serviceMessages.rollingBack(service.name, target.id));
  }

  /** A deleted service stops every task (protected or not); INACTIVE once they stopped and the drain time passed. */
  private drain(service: ServiceRecord): void {
    const stopped: string[] = [];
    let live = 0;
    for (const task of service.tasks) {
      if (task.desiredStatus === 'RUNNING' && this.tasks.requestStop(task, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${task.deploymentId ?? ''})`)) stopped.push(task.id);
      if (task.lastStatus !== 'STOPPED') live++;
    }
    if (stopped.length > 0) addServiceEvent(this.ctx, service, serviceMessages.stopped(service.name, stopped));
    const drainedAt = (service.deletedAt ?? now(this.ctx)) + this.ctx.world.behaviour.serviceDrainSeconds * 1000;
    if (live > 0) return;
    if (now(this.ctx) < drainedAt) {
      this.requestPass(service, drainedAt);
      return;
    }
    service.status = 'INACTIVE';
    const { cluster, name } = service;
    this.ctx.world.scheduler.after(INACTIVE_RETENTION_MS, `ecs service ${name} purge`, () => {
      if (cluster.services.get(name) === service) cluster.services.delete(name);
    });
  }
}
