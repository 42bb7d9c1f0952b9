/**
 * Inventory: everything this Berth instance owns in AWS (tagged `berth.dev/managed-by=<instance>`),
 * found with the Resource Groups Tagging API in one paginated call per region, and what of it git no
 * longer declares (orphans). Discovery does I/O; pairing owned resources with manifests is pure.
 */
import type { TaggingPort } from '../aws/ports.ts';
import type { ManifestEntry } from '../manifests/types.ts';
import { clusterRef } from '../manifests/types.ts';
import { TAG_MANAGED_BY, TAG_MANIFEST } from './ownership.ts';

/** On any owned resource: `false` keeps it out of prune (it is still reported as orphaned). */
export const TAG_PRUNE = 'berth.dev/prune';

export type OwnedKind = 'Cluster' | 'Service' | 'TaskDefinition' | 'Alarm' | 'AutoScalingGroup';

/** One resource this Berth instance owns. */
export interface OwnedResource {
  readonly kind: OwnedKind;
  readonly region: string;
  readonly arn: string;
  /**
   * What the resource is called in its service: the cluster name, `cluster/service`, the task
   * definition `family:revision`, the alarm name, the group name.
   */
  readonly id: string;
  readonly tags: ReadonlyMap<string, string>;
}

/** The Tagging API resource types of each kind. Task definitions are asked for only when pruning (see `discoverOwned`). */
const RESOURCE_TYPES: Readonly<Record<OwnedKind, string>> = {
  Cluster: 'ecs:cluster',
  Service: 'ecs:service',
  TaskDefinition: 'ecs:task-definition',
  Alarm: 'cloudwatch:alarm',
  AutoScalingGroup: 'autoscaling:autoScalingGroup',
};

/**
 * The kind, region and id of an ARN Berth may own; undefined for any other ARN.
 * - `arn:aws:ecs:R:A:cluster/NAME`
 * - `arn:aws:ecs:R:A:service/CLUSTER/NAME` (the old form `service/NAME` has no cluster: skipped)
 * - `arn:aws:ecs:R:A:task-definition/FAMILY:REV`
 * - `arn:aws:cloudwatch:R:A:alarm:NAME` (a name may itself contain colons)
 * - `arn:aws:autoscaling:R:A:autoScalingGroup:UUID:autoScalingGroupName/NAME`
 */
export function parseOwnedArn(arn: string): { kind: OwnedKind; region: string; id: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const service = parts[2];
  const region = parts[3] ?? '';
  const resource = parts.slice(5).join(':');
  if (service === 'ecs') {
    const [type, ...rest] = resource.split('/');
    if (type === 'cluster' && rest.length === 1) return { kind: 'Cluster', region, id: rest[0] ?? '' };
    if (type === 'service' && rest.length === 2) return { kind: 'Service', region, id: rest.join('/') };
    if (type === 'task-definition' && rest.length === 1) return { kind: 'TaskDefinition', region, id: rest[0] ?? '' };
    return undefined;
  }
  if (service === 'cloudwatch' && resource.startsWith('alarm:')) return { kind: 'Alarm', region, id: resource.slice('alarm:'.length) };
  if (service === 'autoscaling') {
    const match = /^autoScalingGroup:[^:]*:autoScalingGroupName\/(.+)$/.exec(resource);
    if (match?.[1] !== undefined) return { kind: 'AutoScalingGroup', region, id: match[1] };
  }
  return undefined;
}

/** `family:3` → `family`. */
export const familyOf = (taskDefinitionId: string): string => taskDefinitionId.replace(/:\d+$/, '');

export interface DiscoverOptions {
  /**
   * Also list task definition revisions. Off for a plain plan: every revision ever registered is a
   * resource, so the list grows with history, not with the manifests; prune needs it.
   * @defaultValue false
   */
  readonly taskDefinitions?: boolean;
}

