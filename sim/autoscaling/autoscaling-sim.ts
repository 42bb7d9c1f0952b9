/**
 * Simulated EC2 Auto Scaling (AWS Query): seeded groups whose instances launch, boot, join their ECS
 * cluster and terminate in simulated time as the desired capacity moves, respecting scale-in protection.
 */
import type { Operation, SimService, TaggedResource, TagSource, World } from '../world.ts';
import { activityOperations } from './activities.ts';
import { Fleet } from './fleet.ts';
import { groupOperations } from './groups.ts';
import { INSTANCE_TYPES, instanceTypeSpec } from './instance-types.ts';
import { instanceOperations } from './instances.ts';
import type { AutoScalingStore, Group } from './model.ts';
import { groupKey, groupsIn, randomHex, randomUuid, requireGroup } from './model.ts';
import { sortedTags, tagOperations } from './tags.ts';

/** An Auto Scaling group that exists before Berth runs (infrastructure Berth adopts). */
export interface AutoScalingGroupSeed {
  readonly name: string;
  readonly region?: string;
  /** One of {@link INSTANCE_TYPES}. */
  readonly instanceType: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Instances of a seeded capacity are InService from the start. */
  readonly desiredCapacity: number;
  /** The ECS cluster its instances join. */
  readonly cluster: string;
  /** From launch to InService. @defaultValue the behaviour's instanceBootSeconds */
  readonly bootSeconds?: number;
  /** From Terminating to Terminated (gone from the group). @defaultValue 30 */
  readonly terminationSeconds?: number;
  /** @defaultValue the region's zones a, b and c */
  readonly availabilityZones?: readonly string[];
  readonly tags?: readonly { readonly key: string; readonly value: string; readonly propagateAtLaunch?: boolean }[];
  /** @defaultValue false */
  readonly newInstancesProtectedFromScaleIn?: boolean;
  /** Zones where EC2 has no capacity for the instance type: launches there fail (InsufficientInstanceCapacity). */
  readonly capacityShortage?: readonly string[];
}

/** Terminating → Terminated when the seed says nothing: about what an EC2 shutdown takes. */
export const DEFAULT_TERMINATION_SECONDS = 30;

export class AutoScalingSim implements SimService, TagSource {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly world: World;
  private readonly store: AutoScalingStore;
  private readonly fleet: Fleet;

  constructor(world: World) {
    this.world = world;
    this.store = { world, groups: new Map(), nextSeq: 0 };
    this.fleet = new Fleet(this.store);
    this.operations = {
      ...groupOperations(this.store, this.fleet),
      ...instanceOperations(this.store, this.fleet),
      ...tagOperations(this.store),
      ...activityOperations(this.store),
    };
  }

  /** Adds a group as it stands before Berth runs. Throws on a seed AWS could not hold. */
  seedGroup(seed: AutoScalingGroupSeed): void {
    const region = seed.region ?? this.world.defaultRegion;
    const spec = instanceTypeSpec(seed.instanceType);
    if (!spec) throw new Error(`group ${seed.name}: unknown instance type ${seed.instanceType} (known: ${Object.keys(INSTANCE_TYPES).join(', ')})`);
    if (!(seed.minSize <= seed.desiredCapacity && seed.desiredCapacity <= seed.maxSize) || seed.minSize < 0) {
      throw new Error(`group ${seed.name}: needs 0 <= minSize <= desiredCapacity <= maxSize, got ${seed.minSize}, ${seed.desiredCapacity}, ${seed.maxSize}`);
    }
    if (this.store.groups.has(groupKey(region, seed.name))) throw new Error(`group ${seed.name} is already seeded in ${region}`);
    const zones = seed.availabilityZones && seed.availabilityZones.length > 0 ? [...seed.availabilityZones] : ['a', 'b', 'c'].map((s) => `${region}${s}`);
    const group: Group = {
      region,
      name: seed.name,
      arn: `arn:aws:autoscaling:${region}:${this.world.accountId}:autoScalingGroup:${randomUuid(this.world)}:autoScalingGroupName/${seed.name}`,
      instanceType: seed.instanceType,
      spec,
      cluster: seed.cluster,
      bootSeconds: seed.bootSeconds ?? this.world.behaviour.instanceBootSeconds,
      terminationSeconds: seed.terminationSeconds ?? DEFAULT_TERMINATION_SECONDS,
      availabilityZones: zones,
      subnets: Object.fromEntries(zones.map((z) => [z, `subnet-0${randomHex(this.world, 16)}`])),
      createdTime: this.world.scheduler.now,
      launchTemplate: { id: `lt-0${randomHex(this.world, 16)}`, name: `${seed.name}-lt` },
      minSize: seed.minSize,
      maxSize: seed.maxSize,
      desiredCapacity: seed.desiredCapacity,
      defaultCooldown: 300,
      healthCheckGracePeriod: 300,
      newInstancesProtectedFromScaleIn: seed.newInstancesProtectedFromScaleIn ?? false,
      tags: (seed.tags ?? []).map((t) => ({ key: t.key, value: t.value, propagateAtLaunch: t.propagateAtLaunch ?? false })),
      instances: new Map(),
      activities: [],
      capacityShortage: new Set(seed.capacityShortage ?? []),
      pendingChange: undefined,
      reconcileScheduled: false,
      launchBackoffSeconds: 0,
      launchRetryScheduled: false,
    };
    this.store.groups.set(groupKey(region, seed.name), group);
    this.fleet.seedInstances(group);
  }

  /**
   * Sets the zones where EC2 lacks capacity for the group's instance type (an empty list ends the
   * shortage; the group then launches what it still owes).
   */
  setCapacityShortage(groupName: string, zones: readonly string[], region: string = this.world.defaultRegion): void {
    const group = requireGroup(this.store, region, groupName);
    group.capacityShortage.clear();
    for (const zone of zones) group.capacityShortage.add(zone);
    this.fleet.scheduleReconcile(group);
  }

  /** For the Resource Groups Tagging API: the region's groups, by their AutoScalingGroupARN. */
  taggedResources(region: string): TaggedResource[] {
    return groupsIn(this.store, region).map((g) => ({ arn: g.arn, tags: sortedTags(g) }));
  }

  dump(): unknown {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      groups: [...this.store.groups.values()].map((g) => ({
        region: g.region,
        name: g.name,
        arn: g.arn,
        instanceType: g.instanceType,
        cluster: g.cluster,
        minSize: g.minSize,
        maxSize: g.maxSize,
        desiredCapacity: g.desiredCapacity,
        bootSeconds: g.bootSeconds,
        availabilityZones: g.availabilityZones,
        capacityShortage: [...g.capacityShortage],
        newInstancesProtectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
        tags: g.tags.map((t) => ({ ...t })),
        instances: [...g.instances.values()].map((i) => ({
          id: i.id,
          availabilityZone: i.availabilityZone,
          lifecycleState: i.lifecycleState,
          protectedFromScaleIn: i.protectedFromScaleIn,
          launchedAt: iso(i.launchedAt),
          containerInstanceArn: i.containerInstanceArn,
          gpuIds: i.gpuIds,
        })),
        activities: g.activities.map((a) => ({ id: a.id, description: a.description, status: a.status, startTime: iso(a.startTime), endTime: iso(a.endTime) })),
      })),
    };
  }
}
