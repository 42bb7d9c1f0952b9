/**
 * Apply: execute a plan. Clusters first, then services, each group with bounded concurrency.
 * Idempotent under crashes: before registering a task definition Berth reuses the newest ACTIVE
 * revision of the family when its content is identical, so a crash between RegisterTaskDefinition
 * and UpdateService never leaves a second revision behind.
 */
import type { Service, Tag } from '@aws-sdk/client-ecs';
import type { EcsPort } from '../aws/ports.ts';
import { ReconcileError, StalledError } from '../aws/errors.ts';
import { desiredCluster } from '../kinds/cluster/cluster.ts';
import { serviceHealth } from '../kinds/service/health.ts';
import { desiredService, diffService, serviceUpdateInput } from '../kinds/service/service.ts';
import { specHash } from '../kinds/service/spec-hash.ts';
import { desiredTaskDefinition, taskDefinitionsEqual } from '../kinds/service/task-definition.ts';
import type { ClusterManifest, ManifestEntry, ServiceManifest } from '../manifests/types.ts';
import { manifestKey } from '../manifests/types.ts';
import { ownershipTags, TAG_FAILED_SPEC } from './ownership.ts';
import { annotation, clusterRef, regionOf, scaledServices } from './plan.ts';
import type { Plan } from './plan.ts';
import type { Health, PlanEntry } from './plan-types.ts';

export type ApplyStatus = 'applied' | 'unchanged' | 'refused' | 'failed' | 'skipped';

export interface ApplyOutcome {
  readonly key: string;
  readonly status: ApplyStatus;
  readonly message: string;
  /** After --wait: where the rollout ended. */
  readonly health?: Health;
}

export type ApplyProgress = { readonly key: string; readonly message: string };

export interface ApplyInput {
  readonly manifests: readonly ManifestEntry[];
  readonly ecs: (region: string) => EcsPort;
  readonly instance: string;
  readonly defaultRegion: string | undefined;
  /** The git revision the manifests come from, for the `berth.dev/revision` tag. */
  readonly revision: string | undefined;
  /** Resources applied at once within a group. @defaultValue 4 */
  readonly concurrency?: number;
  /** Follow each rollout until Healthy or Degraded. @defaultValue false */
  readonly wait?: boolean;
  /** How long --wait follows rollouts, in ms. @defaultValue 600000 */
  readonly timeoutMs?: number;
  /** Between polls of a rollout, in ms. @defaultValue 5000 */
  readonly pollMs?: number;
  /** Waits `ms`; tests pass one that advances the simulator's virtual clock. @defaultValue setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  readonly onProgress?: (event: ApplyProgress) => void;
  /** Test hook: runs after a task definition is registered, before the service is updated (a crash there must not duplicate). */
  readonly afterRegister?: (key: string, arn: string) => Promise<void>;
}

/** Runs `work` over `items` with at most `limit` at once, keeping result order. */
async function bounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function failure(key: string, err: unknown): ApplyOutcome {
  const message = err instanceof ReconcileError ? `${err.reason}: ${err.message}` : err instanceof Error ? err.message : String(err);
  return { key, status: 'failed', message };
}

/** Applies the entries of `plan` that need it. Never throws for one resource's failure: it is an outcome. */
export async function applyPlan(plan: Plan, input: ApplyInput): Promise<ApplyOutcome[]> {
  const limit = input.concurrency ?? 4;
  const entries = new Map(plan.entries.map((e) => [e.key, e]));
  const progress = (key: string, message: string): void => input.onProgress?.({ key, message });
  const manifest = (key: string): ManifestEntry | undefined => input.manifests.find((m) => manifestKey(m.manifest) === key);

  // Clusters before services: a service needs its cluster.
  const clusterKeys = plan.entries.filter((e) => e.kind === 'Cluster').map((e) => e.key);
  const clusterOutcomes = await bounded(clusterKeys, limit, async (key) => {
    const entry = entries.get(key) as PlanEntry;
    const m = manifest(key)?.manifest as ClusterManifest;
    return applyCluster(entry, m, input, progress);
  });
  const failedClusters = new Set(
    clusterOutcomes.flatMap((o, i) => {
      const m = manifest(clusterKeys[i] ?? '')?.manifest as ClusterManifest | undefined;
      return o.status === 'failed' && m ? [m.spec.clusterName ?? m.metadata.name] : [];
    }),
  );

  const serviceKeys = plan.entries.filter((e) => e.kind === 'Service').map((e) => e.key);
  const serviceOutcomes = await bounded(serviceKeys, limit, async (key) => {
    const entry = entries.get(key) as PlanEntry;
    const m = manifest(key)?.manifest as ServiceManifest;
    if (failedClusters.has(clusterRef(m.spec.cluster))) return { key, status: 'skipped' as const, message: `cluster ${m.spec.cluster} failed to apply` };
    return applyService(entry, m, plan, input, progress);
  });
  return [...clusterOutcomes, ...serviceOutcomes];
}