/** Everything `instance` owns in `regions`: one GetResources listing per region, in parallel. */
export async function discoverOwned(tagging: (region: string) => TaggingPort, regions: readonly string[], instance: string, options: DiscoverOptions = {}): Promise<OwnedResource[]> {
  const kinds = (Object.keys(RESOURCE_TYPES) as OwnedKind[]).filter((k) => k !== 'TaskDefinition' || options.taskDefinitions === true);
  const types = kinds.map((k) => RESOURCE_TYPES[k]);
  const perRegion = await Promise.all(
    [...new Set(regions)].map(async (region) => {
      const found = await tagging(region).resourcesTagged(TAG_MANAGED_BY, instance, types);
      return found.flatMap((r): OwnedResource[] => {
        const parsed = parseOwnedArn(r.arn);
        // The tag filter asked for exactly this value; a resource without it is not Berth's to touch.
        if (!parsed || r.tags.get(TAG_MANAGED_BY) !== instance) return [];
        return [{ ...parsed, arn: r.arn, tags: r.tags }];
      });
    }),
  );
  return perRegion.flat().sort((a, b) => a.arn.localeCompare(b.arn));
}

/** `Kind:region:id` of an AWS resource, the identity manifests claim and inventory finds. */
export const identity = (kind: OwnedKind, region: string, id: string): string => `${kind}:${region}:${id}`;

/**
 * The AWS resources the manifests declare, as identities. A task definition family counts for every
 * revision of it: old revisions of a family in git are history (rollback targets), never orphans.
 */
export function claimedIdentities(manifests: readonly ManifestEntry[], regionOf: (spec: { region?: string }) => string): Set<string> {
  const claimed = new Set<string>();
  for (const { manifest: m } of manifests) {
    if (m.kind === 'QueueScaler') continue;
    const region = regionOf(m.spec);
    switch (m.kind) {
      case 'Cluster':
        claimed.add(identity('Cluster', region, m.spec.clusterName ?? m.metadata.name));
        break;
      case 'Service':
        claimed.add(identity('Service', region, `${clusterRef(m.spec.cluster)}/${m.spec.serviceName ?? m.metadata.name}`));
        claimed.add(identity('TaskDefinition', region, m.spec.taskDefinition.family));
        break;
      case 'Alarm':
        claimed.add(identity('Alarm', region, m.spec.alarmName ?? m.metadata.name));
        break;
      case 'AutoScalingGroup':
        claimed.add(identity('AutoScalingGroup', region, m.spec.autoScalingGroupName ?? m.metadata.name));
        break;
    }
  }
  return claimed;
}

/** An owned resource git no longer declares; task definition revisions are grouped by family. */
export interface Orphan {
  readonly kind: OwnedKind;
  readonly region: string;
  /** The cluster name, `cluster/service`, task definition family, alarm name or group name. */
  readonly id: string;
  /** The ARNs: one, or every owned revision of a family. */
  readonly arns: readonly string[];
  /** The manifest it came from (`berth.dev/manifest`), when tagged. */
  readonly manifest: string | undefined;
  /** Tagged `berth.dev/prune=false`: reported, never pruned. */
  readonly protected: boolean;
}

/** Pairs inventory with the manifests: what is owned but not declared. Pure. */
export function findOrphans(owned: readonly OwnedResource[], claimed: ReadonlySet<string>): Orphan[] {
  const orphans = new Map<string, { kind: OwnedKind; region: string; id: string; arns: string[]; manifest: string | undefined; protected: boolean }>();
  for (const r of owned) {
    const id = r.kind === 'TaskDefinition' ? familyOf(r.id) : r.id;
    const key = identity(r.kind, r.region, id);
    if (claimed.has(key)) continue;
    const isProtected = r.tags.get(TAG_PRUNE) === 'false';
    const known = orphans.get(key);
    if (known) {
      known.arns.push(r.arn);
      known.protected ||= isProtected;
      continue;
    }
    orphans.set(key, { kind: r.kind, region: r.region, id, arns: [r.arn], manifest: r.tags.get(TAG_MANIFEST), protected: isProtected });
  }
  return [...orphans.values()];
}

/** How many owned resources the manifests still declare (a revision that declares none would prune everything). */
export function claimedCount(owned: readonly OwnedResource[], claimed: ReadonlySet<string>): number {
  return owned.filter((r) => claimed.has(identity(r.kind, r.region, r.kind === 'TaskDefinition' ? familyOf(r.id) : r.id))).length;
}
