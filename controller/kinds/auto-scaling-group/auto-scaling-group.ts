/**
 * The Auto Scaling group of an AutoScalingGroup manifest: the sizes Berth keeps it at, and the diff
 * against DescribeAutoScalingGroups. Berth never creates or deletes groups; it only sizes them.
 * Pure: no I/O.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { FieldChange } from '../../engine/plan-types.ts';
import type { AutoScalingGroupManifest } from '../../manifests/types.ts';

/** The UpdateAutoScalingGroup sizes Berth sets. No desiredCapacity: Berth leaves it as it is. */
export interface DesiredGroup {
  readonly name: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredCapacity?: number;
}

export interface DesiredGroupOptions {
  /**
   * A QueueScaler targets this group, so it (not the manifest) owns the desired capacity: the
   * manifest's desiredCapacity, if any, is left out.
   */
  readonly desiredCapacityOwnedElsewhere: boolean;
}

/** The sizes of an AutoScalingGroup manifest; the group's name defaults to `metadata.name`. */
export function desiredGroup(manifest: AutoScalingGroupManifest, options: DesiredGroupOptions): DesiredGroup {
  const s = manifest.spec;
  return {
    name: s.autoScalingGroupName ?? manifest.metadata.name,
    minSize: s.minSize,
    maxSize: s.maxSize,
    ...(s.desiredCapacity !== undefined && !options.desiredCapacityOwnedElsewhere && { desiredCapacity: s.desiredCapacity }),
  };
}

/**
 * The sizes that differ, observed → desired, in the order minSize, maxSize, desiredCapacity.
 * desiredCapacity is compared only when the desired group has one (it is absent when the manifest
 * leaves it out or a QueueScaler owns it).
 */
export function diffGroup(desired: DesiredGroup, observed: AutoScalingGroup): FieldChange[] {
  const changes: FieldChange[] = [];
  const compare = (path: 'minSize' | 'maxSize' | 'desiredCapacity', want: number | undefined, have: number | undefined) => {
    if (want !== undefined && want !== have) changes.push({ path, from: have, to: want });
  };
  compare('minSize', desired.minSize, observed.MinSize);
  compare('maxSize', desired.maxSize, observed.MaxSize);
  compare('desiredCapacity', desired.desiredCapacity, observed.DesiredCapacity);
  return changes;
}