async function applyCluster(entry: PlanEntry, m: ClusterManifest, input: ApplyInput, progress: (key: string, message: string) => void): Promise<ApplyOutcome> {
  const key = entry.key;
  if (entry.action === 'refused') return { key, status: 'refused', message: `${entry.reason ?? ''}: ${entry.message ?? ''}` };
  if (entry.action === 'no-change' || entry.action === 'suspended') return { key, status: 'unchanged', message: entry.action === 'suspended' ? 'suspended' : 'no change' };
  try {
    const ecs = input.ecs(regionOf(m.spec, input.defaultRegion, key));
    const tags: Tag[] = [...(m.spec.tags ?? []), ...ownershipTags(input.instance, key, input.revision)];
    if (entry.action === 'create') {
      progress(key, 'creating cluster');
      await ecs.createCluster({ ...desiredCluster(m), tags });
      return { key, status: 'applied', message: 'created' };
    }
    const desired = desiredCluster(m);
    const fieldChanges = entry.changes.filter((c) => !c.path.startsWith('tags['));
    if (fieldChanges.some((c) => c.path.startsWith('capacityProviders') || c.path.startsWith('defaultCapacityProviderStrategy'))) {
      throw new StalledError('Unsupported', 'changing a cluster\'s capacity providers is not supported yet (PutClusterCapacityProviders); change them outside Berth for now');
    }
    if (fieldChanges.length > 0) {
      progress(key, 'updating cluster settings');
      await ecs.updateCluster({
        cluster: desired.clusterName,
        ...(desired.settings !== undefined && { settings: desired.settings }),
        ...(desired.configuration !== undefined && { configuration: desired.configuration }),
        ...(desired.serviceConnectDefaults !== undefined && { serviceConnectDefaults: desired.serviceConnectDefaults }),
      });
    }
    const arn = (await ecs.describeClusters([desired.clusterName])).clusters[0]?.clusterArn;
    if (arn) await ecs.tagResource(arn, tags);
    return { key, status: 'applied', message: annotation(m, 'berth.dev/adopt') ? 'adopted and updated' : 'updated' };
  } catch (err) {
    return failure(key, err);
  }
}

