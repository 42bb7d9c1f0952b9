/**
 * The instance lifecycle of the simulated groups: launching toward the desired capacity (balanced
 * across zones), booting, joining the ECS cluster, scale-in by the default termination policy
 * (never an instance protected from scale-in) and termination.
 */
import { finishActivity, startActivity } from './activities.ts';
import type { Activity, AutoScalingStore, Group, Instance, TerminationReason } from './model.ts';
import { causeTime, liveInstances, newInstanceId, randomUuid } from './model.ts';
import { ecsResources } from './instance-types.ts';

/** The ECS agent retries registration this often while the cluster does not exist (simulated seconds). */
export const ECS_REGISTER_RETRY_SECONDS = 30;
/** First wait before launching again after every zone lacked capacity; doubles up to the cap. */
export const LAUNCH_RETRY_SECONDS = 10;
export const LAUNCH_RETRY_MAX_SECONDS = 300;
const HOUR_MS = 3_600_000;

export class Fleet {
  private readonly store: AutoScalingStore;

  constructor(store: AutoScalingStore) {
    this.store = store;
  }

  private get world() {
    return this.store.world;
  }

  /**
   * The desired capacity changed: remember why (the next activity's Cause starts with it) and let
   * the group act on it. It acts asynchronously, as AWS does: the call returns first, the scaling
   * activity starts right after (here: when the simulator next runs its queue, i.e. by the next call).
   */
  desiredChanged(group: Group, text: string): void {
    group.pendingChange = { at: this.world.scheduler.now, text };
    this.scheduleReconcile(group);
  }

  scheduleReconcile(group: Group): void {
    if (group.reconcileScheduled) return;
    group.reconcileScheduled = true;
    this.world.scheduler.after(0, `autoscaling:reconcile ${group.name}`, () => this.reconcile(group));
  }

  /** Launches or terminates until the live instances (Pending and InService) match the desired capacity. */
  reconcile(group: Group): void {
    group.reconcileScheduled = false;
    const change = group.pendingChange;
    group.pendingChange = undefined;
    const live = liveInstances(group);
    const prefix = change ? `At ${causeTime(change.at)} ${change.text}.  ` : '';
    const now = causeTime(this.world.scheduler.now);
    if (live.length < group.desiredCapacity) {
      const cause = `${prefix}At ${now} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${live.length} to ${group.desiredCapacity}.`;
      this.launch(group, group.desiredCapacity - live.length, cause);
    } else if (live.length > group.desiredCapacity) {
      // Protected instances stay: when too few are unprotected the group remains above its desired
      // capacity until protection is removed (SetInstanceProtection reconciles again).
      const victims = this.selectForScaleIn(group, live.length - group.desiredCapacity);
      const base = `${prefix}At ${now} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${live.length} to ${group.desiredCapacity}.`;
      for (const victim of victims) this.terminate(victim, `${base}  At ${now} instance ${victim.id} was selected for termination.`, 'scale-in');
    }
  }

  /** Instances already running when the simulator starts (seeded desired capacity above 0). */
  seedInstances(group: Group): void {
    const cause = `At ${causeTime(this.world.scheduler.now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to ${group.desiredCapacity}.`;
    for (let i = 0; i < group.desiredCapacity; i++) {
      const zone = this.balancedZone(group, new Set());
      if (zone === undefined) break;
      this.becomeInService(this.createInstance(group, zone, cause, false));
    }
  }

  /** Launches `count` instances, each in the zone with the fewest; a zone without capacity fails the attempt there. */
  private launch(group: Group, count: number, cause: string): void {
    for (let n = 0; n < count; n++) {
      const tried = new Set<string>();
      let launched = false;
      for (let zone = this.balancedZone(group, tried); zone !== undefined && !launched; zone = this.balancedZone(group, tried)) {
        tried.add(zone);
        if (group.capacityShortage.has(zone)) this.failLaunch(group, zone, cause);
        else {
          this.createInstance(group, zone, cause, true);
          launched = true;
        }
      }
      if (!launched) {
        this.scheduleLaunchRetry(group);
        return;
      }
    }
    group.launchBackoffSeconds = 0;
  }

