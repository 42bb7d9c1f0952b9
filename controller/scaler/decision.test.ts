import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueueScalerManifest } from '../manifests/types.ts';
import { decide, initialState, scalerPolicy } from './decision.ts';
import type { Decision, Observation, ScalerPolicy, ScalerState } from './decision.ts';

/** The schema's defaults with jobsPerTask 5 and maxTasks 4. */
const DEFAULTS: ScalerPolicy = {
  jobsPerTask: 5,
  minTasks: 0,
  maxTasks: 4,
  taskConcurrency: 1,
  tasksPerInstance: 1,
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 300,
  fallbackAfterSeconds: 60,
};
/**
 * The Kubernetes HPA's rule (taskConcurrency = jobsPerTask, so a task is kept only for the
 * recommendation): most rows test the windows with it; the rows named "taskConcurrency 1" test
 * the default, which keeps the tasks the backlog has work for.
 */
const HPA: ScalerPolicy = { ...DEFAULTS, taskConcurrency: 5 };

/** A reading at `s` seconds: a backlog, or a failed read when given a string. */
type Step = readonly [s: number, backlog: number | string];

function observation([s, reading]: Step): Observation {
  return typeof reading === 'string' ? { at: s * 1000, error: reading } : { at: s * 1000, backlog: reading };
}

/** Every decision of a run, and the final state. */
function run(policy: ScalerPolicy, steps: readonly Step[], current?: { tasks: number; instances: number }): { decisions: Decision[]; state: ScalerState } {
  let state = initialState(current);
  const decisions: Decision[] = [];
  for (const step of steps) {
    const next = decide(state, observation(step), policy);
    decisions.push(next.decision);
    state = next.state;
  }
  return { decisions, state };
}

interface Row {
  readonly name: string;
  readonly policy?: Partial<ScalerPolicy>;
  readonly current?: { tasks: number; instances: number };
  readonly steps: readonly Step[];
  /** The last decision. */
  readonly tasks: number;
  readonly instances: number;
  readonly direction: Decision['direction'];
  readonly held: boolean;
  readonly recommendation: number;
  readonly reason: string;
}

