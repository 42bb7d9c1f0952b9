/**
 * The queue scaler's decision: a pure function of (state, observation, policy) → (decision, state).
 * No I/O and no clock: the time of each observation is part of its input, so the same sequence of
 * observations always gives the same decisions (table-tested in decision.test.ts, replayed by
 * bench/scaler-cost.ts).
 *
 * recommendation = clamp(ceil(backlog / jobsPerTask), minTasks, maxTasks)
 *   With minTasks 0 any backlog ≥ 1 recommends at least 1 task (ceil of a positive number), so the
 *   first job after idle activates the service.
 * keep = max(recommendation, clamp(ceil(backlog / taskConcurrency), minTasks, maxTasks))
 *   The tasks the backlog has work for: a task runs `taskConcurrency` jobs at once, so no fewer
 *   can work through the jobs present without one of them waiting.
 * tasks = clamp(previous tasks, lowest recommendation of the scale-up window,
 *                               highest keep of the scale-down window)
 *   This is the Kubernetes HPA's stabilization (`stabilizeRecommendationWithBehaviors` in
 *   pkg/controller/podautoscaler): with a scale-up window of 0 s a higher recommendation applies at
 *   once; with S > 0 s the count only rises to what every recommendation of the last S seconds
 *   asked for. Tasks fall only to the highest keep of the scale-down window, so they step down as
 *   old highs leave the window.
 *
 *   The HPA takes the same recommendation both ways; Berth does not. jobsPerTask says how much
 *   backlog justifies another task; once a task runs, what it costs to keep it is its idle time,
 *   and a task that still has a job to work on is not idle. So a task is removed only when it has
 *   had no work for the whole scale-down window: 4 tasks on a backlog of 6 (recommendation 2) stay
 *   4 while the 6 jobs run, rather than dropping to 2 and making 2 jobs wait, only to scale up again
 *   at the next burst. On bench/scaler-cost's day this rule with a 120 s window costs less and
 *   waits less than the HPA's rule with any window (see the bench's sensitivity table). With
 *   taskConcurrency ≥ jobsPerTask, keep is the recommendation: the HPA's rule.
 * instances = clamp(ceil(tasks / tasksPerInstance), group minSize, group maxSize)
 *
 * A failed read holds the last decision: the scaler never scales in on missing data. After
 * `fallbackAfterSeconds` of failed reads in a row it moves to `fallbackTasks` when that is set, in
 * either direction, as the schema says ("the number of tasks to move to when the queue cannot be
 * read"): with Redis down the workers cannot take jobs either, so a fallback below the last decision
 * is a legitimate choice (save the GPUs), and one above it keeps capacity warm for the recovery.
 * The fallback is not stretched by the scale-down window: `fallbackAfterSeconds` is the delay the
 * manifest chose. The next good read decides from the backlog again.
 *
 * Choices the HPA does not make:
 * - Windows start with the first reading. A fresh state has no recommendation, so the task count
 *   found at start is recorded as one at the time of the first good read. A restarted controller
 *   that finds 4 tasks running keeps them for a whole scale-down window before it trusts a low
 *   backlog, instead of scaling in on its first read (the HPA loses its recommendations on
 *   restart). Later gaps (an outage, a slow poll) are not seeded: the windows see only readings.
 * - `minTasks`/`maxTasks` and the group's bounds always apply, also to a held value: a manifest
 *   that lowers `maxTasks` takes effect while the queue is unreadable.
 * - Time never runs backwards: an observation stamped before the previous one (a wall clock
 *   stepped back) is taken at the previous one's time, so no window is cut short.
 */
import type { AutoScalingGroupManifest, QueueScalerManifest } from '../manifests/types.ts';

