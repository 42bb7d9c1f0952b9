/**
 * Apply: execute a plan. Manifests in dependency order (a cluster before its services, a deployment
 * alarm before the service that names it, `berth.dev/depends-on`), each resource as soon as what it
 * depends on is done, with bounded concurrency; then prune, when the plan says so. Idempotent under
 * crashes: before registering a task definition Berth reuses the newest ACTIVE revision of the
 * family when its content is identical, so a crash between RegisterTaskDefinition and UpdateService
 * never leaves a second revision behind.
 */
import type { Service, Tag } from '@aws-sdk/client-ecs';
import type { EcsPort } from '../aws/ports.ts';
import { ReconcileError, StalledError } from '../aws/errors.ts';
import type { ErrorClass } from '../aws/errors.ts';
import { desiredAlarm } from '../kinds/alarm/alarm.ts';
import { desiredGroup } from '../kinds/auto-scaling-group/auto-scaling-group.ts';
import { desiredCluster } from '../kinds/cluster/cluster.ts';
import { serviceHealth } from '../kinds/service/health.ts';
import { desiredService, diffService, serviceUpdateInput } from '../kinds/service/service.ts';
import { specHash } from '../kinds/service/spec-hash.ts';
import { desiredTaskDefinition, taskDefinitionsEqual } from '../kinds/service/task-definition.ts';
import { dependencyEdges, findCycles } from '../manifests/dependencies.ts';
import type { AlarmManifest, AutoScalingGroupManifest, ClusterManifest, ManifestEntry, ServiceManifest } from '../manifests/types.ts';
import { manifestKey } from '../manifests/types.ts';
import { TAG_PRUNE } from './inventory.ts';
import type { AwsPorts } from './observe.ts';
import { ownershipTags, tagsByKey, TAG_FAILED_SPEC, TAG_MANAGED_BY } from './ownership.ts';
import { annotation, clusterRef, regionOf } from './plan.ts';
import type { Plan } from './plan.ts';
import type { Health, PlanEntry } from './plan-types.ts';

export type ApplyStatus = 'applied' | 'unchanged' | 'refused' | 'failed' | 'skipped';

export interface ApplyOutcome {
  readonly key: string;
  readonly status: ApplyStatus;
  readonly message: string;
  /** After --wait: where the rollout ended. */
  readonly health?: Health;
  /** A failure's class and reason, for the controller to decide on retries. */
  readonly error?: { readonly errorClass: ErrorClass; readonly reason: string };
}

export type ApplyProgress = { readonly key: string; readonly message: string };

