/**
 * The plan: for every manifest, what AWS holds (observed in batches), what differs, and what Berth
 * would do; and for every resource this Berth owns that git no longer declares, that it is orphaned
 * (or, with prune, that it goes). Nothing here changes AWS. Apply executes the same entries.
 */
import type { Tag } from '@aws-sdk/client-ecs';
import { StalledError } from '../aws/errors.ts';
import { alarmHealth } from '../kinds/alarm/health.ts';
import { desiredAlarm, diffAlarm } from '../kinds/alarm/alarm.ts';
import { desiredGroup, diffGroup } from '../kinds/auto-scaling-group/auto-scaling-group.ts';
import { groupHealth } from '../kinds/auto-scaling-group/health.ts';
import { clusterHealth } from '../kinds/cluster/health.ts';
import { desiredCluster, diffCluster } from '../kinds/cluster/cluster.ts';
import { serviceHealth } from '../kinds/service/health.ts';
import { desiredService, diffService } from '../kinds/service/service.ts';
import { diffTaskDefinition } from '../kinds/service/task-definition.ts';
import type { AlarmManifest, AutoScalingGroupManifest, ClusterManifest, Manifest, ManifestEntry, ServiceManifest } from '../manifests/types.ts';
import { manifestKey } from '../manifests/types.ts';
import { specHash } from '../kinds/service/spec-hash.ts';
import { claimedCount, claimedIdentities, findOrphans } from './inventory.ts';
import type { Orphan } from './inventory.ts';
import { alarmName, clusterName, clusterRef, deploymentAlarms, groupName, observe, serviceName } from './observe.ts';
import type { AwsPorts, Observed } from './observe.ts';
import { ownership, TAG_FAILED_SPEC, TAG_MANAGED_BY } from './ownership.ts';
import type { FieldChange, Health, PlanAction, PlanEntry } from './plan-types.ts';

export { clusterRef } from './observe.ts';
export type { AwsPorts, Observed } from './observe.ts';

export interface PlanInput {
  readonly manifests: readonly ManifestEntry[];
  readonly aws: AwsPorts;
  /** The `berth.dev/managed-by` value of this Berth. */
  readonly instance: string;
  /** Region of manifests that name none (`AWS_REGION`). */
  readonly defaultRegion: string | undefined;
  readonly now: Date;
  /** Plan the deletion of orphaned resources (`--prune`), not only report them. @defaultValue false */
  readonly prune?: boolean;
  /** With prune: allow a revision that declares none of what this Berth owns (`--allow-empty`). @defaultValue false */
  readonly allowEmpty?: boolean;
  /**
   * Plan only these manifests (`Kind/name`); the others still count as declared (clusters and
   * alarms apply creates, scaler-owned fields). The controller plans what a revision changed this way.
   * @defaultValue every manifest
   */
  readonly only?: ReadonlySet<string>;
  /**
   * Take the inventory (GetResources) and report orphans. Without it, alarm tags are read one
   * ListTagsForResource each and no orphan is found.
   * @defaultValue true
   */
  readonly inventory?: boolean;
}

export interface Plan {
  readonly entries: readonly PlanEntry[];
  readonly observed: Observed;
  /** Owned resources git no longer declares; entries with action `prune` or `orphaned` describe them. */
  readonly orphans: readonly Orphan[];
  /** The Services (desiredCount) and AutoScalingGroups (desiredCapacity) a QueueScaler owns, by metadata.name. */
  readonly scaled: { readonly services: ReadonlySet<string>; readonly groups: ReadonlySet<string> };
}

export const annotation = (m: { metadata: { annotations?: Record<string, string | undefined> } }, key: string): boolean =>
  m.metadata.annotations?.[key] === 'true';

export function regionOf(spec: { region?: string }, defaultRegion: string | undefined, key: string): string {
  const region = spec.region ?? defaultRegion;
  if (region === undefined) {
    throw new StalledError('NoRegion', `${key} names no spec.region and no default region is set: set spec.region, or AWS_REGION`);
  }
  return region;
}