const rows: readonly Row[] = [
  {
    name: 'idle at 0, one job: 1 task and 1 instance at once (activation)',
    current: { tasks: 0, instances: 0 },
    steps: [[0, 0], [1, 1]],
    tasks: 1, instances: 1, direction: 'up', held: false, recommendation: 1,
    reason: 'backlog 1 → 1 task (ceil(1/5)); scaling up from 0; 1 instance',
  },
  {
    name: 'a fresh scaler with no fleet given starts from 0',
    steps: [[0, 7]],
    tasks: 2, instances: 2, direction: 'up', held: false, recommendation: 2,
    reason: 'backlog 7 → 2 tasks (ceil(7/5)); scaling up from 0; 2 instances',
  },
  {
    name: 'empty queue at 0 stays at 0',
    current: { tasks: 0, instances: 0 },
    steps: [[0, 0]],
    tasks: 0, instances: 0, direction: 'none', held: false, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); no change; 0 instances',
  },
  {
    name: '60 jobs, jobsPerTask 5, maxTasks 4: 4 tasks, 4 instances',
    steps: [[0, 60]],
    tasks: 4, instances: 4, direction: 'up', held: false, recommendation: 4,
    reason: 'backlog 60 → 4 tasks (ceil(60/5), capped at maxTasks 4); scaling up from 0; 4 instances',
  },
  {
    name: 'steady: the recommendation is the current count',
    current: { tasks: 3, instances: 3 },
    steps: [[0, 15]],
    tasks: 3, instances: 3, direction: 'none', held: false, recommendation: 3,
    reason: 'backlog 15 → 3 tasks (ceil(15/5)); no change; 3 instances',
  },
  {
    name: 'minTasks 2 with an empty queue: raised to 2 at once',
    policy: { minTasks: 2 },
    current: { tasks: 0, instances: 0 },
    steps: [[0, 0]],
    tasks: 2, instances: 2, direction: 'up', held: false, recommendation: 2,
    reason: 'backlog 0 → 2 tasks (ceil(0/5), raised to minTasks 2); the previous 0 tasks brought within minTasks 2…maxTasks 4; no change; 2 instances',
  },
  {
    name: 'minTasks 2: a drained queue never goes below 2',
    policy: { minTasks: 2 },
    steps: [[0, 20], [301, 0]],
    tasks: 2, instances: 2, direction: 'down', held: false, recommendation: 2,
    reason: 'backlog 0 → 2 tasks (ceil(0/5), raised to minTasks 2); scaling down from 4; 2 instances',
  },
  {
    name: 'tasksPerInstance 2: 5 tasks on 3 instances',
    policy: { maxTasks: 8, tasksPerInstance: 2 },
    steps: [[0, 25]],
    tasks: 5, instances: 3, direction: 'up', held: false, recommendation: 5,
    reason: 'backlog 25 → 5 tasks (ceil(25/5)); scaling up from 0; 3 instances (ceil(5/2))',
  },
  {
    name: "the group's maxSize caps the instances",
    policy: { instanceBounds: { min: 0, max: 2 } },
    steps: [[0, 20]],
    tasks: 4, instances: 2, direction: 'up', held: false, recommendation: 4,
    reason: "backlog 20 → 4 tasks (ceil(20/5)); scaling up from 0; 2 instances, capped at the group's maxSize 2",
  },
  {
    name: "the group's minSize keeps an instance with no tasks",
    policy: { instanceBounds: { min: 1, max: 4 } },
    current: { tasks: 0, instances: 1 },
    steps: [[0, 0]],
    tasks: 0, instances: 1, direction: 'none', held: false, recommendation: 0,
    reason: "backlog 0 → 0 tasks (ceil(0/5)); no change; 1 instance, raised to the group's minSize 1",
  },
  {
    name: 'a restart finding 4 tasks and an empty queue holds them: the window starts with the first reading',
    current: { tasks: 4, instances: 4 },
    steps: [[0, 0], [299, 0]],
    tasks: 4, instances: 4, direction: 'none', held: true, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scale-down held by the 300 s scale-down window (highest: 4 tasks); 4 instances',
  },
  {
    name: '… and scales in once the whole window was low',
    current: { tasks: 4, instances: 4 },
    steps: [[0, 0], [299, 0], [300, 0]],
    tasks: 0, instances: 0, direction: 'down', held: false, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scaling down from 4; 0 instances',
  },
  {
    name: 'readings a whole window apart (pollSeconds 300): the old reading has left, so down at once',
    steps: [[0, 20], [300, 0]],
    tasks: 0, instances: 0, direction: 'down', held: false, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scaling down from 4; 0 instances',
  },
  {
    name: 'a restart during an outage: the first good read starts the windows',
    current: { tasks: 3, instances: 3 },
    steps: [[0, 'ECONNREFUSED'], [400, 'ECONNREFUSED'], [401, 0]],
    tasks: 3, instances: 3, direction: 'none', held: true, recommendation: 0,
    reason: 'queue readable again after 401 s of failed reads; backlog 0 → 0 tasks (ceil(0/5)); scale-down held by the 300 s scale-down window (highest: 3 tasks); 3 instances',
  },
  {
    name: 'burst then drain: held while the burst is in the window',
    steps: [[0, 20], [10, 3], [299, 0]],
    tasks: 4, instances: 4, direction: 'none', held: true, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scale-down held by the 300 s scale-down window (highest: 4 tasks); 4 instances',
  },
  {
    name: 'burst then drain: steps down to the highest recommendation left in the window',
    steps: [[0, 20], [10, 3], [300, 0]],
    tasks: 1, instances: 1, direction: 'down', held: true, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scale-down limited by the 300 s scale-down window (highest: 1 task): 4 → 1; 1 instance',
  },
  {
    name: 'taskConcurrency 1: 4 tasks on a backlog of 6 stay 4 past the window while the jobs are there',
    policy: { taskConcurrency: 1 },
    steps: [[0, 20], [10, 6], [400, 6]],
    tasks: 4, instances: 4, direction: 'none', held: true, recommendation: 2,
    reason: 'backlog 6 → 2 tasks (ceil(6/5)), work for 4 (ceil(6/1), capped at maxTasks 4); scale-down held by the 300 s scale-down window (highest: 4 tasks); 4 instances',
  },
  {
    name: 'taskConcurrency 1: steps down to the tasks with work once the higher need left the window',
    policy: { taskConcurrency: 1 },
    steps: [[0, 20], [10, 6], [20, 2], [320, 2]],
    tasks: 2, instances: 2, direction: 'down', held: true, recommendation: 1,
    reason: 'backlog 2 → 1 task (ceil(2/5)), work for 2 (ceil(2/1)); scale-down limited by the 300 s scale-down window (highest: 2 tasks): 4 → 2; 2 instances',
  },
  {
    name: 'taskConcurrency 1: work for more tasks does not scale up; only the recommendation does',
    policy: { taskConcurrency: 1 },
    current: { tasks: 1, instances: 1 },
    steps: [[0, 3]],
    tasks: 1, instances: 1, direction: 'none', held: false, recommendation: 1,
    reason: 'backlog 3 → 1 task (ceil(3/5)), work for 3 (ceil(3/1)); no change; 1 instance',
  },
  {
    name: 'taskConcurrency 1: an empty queue for the whole window scales to zero',
    policy: { taskConcurrency: 1 },
    steps: [[0, 20], [10, 3], [20, 0], [320, 0]],
    tasks: 0, instances: 0, direction: 'down', held: false, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scaling down from 4; 0 instances',
  },
  {
    name: 'scale-down window 0: down at once',
    policy: { scaleDownStabilizationSeconds: 0 },
    steps: [[0, 20], [1, 0]],
    tasks: 0, instances: 0, direction: 'down', held: false, recommendation: 0,
    reason: 'backlog 0 → 0 tasks (ceil(0/5)); scaling down from 4; 0 instances',
  },
  {
    name: 'scale-up window 60 s: held at the lowest recommendation of the window',
    policy: { scaleUpStabilizationSeconds: 60 },
    current: { tasks: 1, instances: 1 },
    steps: [[0, 5], [30, 20]],
    tasks: 1, instances: 1, direction: 'none', held: true, recommendation: 4,
    reason: 'backlog 20 → 4 tasks (ceil(20/5)); scale-up held by the 60 s scale-up window (lowest recommendation 1); 1 instance',
  },
  {
    name: 'scale-up window 60 s: up once every recommendation of the window is higher',
    policy: { scaleUpStabilizationSeconds: 60 },
    current: { tasks: 1, instances: 1 },
    steps: [[0, 5], [30, 20], [60, 20]],
    tasks: 4, instances: 4, direction: 'up', held: false, recommendation: 4,
    reason: 'backlog 20 → 4 tasks (ceil(20/5)); scaling up from 1; 4 instances',
  },
  {
    name: 'scale-up window 60 s: up in part, to the lowest recommendation of the window',
    policy: { scaleUpStabilizationSeconds: 60 },
    current: { tasks: 1, instances: 1 },
    steps: [[0, 5], [30, 10], [61, 20]],
    tasks: 2, instances: 2, direction: 'up', held: true, recommendation: 4,
    reason: 'backlog 20 → 4 tasks (ceil(20/5)); scale-up limited by the 60 s scale-up window (lowest recommendation 2): 1 → 2; 2 instances',
  },
  {
    name: 'a failed read holds the last decision',
    steps: [[0, 15], [10, 'ECONNREFUSED']],
    tasks: 3, instances: 3, direction: 'none', held: true, recommendation: 3,
    reason: 'queue unreadable for 0 s (ECONNREFUSED); holding 3 tasks (never scaling in on missing data); no fallbackTasks, so until the queue can be read; 3 instances',
  },
  {
    name: 'without fallbackTasks failed reads hold for ever',
    steps: [[0, 15], [10, 'ECONNREFUSED'], [3600, 'ECONNREFUSED']],
    tasks: 3, instances: 3, direction: 'none', held: true, recommendation: 3,
    reason: 'queue unreadable for 3590 s (ECONNREFUSED); holding 3 tasks (never scaling in on missing data); no fallbackTasks, so until the queue can be read; 3 instances',
  },
  {
    name: 'failed reads shorter than fallbackAfterSeconds hold',
    policy: { fallbackTasks: 1 },
    steps: [[0, 15], [10, 'timeout'], [69, 'timeout']],
    tasks: 3, instances: 3, direction: 'none', held: true, recommendation: 3,
    reason: 'queue unreadable for 59 s (timeout); holding 3 tasks (never scaling in on missing data); fallback to 1 task after 60 s; 3 instances',
  },
  {
    name: 'after fallbackAfterSeconds of failed reads: moves to fallbackTasks (down too, as the schema says)',
    policy: { fallbackTasks: 1 },
    steps: [[0, 15], [10, 'timeout'], [70, 'timeout']],
    tasks: 1, instances: 1, direction: 'down', held: false, recommendation: 1,
    reason: 'queue unreadable for 60 s (timeout); moved to fallbackTasks 1 after 60 s; 1 instance',
  },
  {
    name: 'fallback up, capped at maxTasks',
    policy: { fallbackTasks: 9, fallbackAfterSeconds: 30 },
    steps: [[0, 5], [1, 'timeout'], [31, 'timeout']],
    tasks: 4, instances: 4, direction: 'up', held: false, recommendation: 4,
    reason: 'queue unreadable for 30 s (timeout); moved to fallbackTasks 9, capped at maxTasks 4 after 30 s; 4 instances',
  },
  {
    name: 'recovery: the next good read decides from the backlog again',
    policy: { fallbackTasks: 1 },
    steps: [[0, 15], [10, 'timeout'], [70, 'timeout'], [71, 20]],
    tasks: 4, instances: 4, direction: 'up', held: false, recommendation: 4,
    reason: 'queue readable again after 61 s of failed reads; backlog 20 → 4 tasks (ceil(20/5)); scaling up from 1; 4 instances',
  },
  {
    name: 'recovery low: the readings before the outage still hold the fallback count within the window',
    policy: { fallbackTasks: 2 },
    steps: [[0, 20], [10, 'timeout'], [70, 'timeout'], [100, 0]],
    tasks: 2, instances: 2, direction: 'none', held: true, recommendation: 0,
    reason: 'queue readable again after 90 s of failed reads; backlog 0 → 0 tasks (ceil(0/5)); scale-down held by the 300 s scale-down window (highest: 4 tasks); 2 instances',
  },
  {
    name: 'a lowered maxTasks applies to a held value',
    policy: { maxTasks: 2 },
    current: { tasks: 4, instances: 4 },
    steps: [[0, 'timeout']],
    tasks: 2, instances: 2, direction: 'down', held: true, recommendation: 2,
    reason: 'queue unreadable for 0 s (timeout); holding 2 tasks, capped at maxTasks 2 (never scaling in on missing data); no fallbackTasks, so until the queue can be read; 2 instances',
  },
];