export interface ApplyInput {
  readonly manifests: readonly ManifestEntry[];
  readonly aws: AwsPorts;
  readonly instance: string;
  readonly defaultRegion: string | undefined;
  /** The git revision the manifests come from, for the `berth.dev/revision` tag. */
  readonly revision: string | undefined;
  /** Resources applied at once. @defaultValue 4 */
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

function failure(key: string, err: unknown): ApplyOutcome {
  if (err instanceof ReconcileError) return { key, status: 'failed', message: `${err.reason}: ${err.message}`, error: { errorClass: err.errorClass, reason: err.reason } };
  return { key, status: 'failed', message: err instanceof Error ? err.message : String(err), error: { errorClass: 'transient', reason: 'Unknown' } };
}

/** A slot-limited runner: at most `limit` of the functions it is given run at once. */
function limiter(limit: number): <R>(work: () => Promise<R>) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <R>(work: () => Promise<R>): Promise<R> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Whether a dependency's outcome keeps its dependents from being applied. */
function blocks(o: ApplyOutcome): boolean {
  return o.status === 'failed' || o.status === 'skipped' || (o.status === 'refused' && o.health?.status === 'Missing');
}

/**
 * Applies the entries of `plan` that need it: manifests in dependency order, then prune. Never
 * throws for one resource's failure: it is an outcome, and what depends on it is skipped.
 */
export async function applyPlan(plan: Plan, input: ApplyInput): Promise<ApplyOutcome[]> {
  const slot = limiter(input.concurrency ?? 4);
  const progress = (key: string, message: string): void => input.onProgress?.({ key, message });
  const manifests = new Map(input.manifests.map((m) => [manifestKey(m.manifest), m.manifest]));
  const planned = plan.entries.filter((e) => manifests.has(e.key) && e.action !== 'orphaned' && e.action !== 'prune');

  // Each resource starts once everything it depends on has finished, and only if that went well.
  const edges = dependencyEdges(input.manifests);
  // Validation refuses cycles; a caller that skipped it must not hang here.
  const cycle = findCycles([...manifests.keys()], edges)[0];
  if (cycle) throw new StalledError('DependencyCycle', `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}; validate the manifests first`);
  const dependsOn = new Map<string, string[]>();
  for (const edge of edges) dependsOn.set(edge.from, [...(dependsOn.get(edge.from) ?? []), edge.to]);
  const started = new Map<string, Promise<ApplyOutcome>>();
  const byKey = new Map(planned.map((e) => [e.key, e]));
  const run = (entry: PlanEntry): Promise<ApplyOutcome> => {
    const known = started.get(entry.key);
    if (known) return known;
    const outcome = (async (): Promise<ApplyOutcome> => {
      const deps = (dependsOn.get(entry.key) ?? []).flatMap((k) => {
        const dep = byKey.get(k);
        return dep ? [dep] : [];
      });
      const outcomes = await Promise.all(deps.map(run));
      const blocker = outcomes.find(blocks);
      if (blocker) return { key: entry.key, status: 'skipped', message: `${blocker.key} ${blocker.status === 'refused' ? 'was refused and does not exist' : blocker.status === 'skipped' ? 'was skipped' : 'failed to apply'}` };
      return slot(() => applyEntry(entry, manifests.get(entry.key), plan, input, progress));
    })();
    started.set(entry.key, outcome);
    return outcome;
  };
  const applied = await Promise.all(planned.map(run));

  // Prune after the revision is applied: services before the task definitions they ran.
  const pruned: ApplyOutcome[] = [];
  const toPrune = plan.entries.filter((e) => e.action === 'prune');
  for (const phase of [['Service'], ['TaskDefinition', 'Alarm', 'AutoScalingGroup']]) {
    const entries = toPrune.filter((e) => phase.includes(e.kind));
    pruned.push(...(await Promise.all(entries.map((e) => slot(() => pruneEntry(e, input, progress))))));
  }
  return [...applied, ...pruned];
}

/** Dispatches one manifest's entry to its kind. */
async function applyEntry(entry: PlanEntry, m: ManifestEntry['manifest'] | undefined, plan: Plan, input: ApplyInput, progress: Progress): Promise<ApplyOutcome> {
  const key = entry.key;
  if (entry.action === 'refused') return { key, status: 'refused', message: `${entry.reason ?? ''}: ${entry.message ?? ''}`, health: entry.health };
  if (entry.action === 'suspended') return { key, status: 'unchanged', message: 'suspended' };
  try {
    switch (m?.kind) {
      case 'Cluster':
        return await applyCluster(entry, m, input, progress);
      case 'Service':
        return await applyService(entry, m, plan, input, progress);
      case 'AutoScalingGroup':
        return await applyGroup(entry, m, plan, input, progress);
      case 'Alarm':
        return await applyAlarm(entry, m, plan, input, progress);
      default:
        return { key, status: 'unchanged', message: 'nothing to apply' };
    }
  } catch (err) {
    return failure(key, err);
  }
}

type Progress = (key: string, message: string) => void;

async function applyCluster(entry: PlanEntry, m: ClusterManifest, input: ApplyInput, progress: Progress): Promise<ApplyOutcome> {
  const key = entry.key;
  if (entry.action === 'no-change') return { key, status: 'unchanged', message: 'no change' };
  const ecs = input.aws.ecs(regionOf(m.spec, input.defaultRegion, key));
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
}

/** Sizes an existing group (never creates one) and puts Berth's tags on it. */
async function applyGroup(entry: PlanEntry, m: AutoScalingGroupManifest, plan: Plan, input: ApplyInput, progress: Progress): Promise<ApplyOutcome> {
  const key = entry.key;
  if (entry.action === 'no-change') return { key, status: 'unchanged', message: 'no change' };
  const region = regionOf(m.spec, input.defaultRegion, key);
  const autoscaling = input.aws.autoscaling(region);
  const desired = desiredGroup(m, { desiredCapacityOwnedElsewhere: plan.scaled.groups.has(m.metadata.name) });
  const sizes = entry.changes.filter((c) => c.path === 'minSize' || c.path === 'maxSize' || c.path === 'desiredCapacity');
  if (sizes.length > 0) {
    progress(key, `setting ${sizes.map((c) => `${c.path} ${String(c.to)}`).join(', ')}`);
    // All managed sizes in one call: AWS checks min ≤ desired ≤ max on the result, not on each field.
    await autoscaling.updateCapacity(desired);
  }
  const tags = ownershipTags(input.instance, key, input.revision).map((t) => ({ key: t.key ?? '', value: t.value ?? '' }));
  await autoscaling.createOrUpdateTags(desired.name, tags);
  const adopted = plan.observed.groups.get(`${region}/${desired.name}`)?.Tags?.some((t) => t.Key === TAG_MANAGED_BY) !== true;
  return { key, status: 'applied', message: adopted ? 'adopted' + (sizes.length > 0 ? ' and resized' : '') : 'resized' };
}

/** PutMetricAlarm (create, or replace the configuration), Enable/DisableAlarmActions when only muting changes, then tags. */
async function applyAlarm(entry: PlanEntry, m: AlarmManifest, plan: Plan, input: ApplyInput, progress: Progress): Promise<ApplyOutcome> {
  const key = entry.key;
  if (entry.action === 'no-change') return { key, status: 'unchanged', message: 'no change' };
  const region = regionOf(m.spec, input.defaultRegion, key);
  const cloudwatch = input.aws.cloudwatch(region);
  const desired = desiredAlarm(m);
  const tags = [...(m.spec.tags ?? []), ...ownershipTags(input.instance, key, input.revision)].map((t) => ({ Key: t.key, Value: t.value ?? '' }));
  if (entry.action === 'create') {
    progress(key, 'creating alarm');
    await cloudwatch.putMetricAlarm({ ...desired, Tags: tags });
    return { key, status: 'applied', message: 'created' };
  }
  const fieldChanges = entry.changes.filter((c) => !c.path.startsWith('tags['));
  if (fieldChanges.length === 1 && fieldChanges[0]?.path === 'actionsEnabled') {
    // Muting from git: the alarm's configuration and state stay as they are.
    const enabled = desired.ActionsEnabled !== false;
    progress(key, enabled ? 'enabling alarm actions' : 'disabling alarm actions');
    await cloudwatch.setActionsEnabled([desired.AlarmName], enabled);
  } else if (fieldChanges.length > 0) {
    progress(key, `updating ${fieldChanges.map((c) => c.path).join(', ')}`);
    await cloudwatch.putMetricAlarm(desired);
  }
  // PutMetricAlarm takes tags only when it creates the alarm.
  const arn = plan.observed.alarms.get(`${region}/${desired.AlarmName}`)?.AlarmArn;
  if (arn) await cloudwatch.tagResource(arn, tags);
  return { key, status: 'applied', message: annotation(m, 'berth.dev/adopt') ? 'adopted and updated' : 'updated' };
}

/** Whether live tags still say this Berth owns the resource and may prune it; the plan's inventory may be stale. */
function mayPrune(tags: ReadonlyMap<string, string>, instance: string): string | undefined {
  if (tags.get(TAG_MANAGED_BY) !== instance) return `no longer tagged ${TAG_MANAGED_BY}=${instance}; left alone`;
  if (tags.get(TAG_PRUNE) === 'false') return `tagged ${TAG_PRUNE}=false; left alone`;
  return undefined;
}


/**
 * Prunes one orphan: services scaled to 0 then deleted, task definition revisions deregistered,
 * alarms deleted, adopted groups released (Berth's tags removed, capacity as it is). Ownership is
 * checked again on the live resource first.
 */
async function pruneEntry(entry: PlanEntry, input: ApplyInput, progress: Progress): Promise<ApplyOutcome> {
  const key = entry.key;
  const region = entry.target?.region ?? '';
  try {
    switch (entry.kind) {
      case 'Service': {
        const [cluster = '', name = ''] = entry.name.split('/');
        const ecs = input.aws.ecs(region);
        const live = (await ecs.describeServices(cluster, [name])).services[0];
        if (!live) return { key, status: 'unchanged', message: 'already deleted' };
        const refusal = mayPrune(tagsByKey(live.tags), input.instance);
        if (refusal) return { key, status: 'refused', message: refusal };
        if ((live.desiredCount ?? 0) > 0) {
          progress(key, `scaling to 0 (from ${live.desiredCount ?? 0})`);
          await ecs.updateService({ cluster, service: name, desiredCount: 0 });
        }
        progress(key, 'deleting service');
        await ecs.deleteService(cluster, name);
        return { key, status: 'applied', message: 'pruned: scaled to 0 and deleted' };
      }
      case 'TaskDefinition': {
        const ecs = input.aws.ecs(region);
        let count = 0;
        for (const arn of entry.target?.arns ?? []) {
          const { taskDefinition, tags } = await ecs.describeTaskDefinition(arn);
          if (taskDefinition.status === 'INACTIVE' || mayPrune(tagsByKey(tags), input.instance)) continue;
          await ecs.deregisterTaskDefinition(arn);
          count++;
        }
        progress(key, `deregistered ${count} ${count === 1 ? 'revision' : 'revisions'}`);
        return { key, status: 'applied', message: `pruned: ${count} ${count === 1 ? 'revision' : 'revisions'} deregistered` };
      }
      case 'Alarm': {
        const cloudwatch = input.aws.cloudwatch(region);
        const arn = entry.target?.arns[0] ?? '';
        const live = (await cloudwatch.describeAlarms([entry.name])).alarms[0];
        if (!live) return { key, status: 'unchanged', message: 'already deleted' };
        const refusal = mayPrune(tagsByKey(await cloudwatch.listTags(live.AlarmArn ?? arn)), input.instance);
        if (refusal) return { key, status: 'refused', message: refusal };
        progress(key, 'deleting alarm');
        await cloudwatch.deleteAlarms([entry.name]);
        return { key, status: 'applied', message: 'pruned: deleted' };
      }
      case 'AutoScalingGroup': {
        const autoscaling = input.aws.autoscaling(region);
        const live = (await autoscaling.describeGroups([entry.name])).groups[0];
        if (!live) return { key, status: 'unchanged', message: 'the group no longer exists' };
        const tags = tagsByKey(live.Tags);
        const refusal = mayPrune(tags, input.instance);
        if (refusal) return { key, status: 'refused', message: refusal };
        progress(key, 'releasing: removing Berth\'s tags');
        await autoscaling.deleteTags(entry.name, [...tags.keys()].filter((k) => k.startsWith('berth.dev/')));
        return { key, status: 'applied', message: `released: Berth's tags removed, capacity left at ${live.DesiredCapacity ?? 0} (min ${live.MinSize ?? 0}, max ${live.MaxSize ?? 0})` };
      }
      default:
        return { key, status: 'unchanged', message: `${entry.kind} is not pruned` };
    }
  } catch (err) {
    return failure(key, err);
  }
}

async function applyService(entry: PlanEntry, m: ServiceManifest, plan: Plan, input: ApplyInput, progress: Progress): Promise<ApplyOutcome> {
  const key = entry.key;
  const region = regionOf(m.spec, input.defaultRegion, key);
  const ecs = input.aws.ecs(region);
  const desired = desiredService(m, { desiredCountOwnedElsewhere: plan.scaled.services.has(m.metadata.name) });
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
}

/** The ARN to deploy for `m`'s task definition, registering a revision only when no identical one is ACTIVE. */
async function taskDefinitionFor(ecs: EcsPort, m: ServiceManifest, key: string, input: ApplyInput, tags: Tag[], progress: Progress): Promise<string> {
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
async function follow(key: string, m: ServiceManifest, region: string, input: ApplyInput, progress: Progress, known: Service | undefined): Promise<ApplyOutcome> {
  const ecs = input.aws.ecs(region);
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