/** How the scaler turns a backlog into tasks and instances: a QueueScaler manifest with its defaults applied. */
export interface ScalerPolicy {
  /** Backlog jobs one task should handle: tasks = ceil(backlog / jobsPerTask). At least 1. */
  readonly jobsPerTask: number;
  /** The fewest tasks, even with an empty queue. @defaultValue 0 (at the caller) */
  readonly minTasks: number;
  /** The most tasks, however long the backlog. At least 1 and at least `minTasks`. */
  readonly maxTasks: number;
  /**
   * Jobs one task works on at once (the worker's BullMQ `concurrency`): scale-down keeps
   * ceil(backlog / taskConcurrency) tasks, those the backlog has work for. At least 1.
   * @defaultValue 1 (at the caller)
   */
  readonly taskConcurrency: number;
  /** Tasks that fit on one instance: instances = ceil(tasks / tasksPerInstance). @defaultValue 1 (at the caller) */
  readonly tasksPerInstance: number;
  /** The Auto Scaling group manifest's `minSize`/`maxSize`; without it instances are not clamped. */
  readonly instanceBounds?: { readonly min: number; readonly max: number };
  /** Window over which the lowest recommendation is taken on the way up. @defaultValue 0 (at the caller) */
  readonly scaleUpStabilizationSeconds: number;
  /** Window over which the highest recommendation is taken on the way down. @defaultValue 300 (at the caller) */
  readonly scaleDownStabilizationSeconds: number;
  /** Tasks to move to once the queue has been unreadable for `fallbackAfterSeconds`; without it the last decision is held. */
  readonly fallbackTasks?: number;
  /** Seconds of failed reads in a row before moving to `fallbackTasks`. @defaultValue 60 (at the caller) */
  readonly fallbackAfterSeconds: number;
}

/**
 * One reading of the queue at time `at` (milliseconds, for example `Date.now()`): the backlog, or
 * why it could not be read. A time earlier than the previous observation's (a wall clock stepped
 * back) counts as the previous observation's time.
 */
export type Observation =
  | { readonly at: number; readonly backlog: number }
  | { readonly at: number; readonly error: string };

/** A recommendation of a good read. */
export interface Recommendation {
  /** When it was last made (ms). */
  readonly at: number;
  /** The recommendation: what the scale-up window compares. */
  readonly tasks: number;
  /** The tasks the backlog had work for, at least `tasks`: what the scale-down window compares. */
  readonly keep: number;
}

/** What the scaler remembers between decisions. Plain data: it can be logged, compared and kept across calls. */
export interface ScalerState {
  /**
   * The recommendations of good reads, oldest first, none older than the longer window at the last
   * good read (failed reads add none). A run of equal recommendations keeps only its latest time,
   * the only one a window that ends now can see. Empty only before the first good read.
   */
  readonly recommendations: readonly Recommendation[];
  /** The last decision (or the fleet found at start). */
  readonly tasks: number;
  readonly instances: number;
  /** The time of the latest observation; undefined before the first. */
  readonly at: number | undefined;
  /** When the current run of failed reads started; undefined while reads succeed. */
  readonly failingSince: number | undefined;
}

export interface Decision {
  /** The service's desired count. */
  readonly tasks: number;
  /** The Auto Scaling group's desired capacity. */
  readonly instances: number;
  /** Compared with the previous decision. */
  readonly direction: 'up' | 'down' | 'none';
  /** In words, with the numbers: "backlog 12 → 3 tasks (ceil(12/5)); scale-down held by the 300 s window (highest recommendation 4)". */
  readonly reason: string;
  /** A stabilization window kept `tasks` away from the recommendation, or a failed read held the last decision. */
  readonly held: boolean;
  /**
   * clamp(ceil(backlog / jobsPerTask), minTasks, maxTasks), before the windows. A failed read makes
   * no recommendation: there it equals `tasks` (the held value or the fallback).
   */
  readonly recommendation: number;
}

/**
 * The state before the first observation. `current` is the fleet as found (the service's desired
 * count and the group's desired capacity); without it the fleet is taken to be empty.
 */
export function initialState(current?: { tasks: number; instances: number }): ScalerState {
  const tasks = current?.tasks ?? 0;
  const instances = current?.instances ?? 0;
  if (!isCount(tasks) || !isCount(instances)) {
    throw new RangeError(`the current fleet must be whole numbers of 0 or more, not ${tasks} tasks and ${instances} instances`);
  }
  return { recommendations: [], tasks, instances, at: undefined, failingSince: undefined };
}