describe('decide', () => {
  it.each(rows)('$name', (row) => {
    const { decisions } = run({ ...HPA, ...row.policy }, row.steps, row.current);
    expect(decisions.at(-1)).toEqual({
      tasks: row.tasks,
      instances: row.instances,
      direction: row.direction,
      held: row.held,
      recommendation: row.recommendation,
      reason: row.reason,
    });
  });

  it('steps down in stages as the old highs leave the scale-down window', () => {
    const steps: Step[] = [[0, 20], [100, 12], [200, 3], [250, 0], [300, 0], [399, 0], [400, 0], [500, 0], [600, 0]];
    const { decisions } = run(HPA, steps);
    expect(decisions.map((d) => [d.recommendation, d.tasks, d.direction, d.held])).toEqual([
      [4, 4, 'up', false],
      [3, 4, 'none', true],
      [1, 4, 'none', true],
      [0, 4, 'none', true],
      [0, 3, 'down', true], // the 4 of t=0 left the window; the 3 of t=100 is the highest left
      [0, 3, 'none', true],
      [0, 1, 'down', true], // the 3 left; the 1 of t=200
      [0, 0, 'down', false], // every recommendation of the window is 0
      [0, 0, 'none', false],
    ]);
  });

  it('a burst inside the window restarts the wait', () => {
    const { decisions } = run(HPA, [[0, 20], [200, 0], [250, 20], [300, 0], [549, 0], [550, 0]]);
    expect(decisions.map((d) => d.tasks)).toEqual([4, 4, 4, 4, 4, 0]);
  });

  it('failed reads hold, fall back after fallbackAfterSeconds, and recover on the next good read', () => {
    const policy: ScalerPolicy = { ...HPA, fallbackTasks: 1, fallbackAfterSeconds: 60 };
    const { decisions, state } = run(policy, [[0, 15], [1, 'down'], [30, 'down'], [60, 'down'], [61, 'down'], [90, 'down'], [91, 12], [92, 30]]);
    expect(decisions.map((d) => [d.tasks, d.direction, d.held])).toEqual([
      [3, 'up', false],
      [3, 'none', true],
      [3, 'none', true],
      [3, 'none', true],
      [1, 'down', false], // 60 s since the first failed read at t=1
      [1, 'none', false],
      [3, 'up', false], // the backlog again: 12 → 3, up at once
      [4, 'up', false],
    ]);
    expect(state.failingSince).toBeUndefined();
  });

  it('after a long outage the scale-down window runs again from the count held, before any scale-in', () => {
    // 3 tasks, then 900 s without data (far past the 300 s window), then an empty queue.
    const { decisions } = run(HPA, [[0, 15], [10, 'down'], [600, 'down'], [910, 'down'], [911, 0], [1100, 0], [1212, 0]]);
    expect(decisions.map((d) => [d.tasks, d.held])).toEqual([
      [3, false],
      [3, true],
      [3, true],
      [3, true],
      [3, true], // back, empty: held by the count held 1 s ago
      [3, true],
      [0, false], // 300 s of good reads after the outage
    ]);
  });

  it('a failed read in between good ones does not restart the fallback clock', () => {
    const policy: ScalerPolicy = { ...HPA, fallbackTasks: 0, fallbackAfterSeconds: 60 };
    const { decisions } = run(policy, [[0, 15], [10, 'x'], [50, 15], [60, 'x'], [119, 'x'], [120, 'x']]);
    expect(decisions.map((d) => d.tasks)).toEqual([3, 3, 3, 3, 3, 0]);
  });

  it('keeps the history bounded by the longer window', () => {
    let state = initialState();
    for (let s = 0; s < 5000; s++) state = decide(state, { at: s * 1000, backlog: (s * 7) % 23 }, HPA).state;
    expect(state.recommendations.length).toBeLessThanOrEqual(300);
    expect(state.recommendations.every((r) => r.at > 4999_000 - 300_000)).toBe(true);
  });

  it('a constant backlog keeps one recommendation', () => {
    let state = initialState({ tasks: 2, instances: 2 });
    for (let s = 0; s < 1000; s++) state = decide(state, { at: s * 1000, backlog: 10 }, HPA).state;
    expect(state.recommendations).toEqual([{ at: 999_000, tasks: 2, keep: 2 }]);
  });

  it('never leaves the bounds, never lags a higher recommendation without a scale-up window, never removes a task the backlog has work for, and never scales in on a failed read', () => {
    const reading = fc.oneof(fc.nat({ max: 60 }), fc.constant('ECONNREFUSED'));
    fc.assert(
      fc.property(
        fc.record({ minTasks: fc.nat({ max: 3 }), extra: fc.nat({ max: 5 }), down: fc.constantFrom(0, 30, 300), concurrency: fc.constantFrom(1, 2, 5, 8), fallback: fc.option(fc.nat({ max: 8 }), { nil: undefined }) }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), reading), { maxLength: 60 }),
        ({ minTasks, extra, down, concurrency, fallback }, gaps) => {
          const policy: ScalerPolicy = { ...HPA, minTasks, maxTasks: Math.max(1, minTasks) + extra, taskConcurrency: concurrency, scaleDownStabilizationSeconds: down, ...(fallback !== undefined ? { fallbackTasks: fallback } : {}) };
          let state = initialState();
          let at = 0;
          for (const [gap, r] of gaps) {
            at += gap * 1000;
            const previous = state;
            const next = decide(state, typeof r === 'string' ? { at, error: r } : { at, backlog: r }, policy);
            const d = next.decision;
            expect(d.tasks).toBeGreaterThanOrEqual(policy.minTasks);
            expect(d.tasks).toBeLessThanOrEqual(policy.maxTasks);
            expect(d.instances).toBe(d.tasks);
            const bounded = (n: number) => Math.min(Math.max(n, policy.minTasks), policy.maxTasks);
            if (typeof r === 'number') {
              expect(d.tasks).toBeGreaterThanOrEqual(d.recommendation);
              // A task the backlog has work for is never removed.
              expect(d.tasks).toBeGreaterThanOrEqual(Math.min(bounded(previous.tasks), bounded(Math.ceil(r / concurrency))));
            } else if (fallback === undefined) expect(d.tasks).toBe(bounded(previous.tasks));
            state = next.state;
          }
        },
      ),
    );
  });

  it('takes a clock stepped back to be at the previous time: a held scale-down is not cut short', () => {
    const first = decide(initialState(), { at: 1_000_000, backlog: 20 }, HPA);
    const back = decide(first.state, { at: 1_000_000 - 600_000, backlog: 0 }, HPA);
    expect(back.decision).toMatchObject({ tasks: 4, held: true });
    expect(back.state.at).toBe(1_000_000);
    expect(decide(back.state, { at: 1_299_000, backlog: 0 }, HPA).decision.tasks).toBe(4);
    expect(decide(back.state, { at: 1_300_000, backlog: 0 }, HPA).decision.tasks).toBe(0);
  });

  it('throws on invalid input', () => {
    const { state } = decide(initialState(), { at: 5000, backlog: 1 }, HPA);
    expect(() => decide(state, { at: Number.NaN, backlog: 1 }, HPA)).toThrow(RangeError);
    expect(() => decide(state, { at: 6000, backlog: -1 }, HPA)).toThrow(RangeError);
    expect(() => decide(state, { at: 6000, backlog: 1 }, { ...HPA, jobsPerTask: 0 })).toThrow(/jobsPerTask/);
    expect(() => decide(state, { at: 6000, backlog: 1 }, { ...HPA, minTasks: 5 })).toThrow(/maxTasks/);
    expect(() => decide(state, { at: 6000, backlog: 1 }, { ...HPA, instanceBounds: { min: 3, max: 1 } })).toThrow(/instanceBounds/);
    expect(() => initialState({ tasks: -1, instances: 0 })).toThrow(RangeError);
  });
});