/** Top-level fields of a resource to be created, for the plan to show what it will be. */
function creation(fields: object, prefix = ''): FieldChange[] {
  return Object.entries(fields as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => ({ path: `${prefix}${k}`, from: undefined, to: v }));
}

function entry(kind: string, name: string, action: PlanAction, health: Health, changes: readonly FieldChange[], refusal?: { reason: string; message: string }): PlanEntry {
  return { key: `${kind}/${name}`, kind, name, action, changes, health, ...(refusal ?? {}) };
}

/** Tags as ECS spells them (`{key, value}`), whatever the service's own spelling. */
const ecsTags = (tags: Iterable<readonly [string, string]>): Tag[] => [...tags].map(([key, value]) => ({ key, value }));

/** What every planner needs besides its manifest. */
interface Context {
  readonly input: PlanInput;
  readonly observed: Observed;
  readonly region: (spec: { region?: string }, key: string) => string;
  /** Services whose desiredCount, and groups whose desiredCapacity, a QueueScaler owns (metadata.name). */
  readonly scaledServices: ReadonlySet<string>;
  readonly scaledGroups: ReadonlySet<string>;
  /** `region/name` of Cluster and Alarm manifests: things apply creates before what needs them. */
  readonly declaredClusters: ReadonlySet<string>;
  readonly declaredAlarms: ReadonlySet<string>;
}

/** The ownership verdict plus the changes an update consists of, or the refusal; shared by every kind. */
function update(
  ctx: Context,
  kind: string,
  m: Manifest,
  desiredTags: readonly { key: string; value?: string }[] | undefined,
  liveTags: readonly Tag[] | undefined,
  what: string,
  health: Health,
  fieldChanges: readonly FieldChange[],
): PlanEntry {
  const verdict = ownership(liveTags, ctx.input.instance, manifestKey(m), annotation(m, 'berth.dev/adopt'), what);
  if (verdict.verdict === 'refused') return entry(kind, m.metadata.name, 'refused', health, [], verdict);
  const changes = [...fieldChanges, ...tagChanges(desiredTags, liveTags), ...adoption(verdict.verdict)];
  return entry(kind, m.metadata.name, changes.length > 0 ? 'update' : 'no-change', health, changes);
}

function planCluster(ctx: Context, e: ManifestEntry<ClusterManifest>): PlanEntry {
  const m = e.manifest;
  const live = ctx.observed.clusters.get(`${ctx.region(m.spec, manifestKey(m))}/${clusterName(m)}`);
  const suspended = annotation(m, 'berth.dev/suspend');
  const health = clusterHealth(live, suspended);
  const desired = desiredCluster(m);
  if (suspended) return entry('Cluster', m.metadata.name, 'suspended', health, []);
  if (!live) return entry('Cluster', m.metadata.name, 'create', health, creation(desired));
  return update(ctx, 'Cluster', m, m.spec.tags, live.tags, `ECS cluster ${clusterName(m)}`, health, diffCluster(desired, live));
}