/** The decision for one observation, and the state to pass to the next call. Throws RangeError on an invalid policy, backlog or time. */
export function decide(state: ScalerState, obs: Observation, policy: ScalerPolicy): { decision: Decision; state: ScalerState } {
  checkPolicy(policy);
  if (!Number.isFinite(obs.at)) throw new RangeError(`the observation time must be a finite number of milliseconds, not ${obs.at}`);
  // A wall clock stepped back (NTP): take the observation to be at the previous one's time, so the
  // windows never run backwards and a held scale-down is never cut short.
  const at = Math.max(obs.at, state.at ?? obs.at);
  return 'error' in obs ? decideUnreadable(state, { at, error: obs.error }, policy) : decideBacklog(state, { at, backlog: obs.backlog }, policy);
}

/** The policy of a QueueScaler manifest with the schema's defaults, and the bounds of its Auto Scaling group manifest if it has one. */
export function scalerPolicy(spec: QueueScalerManifest['spec'], group?: AutoScalingGroupManifest['spec']): ScalerPolicy {
  return {
    jobsPerTask: spec.jobsPerTask,
    minTasks: spec.minTasks ?? 0,
    maxTasks: spec.maxTasks,
    taskConcurrency: spec.taskConcurrency ?? 1,
    tasksPerInstance: spec.target.tasksPerInstance ?? 1,
    ...(group ? { instanceBounds: { min: group.minSize, max: group.maxSize } } : {}),
    scaleUpStabilizationSeconds: spec.scaleUp?.stabilizationSeconds ?? 0,
    scaleDownStabilizationSeconds: spec.scaleDown?.stabilizationSeconds ?? 300,
    ...(spec.fallbackTasks !== undefined ? { fallbackTasks: spec.fallbackTasks } : {}),
    fallbackAfterSeconds: spec.fallbackAfterSeconds ?? 60,
  };
}

function decideBacklog(state: ScalerState, obs: { readonly at: number; readonly backlog: number }, policy: ScalerPolicy): { decision: Decision; state: ScalerState } {
  const { at, backlog } = obs;
  if (!Number.isFinite(backlog) || backlog < 0) throw new RangeError(`the backlog must be a finite number of 0 or more, not ${backlog}`);
  const { minTasks, maxTasks } = policy;
  const raw = Math.ceil(backlog / policy.jobsPerTask);
  const recommendation = clamp(raw, minTasks, maxTasks);
  const rawKeep = Math.ceil(backlog / policy.taskConcurrency);
  const keep = Math.max(recommendation, clamp(rawKeep, minTasks, maxTasks));
  const previous = state.tasks;
  const current = clamp(previous, minTasks, maxTasks);

  // The first good read starts the windows with the count found at start (a failed read never drops
  // recommendations, so empty means "no good read yet").
  const upMs = policy.scaleUpStabilizationSeconds * 1000;
  const downMs = policy.scaleDownStabilizationSeconds * 1000;
  const longestMs = Math.max(upMs, downMs);
  const history = state.recommendations.length === 0 && longestMs > 0 ? [{ at, tasks: current, keep: current }] : state.recommendations;

  // The HPA's stabilization: the lowest recommendation of the scale-up window and the highest keep of
  // the scale-down window, each including this one, bound how far the count moves from where it is.
  let lowest = recommendation;
  let highest = keep;
  for (const r of history) {
    if (r.at > at - upMs) lowest = Math.min(lowest, r.tasks);
    if (r.at > at - downMs) highest = Math.max(highest, r.keep);
  }
  const tasks = Math.min(Math.max(current, lowest), highest);
  const instances = instancesFor(tasks, policy);

  // Record this recommendation, forgetting what no window can see any more.
  const recommendations = record(history, { at, tasks: recommendation, keep }, longestMs);

  const parts: string[] = [];
  if (state.failingSince !== undefined) parts.push(`queue readable again after ${seconds(at - state.failingSince)} of failed reads`);
  let reading = `backlog ${backlog} → ${plural(recommendation, 'task')} (ceil(${backlog}/${policy.jobsPerTask})${boundNote(raw, minTasks, maxTasks, 'minTasks', 'maxTasks')})`;
  if (keep > recommendation) reading += `, work for ${keep} (ceil(${backlog}/${policy.taskConcurrency})${boundNote(rawKeep, minTasks, maxTasks, 'minTasks', 'maxTasks')})`;
  parts.push(reading);
  if (current !== previous) parts.push(`the previous ${plural(previous, 'task')} brought within minTasks ${minTasks}…maxTasks ${maxTasks}`);
  parts.push(stepReason({ current, tasks, recommendation, lowest, highest, policy }));
  parts.push(instanceReason(tasks, instances, policy));

  return {
    decision: { tasks, instances, direction: direction(previous, tasks), reason: parts.join('; '), held: tasks !== recommendation, recommendation },
    state: { recommendations, tasks, instances, at, failingSince: undefined },
  };
}