  /** The zone with the fewest live instances (ties: the group's zone order), among those not tried. */
  private balancedZone(group: Group, tried: ReadonlySet<string>): string | undefined {
    const live = liveInstances(group);
    let best: string | undefined;
    let bestCount = Infinity;
    for (const zone of group.availabilityZones) {
      if (tried.has(zone)) continue;
      const count = live.filter((i) => i.availabilityZone === zone).length;
      if (count < bestCount) {
        best = zone;
        bestCount = count;
      }
    }
    return best;
  }

  /** EC2's InsufficientInstanceCapacity, recorded as a Failed activity in AWS's words. */
  private failLaunch(group: Group, zone: string, cause: string): void {
    const elsewhere = group.availabilityZones.filter((z) => z !== zone && !group.capacityShortage.has(z));
    const reason =
      `We currently do not have sufficient ${group.instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity.` +
      (elsewhere.length > 0 ? ` You can currently get ${group.instanceType} capacity by not specifying an Availability Zone in your request or choosing ${elsewhere.join(', ')}.` : '') +
      ' Launching EC2 instance failed.';
    startActivity(this.store, group, { description: `Launching a new EC2 instance.  Status Reason: ${reason}`, cause, availabilityZone: zone, status: 'Failed', statusMessage: reason });
  }

  /** Every zone lacked capacity: try again later, waiting longer each time (AWS backs off similarly). */
  private scheduleLaunchRetry(group: Group): void {
    if (group.launchRetryScheduled) return;
    group.launchBackoffSeconds = Math.min(LAUNCH_RETRY_MAX_SECONDS, group.launchBackoffSeconds === 0 ? LAUNCH_RETRY_SECONDS : group.launchBackoffSeconds * 2);
    group.launchRetryScheduled = true;
    this.world.scheduler.after(group.launchBackoffSeconds * 1000, `autoscaling:launch-retry ${group.name}`, () => {
      group.launchRetryScheduled = false;
      this.reconcile(group);
    });
  }

  private createInstance(group: Group, zone: string, cause: string, boot: boolean): Instance {
    const id = newInstanceId(this.world);
    const gpuIds = Array.from({ length: group.spec.gpus }, () => `GPU-${randomUuid(this.world)}`);
    const launchActivity = startActivity(this.store, group, { description: `Launching a new EC2 instance: ${id}`, cause, availabilityZone: zone });
    const instance: Instance = {
      id,
      group,
      availabilityZone: zone,
      launchedAt: this.world.scheduler.now,
      seq: this.store.nextSeq++,
      lifecycleState: 'Pending',
      protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
      gpuIds,
      containerInstanceArn: undefined,
      tasksAtTermination: undefined,
      launchActivity,
      terminationActivity: undefined,
    };
    group.instances.set(id, instance);
    this.recordEvent('instance-launched', instance);
    if (boot) {
      this.world.scheduler.after(group.bootSeconds * 1000, `autoscaling:boot ${id}`, () => {
        if (instance.lifecycleState === 'Pending') this.becomeInService(instance);
      });
    }
    return instance;
  }

  private becomeInService(instance: Instance): void {
    instance.lifecycleState = 'InService';
    finishActivity(this.store, instance.launchActivity);
    this.recordEvent('instance-in-service', instance);
    this.registerWithEcs(instance);
  }