async function applyService(entry: PlanEntry, m: ServiceManifest, plan: Plan, input: ApplyInput, progress: (key: string, message: string) => void): Promise<ApplyOutcome> {
  const key = entry.key;
  if (entry.action === 'refused') return { key, status: 'refused', message: `${entry.reason ?? ''}: ${entry.message ?? ''}` };
  if (entry.action === 'suspended') return { key, status: 'unchanged', message: 'suspended' };
  try {
    const region = regionOf(m.spec, input.defaultRegion, key);
    const ecs = input.ecs(region);
    const desired = desiredService(m, { desiredCountOwnedElsewhere: scaledServices(input.manifests).has(m.metadata.name) });
    const live = plan.observed.services.get(`${region}/${clusterRef(desired.cluster)}/${desired.serviceName}`);
    const tags: Tag[] = [...(m.spec.tags ?? []), ...ownershipTags(input.instance, key, input.revision)];

    if (entry.action === 'no-change') {
      return input.wait && live ? await follow(key, m, region, input, progress, live) : { key, status: 'unchanged', message: 'no change' };
    }
    // The task definition: the live one if its content matches, else an identical newest revision, else a new one.
    const taskDefinitionChanged = entry.changes.some((c) => c.path.startsWith('taskDefinition'));
    let taskDefinitionArn = live?.taskDefinition;
    if (!live || taskDefinitionChanged) {
      taskDefinitionArn = await taskDefinitionFor(ecs, m, key, input, tags, progress);
    }

    if (!live) {
      progress(key, 'creating service');
      await ecs.createService({ ...desired, taskDefinition: taskDefinitionArn, tags });
    } else {
      const diff = diffService(desired, live);
      const update = serviceUpdateInput(desired, diff);
      if (diff.inPlace.length > 0 || taskDefinitionChanged) {
        progress(key, taskDefinitionChanged ? `rolling out ${taskDefinitionArn ?? ''}` : `updating ${diff.inPlace.map((c) => c.path).join(', ')}`);
        await ecs.updateService({ ...update, ...(taskDefinitionChanged && { taskDefinition: taskDefinitionArn }) });
      }
      if (live.serviceArn) await ecs.tagResource(live.serviceArn, tags);
    }
    if (input.wait) return await follow(key, m, region, input, progress, undefined);
    return { key, status: 'applied', message: live ? 'updated' : 'created' };
  } catch (err) {
    return failure(key, err);
  }
}

/** The ARN to deploy for `m`'s task definition, registering a revision only when no identical one is ACTIVE. */
async function taskDefinitionFor(ecs: EcsPort, m: ServiceManifest, key: string, input: ApplyInput, tags: Tag[], progress: (key: string, message: string) => void): Promise<string> {
  const spec = m.spec.taskDefinition;
  const latest = await ecs.latestTaskDefinitionArn(spec.family);
  if (latest) {
    const { taskDefinition } = await ecs.describeTaskDefinition(latest);
    if (taskDefinitionsEqual(spec, taskDefinition)) {
      progress(key, `reusing identical task definition ${latest}`);
      return latest;
    }
  }
  const registered = await ecs.registerTaskDefinition({ ...desiredTaskDefinition(spec), tags });
  const arn = registered.taskDefinitionArn ?? '';
  progress(key, `registered task definition ${arn}`);
  await input.afterRegister?.(key, arn);
  return arn;
}

/**
 * --wait: poll the service until its rollout is Healthy or Degraded, or the timeout. A rollout the
 * circuit breaker failed is remembered on the service (tag berth.dev/failed-spec) so that the same
 * spec is not rolled out again until the manifest changes.
 */
async function follow(key: string, m: ServiceManifest, region: string, input: ApplyInput, progress: (key: string, message: string) => void, known: Service | undefined): Promise<ApplyOutcome> {
  const ecs = input.ecs(region);
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = input.now ?? (() => new Date());
  const deadline = now().getTime() + (input.timeoutMs ?? 600_000);
  const name = m.spec.serviceName ?? m.metadata.name;
  const cluster = clusterRef(m.spec.cluster);
  let service = known;
  let last = '';
  for (;;) {
    if (!service) service = (await ecs.describeServices(cluster, [name])).services[0];
    const health = serviceHealth({ service, suspended: false, now: now() });
    if (health.message !== last) progress(key, `${health.status}: ${health.message}`);
    last = health.message;
    if (health.status === 'Healthy') return { key, status: 'applied', message: health.message, health };
    if (health.status === 'Degraded') {
      if (service?.serviceArn) await ecs.tagResource(service.serviceArn, [{ key: TAG_FAILED_SPEC, value: specHash(m) }]);
      const events = (service?.events ?? []).slice(0, 5).map((e) => `    ${e.message ?? ''}`);
      return { key, status: 'failed', message: `rollout Degraded: ${health.message}\n${events.join('\n')}`, health };
    }
    if (now().getTime() >= deadline) return { key, status: 'failed', message: `timed out waiting for the rollout: ${health.message}`, health };
    await sleep(input.pollMs ?? 5000);
    service = undefined;
  }
}