function decideUnreadable(state: ScalerState, obs: { readonly at: number; readonly error: string }, policy: ScalerPolicy): { decision: Decision; state: ScalerState } {
  const { at, error } = obs;
  const failingSince = state.failingSince ?? at;
  const failingFor = at - failingSince;
  const previous = state.tasks;
  const { fallbackTasks, minTasks, maxTasks } = policy;
  const fallback = fallbackTasks !== undefined && failingFor >= policy.fallbackAfterSeconds * 1000;

  let tasks: number;
  let action: string;
  if (fallback) {
    tasks = clamp(fallbackTasks, minTasks, maxTasks);
    action = `moved to fallbackTasks ${fallbackTasks}${boundNote(fallbackTasks, minTasks, maxTasks, 'minTasks', 'maxTasks')} after ${seconds(policy.fallbackAfterSeconds * 1000)}`;
  } else {
    tasks = clamp(previous, minTasks, maxTasks);
    action = `holding ${plural(tasks, 'task')}${boundNote(previous, minTasks, maxTasks, 'minTasks', 'maxTasks')} (never scaling in on missing data)`;
    action += fallbackTasks === undefined ? '; no fallbackTasks, so until the queue can be read' : `; fallback to ${plural(fallbackTasks, 'task')} after ${seconds(policy.fallbackAfterSeconds * 1000)}`;
  }
  const instances = instancesFor(tasks, policy);
  return {
    decision: {
      tasks,
      instances,
      direction: direction(previous, tasks),
      reason: `queue unreadable for ${seconds(failingFor)} (${error}); ${action}; ${instanceReason(tasks, instances, policy)}`,
      held: !fallback,
      recommendation: tasks,
    },
    // The held (or fallback) count stands as this moment's recommendation: after an outage the
    // scale-down window runs again from the last count held, so the first reads after the queue comes
    // back (from a Redis restarted empty, say) do not scale in at once.
    state: { recommendations: record(state.recommendations, { at, tasks, keep: tasks }, Math.max(policy.scaleUpStabilizationSeconds, policy.scaleDownStabilizationSeconds) * 1000), tasks, instances, at, failingSince },
  };
}

interface StepInput {
  readonly current: number;
  readonly tasks: number;
  readonly recommendation: number;
  readonly lowest: number;
  readonly highest: number;
  readonly policy: ScalerPolicy;
}

/** Why the count moved (or did not) from `current` to `tasks`. */
function stepReason({ current, tasks, recommendation, lowest, highest, policy }: StepInput): string {
  const up = `the ${policy.scaleUpStabilizationSeconds} s scale-up window (lowest recommendation ${lowest})`;
  const down = `the ${policy.scaleDownStabilizationSeconds} s scale-down window (highest: ${plural(highest, 'task')})`;
  if (tasks > current) return tasks === recommendation ? `scaling up from ${current}` : `scale-up limited by ${up}: ${current} → ${tasks}`;
  if (tasks < current) return tasks === recommendation ? `scaling down from ${current}` : `scale-down limited by ${down}: ${current} → ${tasks}`;
  if (recommendation > tasks) return `scale-up held by ${up}`;
  if (recommendation < tasks) return `scale-down held by ${down}`;
  return 'no change';
}