  /** The ECS agent registers the booted instance; while the cluster is missing it retries, as the real agent does. */
  private registerWithEcs(instance: Instance): void {
    if (instance.lifecycleState !== 'InService' || instance.containerInstanceArn !== undefined) return;
    const { group } = instance;
    const { cpu, memory } = ecsResources(group.spec);
    const arn = this.world.ecs.registerContainerInstance({
      region: group.region,
      cluster: group.cluster,
      ec2InstanceId: instance.id,
      instanceType: group.instanceType,
      availabilityZone: instance.availabilityZone,
      cpu,
      memory,
      gpuIds: instance.gpuIds,
    });
    if (arn !== undefined) instance.containerInstanceArn = arn;
    else this.world.scheduler.after(ECS_REGISTER_RETRY_SECONDS * 1000, `autoscaling:ecs-register ${instance.id}`, () => this.registerWithEcs(instance));
  }

  /**
   * Takes the instance out of service: Terminating at once (its ECS tasks stop), Terminated and gone
   * from the group after the group's termination time. Idempotent: a terminating instance answers
   * with the activity already under way.
   */
  terminate(instance: Instance, cause: string, reason: TerminationReason): Activity {
    if (instance.terminationActivity) return instance.terminationActivity;
    const { group } = instance;
    const tasks = this.world.ecs.tasksOnInstance(group.region, instance.id);
    instance.tasksAtTermination = tasks;
    if (instance.launchActivity.status === 'InProgress') finishActivity(this.store, instance.launchActivity);
    instance.lifecycleState = 'Terminating';
    const activity = startActivity(this.store, group, { description: `Terminating EC2 instance: ${instance.id}`, cause, availabilityZone: instance.availabilityZone });
    instance.terminationActivity = activity;
    this.recordEvent('instance-terminating', instance, { reason });
    this.world.ecs.deregisterContainerInstance(group.region, instance.id);
    this.world.scheduler.after(group.terminationSeconds * 1000, `autoscaling:terminated ${instance.id}`, () => {
      instance.lifecycleState = 'Terminated';
      group.instances.delete(instance.id);
      finishActivity(this.store, activity);
      this.recordEvent('instance-terminated', instance, { reason });
    });
    return activity;
  }

  /**
   * AWS's Default termination policy, simplified: only instances not protected from scale-in; the
   * zone with the most instances (that has an unprotected one); then (every instance here shares one
   * launch template version, so that step never decides) the instance closest to the next billing
   * hour; remaining ties at random (seeded).
   */
  private selectForScaleIn(group: Group, count: number): Instance[] {
    const chosen = new Set<Instance>();
    const now = this.world.scheduler.now;
    for (let n = 0; n < count; n++) {
      const remaining = liveInstances(group).filter((i) => !chosen.has(i));
      const candidates = remaining.filter((i) => !i.protectedFromScaleIn);
      if (candidates.length === 0) break;
      const perZone = (zone: string) => remaining.filter((i) => i.availabilityZone === zone).length;
      const most = Math.max(...candidates.map((i) => perZone(i.availabilityZone)));
      const inZone = candidates.filter((i) => perZone(i.availabilityZone) === most);
      const billing = (i: Instance) => (now - i.launchedAt) % HOUR_MS;
      const closest = Math.max(...inZone.map(billing));
      const finalists = inZone.filter((i) => billing(i) === closest);
      const pick = finalists[Math.floor(this.world.random() * finalists.length)] ?? finalists[0];
      if (pick) chosen.add(pick);
    }
    return [...chosen];
  }

  /** History for tests: tasksRunning is what the instance ran then (for a termination: when it began). */
  private recordEvent(type: 'instance-launched' | 'instance-in-service' | 'instance-terminating' | 'instance-terminated', instance: Instance, extra: Record<string, unknown> = {}): void {
    const { group } = instance;
    const tasksRunning = instance.tasksAtTermination ?? this.world.ecs.tasksOnInstance(group.region, instance.id);
    this.world.record({
      service: 'autoscaling',
      type,
      detail: {
        group: group.name,
        region: group.region,
        instanceId: instance.id,
        instanceType: group.instanceType,
        availabilityZone: instance.availabilityZone,
        protected: instance.protectedFromScaleIn,
        tasksRunning,
        ...extra,
      },
    });
  }
}