function planService(ctx: Context, e: ManifestEntry<ServiceManifest>): PlanEntry {
  const m = e.manifest;
  const region = ctx.region(m.spec, manifestKey(m));
  const cluster = clusterRef(m.spec.cluster);
  const live = ctx.observed.services.get(`${region}/${cluster}/${serviceName(m)}`);
  const suspended = annotation(m, 'berth.dev/suspend');
  const health = serviceHealth({ service: live, suspended, now: ctx.input.now });
  const desired = desiredService(m, { desiredCountOwnedElsewhere: ctx.scaledServices.has(m.metadata.name) });
  if (suspended) return entry('Service', m.metadata.name, 'suspended', health, []);
  // ECS rejects a deployment alarm that does not exist; one that git declares is created first.
  const missingAlarms = deploymentAlarms(m).filter((name) => !ctx.observed.alarms.get(`${region}/${name}`) && !ctx.declaredAlarms.has(`${region}/${name}`));
  if (missingAlarms.length > 0) {
    return entry('Service', m.metadata.name, 'refused', health, [], {
      reason: 'DeploymentAlarmNotFound',
      message: `deploymentConfiguration.alarms names ${missingAlarms.join(', ')}, which ${missingAlarms.length === 1 ? 'does' : 'do'} not exist in ${region} and no Alarm manifest declares: add the Alarm manifest, or correct alarmNames`,
    });
  }
  if (!live) {
    if (!ctx.observed.clusters.get(`${region}/${cluster}`) && !ctx.declaredClusters.has(`${region}/${cluster}`)) {
      return entry('Service', m.metadata.name, 'refused', health, [], {
        reason: 'ClusterNotFound',
        message: `cluster ${cluster} does not exist in ${region} and no Cluster manifest declares it: add a Cluster manifest, or correct spec.cluster`,
      });
    }
    return entry('Service', m.metadata.name, 'create', health, [
      ...creation(desired),
      ...creation({ family: m.spec.taskDefinition.family }, 'taskDefinition.'),
      ...m.spec.taskDefinition.containerDefinitions.map((c) => ({ path: `taskDefinition.containerDefinitions[${c.name}].image`, from: undefined, to: c.image })),
    ]);
  }
  const verdict = ownership(live.tags, ctx.input.instance, manifestKey(m), annotation(m, 'berth.dev/adopt'), `ECS service ${serviceName(m)}`);
  if (verdict.verdict === 'refused') return entry('Service', m.metadata.name, 'refused', health, [], verdict);
  const { inPlace, replaceRequired } = diffService(desired, live);
  if (replaceRequired.length > 0) {
    return entry('Service', m.metadata.name, 'refused', health, replaceRequired, {
      reason: 'ReplaceRequired',
      message: `${replaceRequired.map((c) => c.path).join(', ')} cannot change on an existing service (UpdateService does not take it): delete the service and let Berth create it again, or create the new one under another name`,
    });
  }
  const liveTd = live.taskDefinition ? ctx.observed.taskDefinitions.get(live.taskDefinition) : undefined;
  const tdChanges = liveTd ? diffTaskDefinition(m.spec.taskDefinition, liveTd) : [{ path: 'taskDefinition', from: live.taskDefinition, to: m.spec.taskDefinition.family }];
  // A spec the circuit breaker already rolled back is not rolled out again until the manifest changes.
  if (tdChanges.length > 0 && live.tags?.some((t) => t.key === TAG_FAILED_SPEC && t.value === specHash(m))) {
    return entry('Service', m.metadata.name, 'refused', health, tdChanges, {
      reason: 'RolledBack',
      message: 'this task definition failed to roll out before (the deployment circuit breaker rolled it back); Berth does not deploy it again: fix the image or settings in the manifest, and the next apply rolls the new spec out',
    });
  }
  const changes = [...tdChanges, ...inPlace, ...tagChanges(m.spec.tags, live.tags), ...adoption(verdict.verdict)];
  return entry('Service', m.metadata.name, changes.length > 0 ? 'update' : 'no-change', health, changes);
}