describe('scalerPolicy', () => {
  const spec: QueueScalerManifest['spec'] = {
    queue: { name: 'ocr-gpu', redisUrlFromEnv: 'REDIS_URL' },
    target: { service: 'filot-ocr-gpu-service', autoScalingGroup: 'filot-ocr-gpu-asg' },
    jobsPerTask: 5,
    maxTasks: 4,
  };

  it("applies the schema's defaults", () => {
    expect(scalerPolicy(spec)).toEqual(DEFAULTS);
  });

  it("takes the group's sizes and the manifest's own values", () => {
    expect(
      scalerPolicy(
        { ...spec, minTasks: 1, taskConcurrency: 2, target: { ...spec.target, tasksPerInstance: 2 }, scaleUp: { stabilizationSeconds: 15 }, scaleDown: { stabilizationSeconds: 120 }, fallbackTasks: 2, fallbackAfterSeconds: 30 },
        { minSize: 0, maxSize: 2 },
      ),
    ).toEqual({ jobsPerTask: 5, minTasks: 1, maxTasks: 4, taskConcurrency: 2, tasksPerInstance: 2, instanceBounds: { min: 0, max: 2 }, scaleUpStabilizationSeconds: 15, scaleDownStabilizationSeconds: 120, fallbackTasks: 2, fallbackAfterSeconds: 30 });
  });
});