function instanceReason(tasks: number, instances: number, policy: ScalerPolicy): string {
  const raw = Math.ceil(tasks / policy.tasksPerInstance);
  const formula = policy.tasksPerInstance > 1 ? ` (ceil(${tasks}/${policy.tasksPerInstance}))` : '';
  const bounds = policy.instanceBounds;
  return `${plural(instances, 'instance')}${formula}${bounds ? boundNote(raw, bounds.min, bounds.max, "the group's minSize", "the group's maxSize") : ''}`;
}

/** `history` without what no window sees any more, plus `entry` (a repeat only moves the time of the last one). */
function record(history: readonly Recommendation[], entry: Recommendation, longestMs: number): Recommendation[] {
  const kept = history.filter((r) => r.at > entry.at - longestMs);
  const last = kept.at(-1);
  return last?.tasks === entry.tasks && last.keep === entry.keep ? [...kept.slice(0, -1), entry] : [...kept, entry];
}

function instancesFor(tasks: number, policy: ScalerPolicy): number {
  const raw = Math.ceil(tasks / policy.tasksPerInstance);
  const bounds = policy.instanceBounds;
  return bounds ? clamp(raw, bounds.min, bounds.max) : raw;
}

function checkPolicy(p: ScalerPolicy): void {
  const fail = (what: string): never => {
    throw new RangeError(`invalid scaler policy: ${what}`);
  };
  if (!Number.isInteger(p.jobsPerTask) || p.jobsPerTask < 1) fail(`jobsPerTask must be a whole number of 1 or more, not ${p.jobsPerTask}`);
  if (!isCount(p.minTasks)) fail(`minTasks must be a whole number of 0 or more, not ${p.minTasks}`);
  if (!Number.isInteger(p.maxTasks) || p.maxTasks < Math.max(1, p.minTasks)) fail(`maxTasks must be a whole number of at least 1 and at least minTasks (${p.minTasks}), not ${p.maxTasks}`);
  if (!Number.isInteger(p.taskConcurrency) || p.taskConcurrency < 1) fail(`taskConcurrency must be a whole number of 1 or more, not ${p.taskConcurrency}`);
  if (!Number.isInteger(p.tasksPerInstance) || p.tasksPerInstance < 1) fail(`tasksPerInstance must be a whole number of 1 or more, not ${p.tasksPerInstance}`);
  const b = p.instanceBounds;
  if (b && (!isCount(b.min) || !isCount(b.max) || b.min > b.max)) fail(`instanceBounds must be whole numbers with 0 ≤ min ≤ max, not ${b.min}…${b.max}`);
  if (!(p.scaleUpStabilizationSeconds >= 0) || !Number.isFinite(p.scaleUpStabilizationSeconds)) fail(`scaleUpStabilizationSeconds must be 0 or more, not ${p.scaleUpStabilizationSeconds}`);
  if (!(p.scaleDownStabilizationSeconds >= 0) || !Number.isFinite(p.scaleDownStabilizationSeconds)) fail(`scaleDownStabilizationSeconds must be 0 or more, not ${p.scaleDownStabilizationSeconds}`);
  if (p.fallbackTasks !== undefined && !isCount(p.fallbackTasks)) fail(`fallbackTasks must be a whole number of 0 or more, not ${p.fallbackTasks}`);
  if (!(p.fallbackAfterSeconds > 0) || !Number.isFinite(p.fallbackAfterSeconds)) fail(`fallbackAfterSeconds must be more than 0, not ${p.fallbackAfterSeconds}`);
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}

/** ", raised to minTasks 2" / ", capped at maxTasks 4" when `n` lies outside min…max; "" otherwise. */
function boundNote(n: number, min: number, max: number, minName: string, maxName: string): string {
  if (n < min) return `, raised to ${minName} ${min}`;
  if (n > max) return `, capped at ${maxName} ${max}`;
  return '';
}

function direction(previous: number, tasks: number): Decision['direction'] {
  return tasks > previous ? 'up' : tasks < previous ? 'down' : 'none';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
