/** What the simulated Auto Scaling holds: groups, their instances, tags and scaling activities. */
import { AwsError } from '../errors.ts';
import type { World } from '../world.ts';
import type { InstanceTypeSpec } from './instance-types.ts';

/** The lifecycle states this simulator uses (AWS has more, for hooks, warm pools and standby). */
export type LifecycleState = 'Pending' | 'InService' | 'Terminating' | 'Terminated';

/** The status codes this simulator reports (AWS has more, for Spot, hooks and warm-up). */
export type ActivityStatus = 'InProgress' | 'Successful' | 'Failed';

/** Why an instance is leaving: the group scaled in, or a TerminateInstanceInAutoScalingGroup call. */
export type TerminationReason = 'scale-in' | 'user-request';

export interface GroupTag {
  readonly key: string;
  value: string;
  propagateAtLaunch: boolean;
}

export interface Activity {
  readonly id: string;
  readonly description: string;
  readonly cause: string;
  readonly startTime: number;
  endTime: number | undefined;
  status: ActivityStatus;
  statusMessage: string | undefined;
  progress: number;
  /** JSON, as AWS gives it: `{"Subnet ID":"subnet-…","Availability Zone":"…"}`. */
  readonly details: string;
}

export interface Instance {
  readonly id: string;
  readonly group: Group;
  readonly availabilityZone: string;
  readonly launchedAt: number;
  /** Launch order within the simulator, to break ties stably. */
  readonly seq: number;
  lifecycleState: LifecycleState;
  protectedFromScaleIn: boolean;
  readonly gpuIds: readonly string[];
  /** Set once the ECS agent registered the instance with the group's cluster. */
  containerInstanceArn: string | undefined;
  /** Tasks it ran when its termination began (what scale-in would have killed). */
  tasksAtTermination: number | undefined;
  launchActivity: Activity;
  terminationActivity: Activity | undefined;
}

export interface Group {
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly instanceType: string;
  readonly spec: InstanceTypeSpec;
  readonly cluster: string;
  readonly bootSeconds: number;
  readonly terminationSeconds: number;
  readonly availabilityZones: readonly string[];
  /** One subnet per availability zone, as a VPC group has. */
  readonly subnets: Readonly<Record<string, string>>;
  readonly createdTime: number;
  readonly launchTemplate: { readonly id: string; readonly name: string };
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldown: number;
  healthCheckGracePeriod: number;
  newInstancesProtectedFromScaleIn: boolean;
  tags: GroupTag[];
  /** Launch order; terminated instances are removed. */
  readonly instances: Map<string, Instance>;
  /** Oldest first. */
  readonly activities: Activity[];
  /** Zones where EC2 has no capacity for the instance type (InsufficientInstanceCapacity). */
  readonly capacityShortage: Set<string>;
  /** The change of desired capacity the next scaling activity answers, for its Cause. */
  pendingChange: { readonly at: number; readonly text: string } | undefined;
  reconcileScheduled: boolean;
  /** Seconds before the next launch attempt after every zone failed (doubles, capped). */
  launchBackoffSeconds: number;
  launchRetryScheduled: boolean;
}

/** The shared state the operation modules work on. */
export interface AutoScalingStore {
  readonly world: World;
  /** `region/name` → group. */
  readonly groups: Map<string, Group>;
  nextSeq: number;
}

export function groupKey(region: string, name: string): string {
  return `${region}/${name}`;
}

/** Groups of a region, sorted by name as AWS lists them. */
export function groupsIn(store: AutoScalingStore, region: string): Group[] {
  return [...store.groups.values()].filter((g) => g.region === region).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The group, or AWS's not-found ValidationError (as Update, SetDesiredCapacity and others answer). */
export function requireGroup(store: AutoScalingStore, region: string, name: string): Group {
  const group = store.groups.get(groupKey(region, name));
  if (!group) throw new AwsError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup: ${name} not found`);
  return group;
}

/** Instances that count toward the group's capacity: launching or running, not leaving. */
export function liveInstances(group: Group): Instance[] {
  return [...group.instances.values()].filter((i) => i.lifecycleState === 'Pending' || i.lifecycleState === 'InService');
}

/** Lower-case hex digits from the world's seeded random source, so runs are reproducible. */
export function randomHex(world: World, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(world.random() * 16).toString(16);
  return out;
}

/** A version-4 UUID from the seeded random source. */
export function randomUuid(world: World): string {
  const h = randomHex(world, 32);
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `i-` and 17 hex digits, as EC2 has issued since 2016 (they start with 0 for years to come). */
export function newInstanceId(world: World): string {
  return `i-0${randomHex(world, 16)}`;
}

/** AWS's scaling-activity timestamps: ISO 8601 to the second, `2026-01-01T00:03:00Z`. */
export function causeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