function planGroup(ctx: Context, e: ManifestEntry<AutoScalingGroupManifest>): PlanEntry {
  const m = e.manifest;
  const region = ctx.region(m.spec, manifestKey(m));
  const name = groupName(m);
  const live = ctx.observed.groups.get(`${region}/${name}`);
  const suspended = annotation(m, 'berth.dev/suspend');
  const health: Health = suspended ? { status: 'Suspended', message: 'suspended by berth.dev/suspend' } : groupHealth(live, ctx.observed.activities.get(`${region}/${name}`), ctx.input.now);
  if (suspended) return entry('AutoScalingGroup', m.metadata.name, 'suspended', health, []);
  // Berth sizes groups; launch templates, subnets and IAM belong to the infrastructure code.
  if (!live) {
    return entry('AutoScalingGroup', m.metadata.name, 'refused', health, [], {
      reason: 'AutoScalingGroupNotFound',
      message: `Auto Scaling group ${name} does not exist in ${region}. Berth never creates groups: create it with your infrastructure code (launch template, subnets, instance role), or correct spec.autoScalingGroupName`,
    });
  }
  const desired = desiredGroup(m, { desiredCapacityOwnedElsewhere: ctx.scaledGroups.has(m.metadata.name) });
  const liveTags = (live.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
  return update(ctx, 'AutoScalingGroup', m, undefined, liveTags, `Auto Scaling group ${name}`, health, diffGroup(desired, live));
}

function planAlarm(ctx: Context, e: ManifestEntry<AlarmManifest>): PlanEntry {
  const m = e.manifest;
  const live = ctx.observed.alarms.get(`${ctx.region(m.spec, manifestKey(m))}/${alarmName(m)}`);
  const suspended = annotation(m, 'berth.dev/suspend');
  const health = alarmHealth(live, suspended);
  const desired = desiredAlarm(m);
  if (suspended) return entry('Alarm', m.metadata.name, 'suspended', health, []);
  if (!live) return entry('Alarm', m.metadata.name, 'create', health, creation(desired));
  const liveTags = ecsTags(ctx.observed.alarmTags.get(live.AlarmArn ?? '') ?? new Map<string, string>());
  return update(ctx, 'Alarm', m, m.spec.tags, liveTags, `CloudWatch alarm ${alarmName(m)}`, health, diffAlarm(desired, live));
}

/** The manifest's own tags against the live ones, Berth's ownership tags aside. */
function tagChanges(desired: readonly { key: string; value?: string }[] | undefined, live: readonly { key?: string; value?: string }[] | undefined): FieldChange[] {
  const want = new Map((desired ?? []).map((t) => [t.key, t.value ?? '']));
  const have = new Map((live ?? []).filter((t) => t.key !== undefined && !t.key.startsWith('berth.dev/')).map((t) => [t.key ?? '', t.value ?? '']));
  const changes: FieldChange[] = [];
  for (const [k, v] of want) if (have.get(k) !== v) changes.push({ path: `tags[${k}]`, from: have.get(k), to: v });
  return changes;
}

function adoption(verdict: 'owned' | 'adopt'): FieldChange[] {
  return verdict === 'adopt' ? [{ path: `tags[${TAG_MANAGED_BY}]`, from: undefined, to: '(adopted: Berth adds its ownership tags)' }] : [];
}

/** What prune does to each kind, for the plan to say. */
const PRUNE_EFFECT: Readonly<Record<Orphan['kind'], string>> = {
  Service: 'scales it to 0 and deletes it (its task definition revisions are deregistered with it)',
  TaskDefinition: 'deregisters these revisions',
  Alarm: 'deletes it',
  AutoScalingGroup: 'releases it: removes Berth\'s tags and leaves its capacity as it is',
  Cluster: 'keeps it: Berth never deletes clusters; delete it by hand once it is empty',
};

/** The plan entry of an orphan: reported without prune; to be pruned with it, unless protected or a cluster. */
function planOrphan(o: Orphan, prune: boolean): PlanEntry {
  const source = o.manifest !== undefined ? ` (from ${o.manifest})` : '';
  const revisions = o.kind === 'TaskDefinition' ? `${o.arns.length} ${o.arns.length === 1 ? 'revision' : 'revisions'}, ` : '';
  const health: Health = { status: 'Unknown', message: `${revisions}owned by Berth${source}, no longer in git` };
  const base = { key: `${o.kind}/${o.id}`, kind: o.kind, name: o.id, changes: [], health, target: { region: o.region, arns: o.arns } };
  if (o.protected) return { ...base, action: 'orphaned', reason: 'PruneDisabled', message: 'tagged berth.dev/prune=false: never pruned; remove the tag to let prune delete it' };
  if (o.kind === 'Cluster') return { ...base, action: 'orphaned', reason: 'NotPruned', message: PRUNE_EFFECT.Cluster };
  if (prune) return { ...base, action: 'prune', message: `prune ${PRUNE_EFFECT[o.kind]}` };
  return { ...base, action: 'orphaned', message: `\`berth apply --prune\` ${PRUNE_EFFECT[o.kind]}` };
}

/** The Services whose desiredCount a QueueScaler owns (by metadata.name). */
export function scaledServices(manifests: readonly ManifestEntry[]): Set<string> {
  return new Set(manifests.flatMap((e) => (e.manifest.kind === 'QueueScaler' ? [e.manifest.spec.target.service] : [])));
}

/** The AutoScalingGroups whose desiredCapacity a QueueScaler owns (by metadata.name). */
export function scaledGroups(manifests: readonly ManifestEntry[]): Set<string> {
  return new Set(manifests.flatMap((e) => (e.manifest.kind === 'QueueScaler' && e.manifest.spec.target.autoScalingGroup !== undefined ? [e.manifest.spec.target.autoScalingGroup] : [])));
}

const ofKind = <K extends ManifestEntry['manifest']['kind']>(manifests: readonly ManifestEntry[], kind: K) =>
  manifests.filter((e): e is ManifestEntry<Extract<ManifestEntry['manifest'], { kind: K }>> => e.manifest.kind === kind);

/** Builds the plan of a validated revision: its manifests, and what this Berth owns that they no longer declare. */
export async function buildPlan(input: PlanInput): Promise<Plan> {
  const region = (spec: { region?: string }, key: string): string => regionOf(spec, input.defaultRegion, key);
  const planned = input.only === undefined ? input.manifests : input.manifests.filter((e) => input.only?.has(manifestKey(e.manifest)));
  const clusters = ofKind(planned, 'Cluster');
  const services = ofKind(planned, 'Service');
  const groups = ofKind(planned, 'AutoScalingGroup');
  const alarms = ofKind(planned, 'Alarm');
  const inventory = input.inventory !== false;
  const regions = [...new Set([...input.manifests.flatMap((e) => ('region' in e.manifest.spec && e.manifest.spec.region !== undefined ? [e.manifest.spec.region] : [])), ...(input.defaultRegion !== undefined ? [input.defaultRegion] : [])])];
  const prune = input.prune === true;

  const observed = await observe(input.aws, { clusters, services, groups, alarms, region, regions, instance: input.instance, inventory, taskDefinitionInventory: prune });
  const ctx: Context = {
    input,
    observed,
    region,
    scaledServices: scaledServices(input.manifests),
    scaledGroups: scaledGroups(input.manifests),
    declaredClusters: new Set(ofKind(input.manifests, 'Cluster').map((c) => `${region(c.manifest.spec, manifestKey(c.manifest))}/${clusterName(c.manifest)}`)),
    declaredAlarms: new Set(ofKind(input.manifests, 'Alarm').map((a) => `${region(a.manifest.spec, manifestKey(a.manifest))}/${alarmName(a.manifest)}`)),
  };

  // Orphans: owned, not declared. Pruning all of what this Berth owns needs --allow-empty.
  const claimed = claimedIdentities(input.manifests, (spec) => region(spec, 'a manifest'));
  const orphans = findOrphans(observed.owned, claimed);
  const prunable = orphans.filter((o) => !o.protected && o.kind !== 'Cluster');
  if (prune && inventory && !input.allowEmpty && prunable.length > 0 && claimedCount(observed.owned, claimed) === 0) {
    throw new StalledError(
      'PruneEverything',
      `the manifests declare none of the ${observed.owned.length} resources Berth instance "${input.instance}" owns in ${regions.join(', ') || 'the default region'}, so prune would delete all ${prunable.length} of them. ` +
        'Nothing was changed. Check the manifests path (an empty or wrong directory looks like this); if removing everything is really meant, pass --allow-empty.',
    );
  }

  const entries = [
    ...clusters.map((c) => planCluster(ctx, c)),
    ...groups.map((g) => planGroup(ctx, g)),
    ...alarms.map((a) => planAlarm(ctx, a)),
    ...services.map((s) => planService(ctx, s)),
    ...orphans.map((o) => planOrphan(o, prune)),
  ];
  return { entries, observed, orphans, scaled: { services: ctx.scaledServices, groups: ctx.scaledGroups } };
}
