/**
 * The plan: for every Cluster and Service manifest, what AWS holds (observed in batches), what
 * differs, and what Berth would do. Nothing here changes AWS. Apply executes the same entries.
 */
import type { Cluster, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import type { EcsPort } from '../aws/ports.ts';
import { StalledError } from '../aws/errors.ts';
import { clusterHealth } from '../kinds/cluster/health.ts';
import { desiredCluster, diffCluster } from '../kinds/cluster/cluster.ts';
import { serviceHealth } from '../kinds/service/health.ts';
import { desiredService, diffService } from '../kinds/service/service.ts';
import { diffTaskDefinition } from '../kinds/service/task-definition.ts';
import type { ClusterManifest, ManifestEntry, ServiceManifest } from '../manifests/types.ts';
import { manifestKey } from '../manifests/types.ts';
import { specHash } from '../kinds/service/spec-hash.ts';
import { ownership, TAG_FAILED_SPEC, TAG_MANAGED_BY } from './ownership.ts';
import type { FieldChange, Health, PlanAction, PlanEntry } from './plan-types.ts';

export interface PlanInput {
  readonly manifests: readonly ManifestEntry[];
  /** The ECS port of a region. */
  readonly ecs: (region: string) => EcsPort;
  /** The `berth.dev/managed-by` value of this Berth. */
  readonly instance: string;
  /** Region of manifests that name none (`AWS_REGION`). */
  readonly defaultRegion: string | undefined;
  readonly now: Date;
}

/** What was observed for one plan, kept for apply so it does not read AWS twice. */
export interface Observed {
  readonly clusters: ReadonlyMap<string, Cluster | undefined>;
  readonly services: ReadonlyMap<string, Service | undefined>;
  readonly taskDefinitions: ReadonlyMap<string, TaskDefinition>;
}

export interface Plan {
  readonly entries: readonly PlanEntry[];
  readonly observed: Observed;
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

const clusterName = (m: ClusterManifest): string => m.spec.clusterName ?? m.metadata.name;
const serviceName = (m: ServiceManifest): string => m.spec.serviceName ?? m.metadata.name;
/** A cluster reference (name or ARN) as the name DescribeServices and our maps use. */
export const clusterRef = (ref: string): string => (ref.startsWith('arn:') ? (ref.split('/').pop() ?? ref) : ref);

/** Observes everything the manifests name, in as few calls as the APIs allow. */
async function observe(input: PlanInput, clusters: readonly ManifestEntry<ClusterManifest>[], services: readonly ManifestEntry<ServiceManifest>[]): Promise<Observed> {
  const byRegion = new Map<string, Set<string>>();
  const want = (region: string, name: string): void => void (byRegion.get(region) ?? byRegion.set(region, new Set()).get(region))?.add(name);
  for (const c of clusters) want(regionOf(c.manifest.spec, input.defaultRegion, manifestKey(c.manifest)), clusterName(c.manifest));
  for (const s of services) want(regionOf(s.manifest.spec, input.defaultRegion, manifestKey(s.manifest)), clusterRef(s.manifest.spec.cluster));

  // Clusters: one DescribeClusters per region (the port batches by 100).
  const clusterMap = new Map<string, Cluster | undefined>();
  await Promise.all(
    [...byRegion].map(async ([region, names]) => {
      const { clusters: found } = await input.ecs(region).describeClusters([...names]);
      for (const name of names) clusterMap.set(`${region}/${name}`, found.find((c) => c.clusterName === name && c.status !== 'INACTIVE'));
    }),
  );

  // Services: DescribeServices per existing cluster, 10 names a call.
  const perCluster = new Map<string, { region: string; cluster: string; names: string[] }>();
  for (const s of services) {
    const region = regionOf(s.manifest.spec, input.defaultRegion, manifestKey(s.manifest));
    const cluster = clusterRef(s.manifest.spec.cluster);
    if (!clusterMap.get(`${region}/${cluster}`)) continue;
    const key = `${region}/${cluster}`;
    const group = perCluster.get(key) ?? perCluster.set(key, { region, cluster, names: [] }).get(key);
    group?.names.push(serviceName(s.manifest));
  }
  const serviceMap = new Map<string, Service | undefined>();
  await Promise.all(
    [...perCluster.values()].map(async ({ region, cluster, names }) => {
      const { services: found } = await input.ecs(region).describeServices(cluster, names);
      for (const name of names) serviceMap.set(`${region}/${cluster}/${name}`, found.find((s) => s.serviceName === name));
    }),
  );

  // Task definitions in use: one DescribeTaskDefinition per distinct ARN, cached by the port.
  const tdMap = new Map<string, TaskDefinition>();
  await Promise.all(
    [...serviceMap].map(async ([key, service]) => {
      const arn = service?.taskDefinition;
      if (!arn) return;
      const region = key.split('/')[0] ?? '';
      tdMap.set(arn, (await input.ecs(region).describeTaskDefinition(arn)).taskDefinition);
    }),
  );
  return { clusters: clusterMap, services: serviceMap, taskDefinitions: tdMap };
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

function planCluster(input: PlanInput, observed: Observed, e: ManifestEntry<ClusterManifest>): PlanEntry {
  const m = e.manifest;
  const region = regionOf(m.spec, input.defaultRegion, manifestKey(m));
  const live = observed.clusters.get(`${region}/${clusterName(m)}`);
  const suspended = annotation(m, 'berth.dev/suspend');
  const health = clusterHealth(live, suspended);
  const desired = desiredCluster(m);
  if (suspended) return entry('Cluster', m.metadata.name, 'suspended', health, []);
  if (!live) return entry('Cluster', m.metadata.name, 'create', health, creation(desired));
  const verdict = ownership(live.tags, input.instance, manifestKey(m), annotation(m, 'berth.dev/adopt'), `ECS cluster ${clusterName(m)}`);
  if (verdict.verdict === 'refused') return entry('Cluster', m.metadata.name, 'refused', health, [], verdict);
  const changes = [...diffCluster(desired, live), ...tagChanges(m.spec.tags, live.tags), ...adoption(verdict.verdict)];
  return entry('Cluster', m.metadata.name, changes.length > 0 ? 'update' : 'no-change', health, changes);
}

function planService(input: PlanInput, observed: Observed, e: ManifestEntry<ServiceManifest>, scaled: ReadonlySet<string>, declaredClusters: ReadonlySet<string>): PlanEntry {
  const m = e.manifest;
  const region = regionOf(m.spec, input.defaultRegion, manifestKey(m));
  const cluster = clusterRef(m.spec.cluster);
  const live = observed.services.get(`${region}/${cluster}/${serviceName(m)}`);
  const suspended = annotation(m, 'berth.dev/suspend');
  const health = serviceHealth({ service: live, suspended, now: input.now });
  const desired = desiredService(m, { desiredCountOwnedElsewhere: scaled.has(m.metadata.name) });
  if (suspended) return entry('Service', m.metadata.name, 'suspended', health, []);
  if (!live) {
    if (!observed.clusters.get(`${region}/${cluster}`) && !declaredClusters.has(`${region}/${cluster}`)) {
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
  const verdict = ownership(live.tags, input.instance, manifestKey(m), annotation(m, 'berth.dev/adopt'), `ECS service ${serviceName(m)}`);
  if (verdict.verdict === 'refused') return entry('Service', m.metadata.name, 'refused', health, [], verdict);
  const { inPlace, replaceRequired } = diffService(desired, live);
  if (replaceRequired.length > 0) {
    return entry('Service', m.metadata.name, 'refused', health, replaceRequired, {
      reason: 'ReplaceRequired',
      message: `${replaceRequired.map((c) => c.path).join(', ')} cannot change on an existing service (UpdateService does not take it): delete the service and let Berth create it again, or create the new one under another name`,
    });
  }
  const liveTd = live.taskDefinition ? observed.taskDefinitions.get(live.taskDefinition) : undefined;
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

/** The Services whose desiredCount a QueueScaler owns (by metadata.name). */
export function scaledServices(manifests: readonly ManifestEntry[]): Set<string> {
  return new Set(manifests.flatMap((e) => (e.manifest.kind === 'QueueScaler' ? [e.manifest.spec.target.service] : [])));
}

/** Builds the plan for the Cluster and Service manifests of a validated revision. */
export async function buildPlan(input: PlanInput): Promise<Plan> {
  const clusters = input.manifests.filter((e): e is ManifestEntry<ClusterManifest> => e.manifest.kind === 'Cluster');
  const services = input.manifests.filter((e): e is ManifestEntry<ServiceManifest> => e.manifest.kind === 'Service');
  const scaled = scaledServices(input.manifests);
  const declaredClusters = new Set(clusters.map((c) => `${regionOf(c.manifest.spec, input.defaultRegion, manifestKey(c.manifest))}/${clusterName(c.manifest)}`));
  const observed = await observe(input, clusters, services);
  const entries = [
    ...clusters.map((c) => planCluster(input, observed, c)),
    ...services.map((s) => planService(input, observed, s, scaled, declaredClusters)),
  ];
  return { entries, observed };
}
