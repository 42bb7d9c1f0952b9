/**
 * What the queue scaler's policy costs in GPU instance-hours, and what it costs the jobs in waiting,
 * against the usual alternatives, on one synthetic day.
 *
 *   npm run bench:scaler-cost [-- --seed 20240611 --boot 180 --work 4 --jobs-per-task 5 --max-tasks 4
 *                                --task-concurrency 1 --scale-down 120 --peak-rate 0.35 --night-rate 0.002
 *                                --bursts 6 --other-days 10 --no-check]
 *
 * The trace (fixed seed, mulberry32 PRNG). A job arrival process over 24 h at 1 s resolution:
 *   λ(t) = λnight + (λpeak − λnight) · ((1 + cos(2π (h − 13) / 24)) / 2)^4   jobs/s,  h = t / 3600 s
 *   a raised cosine peaking at 13:00, about a third of the peak at 09:00 and 17:00, 6 % at 07:00
 *   and 19:00, and λnight (one job every ~8 min by default) in the small hours. Each second brings
 *   Poisson(λ(t)) jobs (Knuth's method). On top, `--bursts` bursts: each starts at a uniformly
 *   random second of the day and brings a uniformly random 20…80 jobs spread uniformly over 60 s
 *   (a customer uploading a batch). Defaults: λpeak 0.35 jobs/s, λnight 0.002 jobs/s, 6 bursts.
 *
 * The fleet (a discrete-time model, 1 s steps). One task per instance (tasksPerInstance 1). An
 * instance launched at t serves from t + `--boot` (180 s: EC2 boot, ECS agent, container start
 * and model load). A task runs one job at a time, `--work` seconds each (4 s), from one FIFO queue;
 * a job's wait = its start − its arrival. Instances cost from launch to termination, booting
 * included (GPU instance-hours). Scale-in never kills a job: it terminates booting instances first
 * (youngest first), then idle ones; a busy one is told to drain (SIGTERM: it takes no new job,
 * finishes the one it holds, then its instance terminates). The day starts empty (dynamic policies)
 * or with the static fleet running; the run goes on past 24 h until the queue is empty, and the
 * fleet is billed to then.
 * Each second, in order: jobs finish (draining instances terminate), arrivals join the queue, idle
 * ready tasks take jobs, the policy looks at the queue and the fleet and sets a desired count,
 * and the fleet is launched or drained toward it.
 *
 * The policies:
 *   berth        `decide()` of controller/scaler/decision.ts every 1 s, backlog = waiting + active,
 *                with the policy of manifests/ocr-gpu.yaml (jobsPerTask 5, taskConcurrency 1,
 *                maxTasks 4, scale-up window 0 s, scale-down window 120 s): up to ceil(backlog / 5)
 *                at once, down only for tasks that have had no job for the whole window;
 *                `--jobs-per-task`, `--task-concurrency`, `--max-tasks` and `--scale-down` override it.
 *   keda         KEDA's defaults: the operator polls the scaler every 30 s (pollingInterval),
 *                activates 0 → 1 task at backlog ≥ 1, and scales to 0 once the backlog has been 0 for
 *                its cooldownPeriod of 300 s since the last poll that saw a job. In between, the HPA
 *                (sync period 15 s, KEDA's metrics server reads the queue on each HPA request)
 *                computes ceil(backlog / jobsPerTask) for an AverageValue target, keeps the count
 *                when the usage ratio is within its 0.1 tolerance, clamps to 1…maxTasks and scales
 *                down only to the highest recommendation of its 300 s default stabilization window.
 *   target-tracking  An EC2 Auto Scaling target-tracking policy on a custom metric, backlog per
 *                running instance, target jobsPerTask: one datapoint a minute (the mean of the
 *                minute's per-second samples); scale out after 3 consecutive datapoints above the
 *                target, to ceil(capacity × metric / target); scale in after 15 consecutive
 *                datapoints below it, to the same formula; nothing for 300 s after a scaling
 *                activity (cooldown). A metric per instance cannot leave zero (0 jobs per 0
 *                instances), so at capacity 0 a datapoint with any backlog counts as above target
 *                and scales out to ceil(backlog / target), as the step-scaling alarm on queue depth
 *                that such setups add for scale-from-zero would.
 *   static-1, static-max  1 or maxTasks instances running all day.
 *   clairvoyant  computed, not simulated (`clairvoyant()`): knowing the trace, it gives every job
 *                the best wait a FIFO queue on maxTasks tasks can give (almost always 0), booting
 *                instances just in time and stopping them when idle (unless the gap is shorter than
 *                a boot) — the least instance-hours for those waits.
 *
 * Lower bounds. The clairvoyant bounds the cost of the best waits only: a policy whose jobs wait
 * longer (jobsPerTask 5 asks jobs to queue) can run fewer instances at the peak and cost less. So
 * each policy is also set against `boundAtWaits()` of its own per-job waits: no fleet, whatever it
 * knows, that starts the day empty and starts every job at least as early, costs less. "× bound" is
 * then the waste of a policy for the latency it gives; it overstates it where waits are long (the
 * bound is loose there, see `boundAtWaits()`).
 *
 * Goals (exit 1 when one is missed, after printing everything, unless --no-check): Berth's
 * instance-hours ≤ 1.15 × the lower bound at Berth's waits (the clairvoyant ratio is printed too),
 * and Berth's p95 wait ≤ KEDA's, on the day of `--seed`. Two more tables follow, for the team to
 * choose the policy with: Berth with other scale-down windows, with its rule and with the HPA's
 * (taskConcurrency = jobsPerTask: down to the recommendation); and `--other-days` other seeds
 * (1, 2, …), the same figures for Berth, KEDA and target tracking, so that one lucky day does not
 * decide it.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { validateSources } from '../controller/manifests/validate.ts';
import { decide, initialState, scalerPolicy } from '../controller/scaler/decision.ts';
import type { ScalerPolicy, ScalerState } from '../controller/scaler/decision.ts';
import { seededRandom } from '../sim/world.ts';
import { median, percentile } from './stats.ts';

const DAY = 86_400;

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '20240611' },
    /** Seconds from launching an instance to its task taking jobs. */
    boot: { type: 'string', default: '180' },
    /** Seconds of GPU work per job. */
    work: { type: 'string', default: '4' },
    /** Override the manifest's jobsPerTask. */
    'jobs-per-task': { type: 'string' },
    /** Override the manifest's maxTasks (and the group's maxSize with it). */
    'max-tasks': { type: 'string' },
    /** Override the manifest's taskConcurrency (jobs a task runs at once). */
    'task-concurrency': { type: 'string' },
    /** Override the manifest's scale-down stabilization window, in seconds. */
    'scale-down': { type: 'string' },
    'peak-rate': { type: 'string', default: '0.35' },
    'night-rate': { type: 'string', default: '0.002' },
    bursts: { type: 'string', default: '6' },
    /** How many other days (seeds 1…n) to replay for the robustness table; 0 for none. */
    'other-days': { type: 'string', default: '10' },
    /** The file holding the QueueScaler `ocr-gpu` and its Auto Scaling group. */
    manifest: { type: 'string', default: join(import.meta.dirname, '..', 'manifests', 'ocr-gpu.yaml') },
    /** Print the figures only; exit 0 whatever they are. */
    'no-check': { type: 'boolean', default: false },
  },
});

function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be a whole number of ${min} or more, got ${text}`);
  return n;
}
function rate(name: string, text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n < 50)) throw new RangeError(`--${name} must be a rate in jobs per second from 0 to 50, got ${text}`);
  return n;
}

const seed = wholeNumber('seed', values.seed, 0);
const bootSeconds = wholeNumber('boot', values.boot, 0);
const workSeconds = wholeNumber('work', values.work, 1);
const peakRate = rate('peak-rate', values['peak-rate']);
const nightRate = rate('night-rate', values['night-rate']);
const burstCount = wholeNumber('bursts', values.bursts, 0);
const otherDays = wholeNumber('other-days', values['other-days'], 0);
const check = !values['no-check'];

// ---------------------------------------------------------------------------------------------
// The policy of the production manifest.

function manifestPolicy(file: string): ScalerPolicy {
  const { manifests } = validateSources([{ path: file, text: readFileSync(file, 'utf8') }]);
  const scaler = manifests.map((e) => e.manifest).find((m) => m.kind === 'QueueScaler');
  if (scaler?.kind !== 'QueueScaler') throw new Error(`${file}: no valid QueueScaler manifest`);
  const groupName = scaler.spec.target.autoScalingGroup;
  const group = manifests.map((e) => e.manifest).find((m) => m.kind === 'AutoScalingGroup' && m.metadata.name === groupName);
  return scalerPolicy(scaler.spec, group?.kind === 'AutoScalingGroup' ? group.spec : undefined);
}

const fromManifest = manifestPolicy(values.manifest);
if (fromManifest.tasksPerInstance !== 1) console.log(`note: the manifest has tasksPerInstance ${fromManifest.tasksPerInstance}; this model runs one task per instance`);
const maxTasks = values['max-tasks'] === undefined ? fromManifest.maxTasks : wholeNumber('max-tasks', values['max-tasks'], 1);
const basePolicy: ScalerPolicy = {
  ...fromManifest,
  jobsPerTask: values['jobs-per-task'] === undefined ? fromManifest.jobsPerTask : wholeNumber('jobs-per-task', values['jobs-per-task'], 1),
  maxTasks,
  taskConcurrency: values['task-concurrency'] === undefined ? fromManifest.taskConcurrency : wholeNumber('task-concurrency', values['task-concurrency'], 1),
  minTasks: Math.min(fromManifest.minTasks, maxTasks),
  tasksPerInstance: 1,
  ...(fromManifest.instanceBounds ? { instanceBounds: { min: Math.min(fromManifest.instanceBounds.min, maxTasks), max: values['max-tasks'] === undefined ? fromManifest.instanceBounds.max : maxTasks } } : {}),
  scaleDownStabilizationSeconds: values['scale-down'] === undefined ? fromManifest.scaleDownStabilizationSeconds : wholeNumber('scale-down', values['scale-down'], 0),
};
const { jobsPerTask } = basePolicy;

// ---------------------------------------------------------------------------------------------
// The trace.

function arrivalRate(t: number): number {
  const h = t / 3600;
  return nightRate + (peakRate - nightRate) * ((1 + Math.cos((2 * Math.PI * (h - 13)) / 24)) / 2) ** 4;
}

interface Trace {
  /** Arrival second of each job, sorted. */
  readonly arrivals: Int32Array;
  readonly bursts: readonly { readonly at: number; readonly jobs: number }[];
}

function makeTrace(daySeed: number): Trace {
  const random = seededRandom(daySeed);
  const poisson = (lambda: number): number => {
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = random(); p > limit; p *= random()) k++;
    return k;
  };
  const times: number[] = [];
  for (let t = 0; t < DAY; t++) for (let k = poisson(arrivalRate(t)); k > 0; k--) times.push(t);
  const bursts: { at: number; jobs: number }[] = [];
  for (let b = 0; b < burstCount; b++) {
    const at = Math.floor(random() * (DAY - 60));
    const jobs = 20 + Math.floor(random() * 61);
    bursts.push({ at, jobs });
    for (let j = 0; j < jobs; j++) times.push(at + Math.floor(random() * 60));
  }
  bursts.sort((x, y) => x.at - y.at);
  return { arrivals: Int32Array.from(times).sort(), bursts };
}

// ---------------------------------------------------------------------------------------------
// The fleet.

/** What a policy sees each second. */
interface FleetView {
  readonly t: number;
  /** Jobs in the queue, not yet started. */
  readonly waiting: number;
  /** Jobs being worked on. */
  readonly active: number;
  /** Instances that serve jobs and are not draining. */
  readonly ready: number;
  /** Instances launched and still booting. */
  readonly booting: number;
}

interface Autoscaler {
  /** The desired instance count after this second. */
  desired(view: FleetView): number;
}

interface Instance {
  readonly launchedAt: number;
  readonly readyAt: number;
  /** When its job ends; -1 while idle. */
  busyUntil: number;
  draining: boolean;
}

interface Outcome {
  readonly instanceHours: number;
  readonly launches: number;
  /** Wait of each job in seconds, in arrival order. */
  readonly waits: Float64Array;
}

function simulate(trace: Trace, autoscaler: Autoscaler, initialInstances: number): Outcome {
  const { arrivals } = trace;
  const n = arrivals.length;
  const waits = new Float64Array(n);
  let fleet: Instance[] = Array.from({ length: initialInstances }, () => ({ launchedAt: 0, readyAt: 0, busyUntil: -1, draining: false }));
  let launches = initialInstances;
  let instanceSeconds = 0;
  let next = 0; // the next job to arrive; the queue is head…next-1 (FIFO in arrival order)
  let head = 0;
  let active = 0;
  const terminate = (inst: Instance, t: number): void => {
    instanceSeconds += t - inst.launchedAt;
  };
  for (let t = 0; ; t++) {
    // Jobs finish; a draining instance terminates once its job is done.
    let ended = false;
    for (const inst of fleet) {
      if (inst.busyUntil !== t) continue;
      inst.busyUntil = -1;
      active--;
      if (inst.draining) {
        terminate(inst, t);
        ended = true;
      }
    }
    if (ended) fleet = fleet.filter((i) => !(i.draining && i.busyUntil < 0));
    // Arrivals join the queue; idle ready tasks take jobs.
    while (next < n && (arrivals[next] ?? Infinity) <= t) next++;
    for (const inst of fleet) {
      if (head === next) break;
      if (inst.readyAt > t || inst.draining || inst.busyUntil >= 0) continue;
      waits[head] = t - (arrivals[head] ?? t);
      head++;
      inst.busyUntil = t + workSeconds;
      active++;
    }
    if (t >= DAY && head === n && active === 0) {
      for (const inst of fleet) terminate(inst, t);
      break;
    }
    // The policy decides; the fleet moves toward it.
    let ready = 0;
    let booting = 0;
    for (const inst of fleet) {
      if (inst.draining) continue;
      if (inst.readyAt > t) booting++;
      else ready++;
    }
    const desired = autoscaler.desired({ t, waiting: next - head, active, ready, booting });
    const committed = ready + booting;
    if (desired > committed) {
      for (let k = committed; k < desired; k++) fleet.push({ launchedAt: t, readyAt: t + bootSeconds, busyUntil: -1, draining: false });
      launches += desired - committed;
    } else if (desired < committed) {
      // Booting instances (youngest first), then idle ones, then busy ones finishing soonest (they drain).
      const order = (i: Instance): [number, number] => (i.readyAt > t ? [0, -i.launchedAt] : i.busyUntil < 0 ? [1, 0] : [2, i.busyUntil]);
      const victims = fleet
        .filter((i) => !i.draining)
        .sort((x, y) => {
          const [xc, xk] = order(x);
          const [yc, yk] = order(y);
          return xc - yc || xk - yk;
        })
        .slice(0, committed - desired);
      const gone = new Set<Instance>();
      for (const inst of victims) {
        if (inst.busyUntil >= 0) inst.draining = true;
        else {
          terminate(inst, t);
          gone.add(inst);
        }
      }
      fleet = fleet.filter((i) => !gone.has(i));
    }
  }
  return { instanceHours: instanceSeconds / 3600, launches, waits };
}

// ---------------------------------------------------------------------------------------------
// The policies.

function berth(policy: ScalerPolicy): Autoscaler {
  let state: ScalerState = initialState({ tasks: 0, instances: 0 });
  return {
    desired(view) {
      const step = decide(state, { at: view.t * 1000, backlog: view.waiting + view.active }, policy);
      state = step.state;
      return step.decision.instances;
    },
  };
}

function keda(): Autoscaler {
  const POLL = 30;
  const HPA_SYNC = 15;
  const COOLDOWN = 300;
  const TOLERANCE = 0.1;
  const WINDOW = 300;
  let replicas = 0;
  let lastActive = -Infinity;
  let recommendations: { t: number; replicas: number }[] = [];
  return {
    desired({ t, waiting, active }) {
      const backlog = waiting + active;
      // The operator's poll: activation from zero, and back to zero after the cooldown.
      if (t % POLL === 0) {
        if (backlog >= 1) lastActive = t;
        if (replicas === 0 && backlog >= 1) {
          replicas = 1;
          return replicas;
        }
        if (replicas > 0 && backlog < 1 && t - lastActive >= COOLDOWN) {
          replicas = 0;
          recommendations = [];
          return replicas;
        }
      }
      // The HPA, while the target is active.
      if (replicas > 0 && t % HPA_SYNC === 0) {
        const ratio = backlog / (jobsPerTask * replicas);
        const raw = Math.abs(ratio - 1) <= TOLERANCE ? replicas : Math.ceil(backlog / jobsPerTask);
        const recommendation = Math.min(Math.max(raw, 1), maxTasks);
        recommendations = recommendations.filter((r) => r.t > t - WINDOW);
        const highest = recommendations.reduce((m, r) => Math.max(m, r.replicas), recommendation);
        recommendations.push({ t, replicas: recommendation });
        replicas = Math.min(Math.max(replicas, recommendation), highest);
      }
      return replicas;
    },
  };
}

function targetTracking(): Autoscaler {
  const PERIOD = 60;
  const OUT_AFTER = 3;
  const IN_AFTER = 15;
  const COOLDOWN = 300;
  const target = jobsPerTask;
  let capacity = 0;
  let lastActivity = -Infinity;
  let sum = 0;
  let samples = 0;
  let above = 0;
  let below = 0;
  return {
    desired({ t, waiting, active, ready }) {
      const backlog = waiting + active;
      sum += capacity === 0 ? backlog : backlog / Math.max(ready, 1);
      samples++;
      if ((t + 1) % PERIOD !== 0) return capacity;
      // A datapoint: the mean of the minute.
      const metric = sum / samples;
      sum = 0;
      samples = 0;
      const high = capacity === 0 ? metric > 0 : metric > target;
      above = high ? above + 1 : 0;
      below = metric < target ? below + 1 : 0;
      if (t - lastActivity < COOLDOWN) return capacity;
      const proportional = capacity === 0 ? Math.ceil(metric / target) : Math.ceil((capacity * metric) / target);
      if (above >= OUT_AFTER) {
        capacity = Math.min(Math.max(proportional, capacity + 1), maxTasks);
        lastActivity = t;
        above = 0;
      } else if (below >= IN_AFTER && proportional < capacity) {
        capacity = Math.max(proportional, 0);
        lastActivity = t;
        below = 0;
      }
      return capacity;
    },
  };
}

function fixed(count: number): Autoscaler {
  return { desired: () => count };
}

// ---------------------------------------------------------------------------------------------
// The clairvoyant fleet and the lower bounds.

/**
 * A stretch of time in which one layer of the fleet (see `layered()`) must be up for `seconds`:
 * all of [from, to) for a compulsory stretch, or only some `seconds` of it for a flexible one.
 */
interface Piece {
  readonly from: number;
  readonly to: number;
  readonly seconds: number;
}

/**
 * The least one layer of a fleet can cost when it must be up for each piece (in time order), when
 * an instance costs from its launch and serves `boot` seconds later: the pieces' seconds, one boot
 * before the first, and for each gap between pieces min(gap, boot). Through a gap shorter than the
 * boot the layer stays up (stopping saves nothing: the replacement would have to launch before the
 * gap began); for a longer one it stops and comes back up just in time, which costs a boot. For a
 * flexible piece the gaps are measured from its start and to its end, the most favourable place it
 * could be, so the figure stays a lower bound.
 */
function layerCost(pieces: readonly Piece[]): { seconds: number; launches: number } {
  let seconds = 0;
  let launches = 0;
  let lastEnd = -Infinity;
  for (const piece of pieces) {
    const gap = piece.from - lastEnd;
    if (gap > bootSeconds) {
      seconds += bootSeconds;
      launches++;
    } else seconds += Math.max(gap, 0);
    seconds += piece.seconds;
    lastEnd = Math.max(lastEnd, piece.to);
  }
  return { seconds, launches };
}

/** The maximal runs of seconds at which need(t) ≥ k, as compulsory pieces. */
function runsAtLeast(need: Int32Array, k: number): Piece[] {
  const pieces: Piece[] = [];
  let from = -1;
  for (let t = 0; t <= need.length; t++) {
    const on = t < need.length && (need[t] ?? 0) >= k;
    if (on && from < 0) from = t;
    if (!on && from >= 0) {
      pieces.push({ from, to: t, seconds: t - from });
      from = -1;
    }
  }
  return pieces;
}

/**
 * The cheapest fleet whose ready count is at least need(t) at every second. Cut any fleet's ready
 * count n(t) into unit layers: layer k is up while n(t) ≥ k, so it must be up wherever need(t) ≥ k,
 * and each time it comes up an instance finished booting. The fleet costs at least the sum over
 * layers of `layerCost()`, and exactly that when a job may move to another idle instance.
 */
function layered(need: Int32Array): { seconds: number; launches: number } {
  let seconds = 0;
  let launches = 0;
  const top = need.reduce((m, c) => Math.max(m, c), 0);
  for (let k = 1; k <= top; k++) {
    const layer = layerCost(runsAtLeast(need, k));
    seconds += layer.seconds;
    launches += layer.launches;
  }
  return { seconds, launches };
}

/** How many of the half-open intervals [from, to) cover each second. */
function coverage(intervals: readonly (readonly [number, number])[]): Int32Array {
  const horizon = intervals.reduce((m, [, to]) => Math.max(m, to), DAY);
  const count = new Int32Array(horizon + 1);
  for (const [from, to] of intervals) {
    if (to <= from) continue;
    count[from] = (count[from] ?? 0) + 1;
    count[to] = (count[to] ?? 0) - 1;
  }
  for (let t = 1; t <= horizon; t++) count[t] = (count[t] ?? 0) + (count[t - 1] ?? 0);
  return count;
}

/**
 * The clairvoyant fleet: knowing the trace, it gives every job the best wait a FIFO queue on
 * maxTasks tasks can give, at the lowest cost.
 *
 * Waits: the FIFO queue served by maxTasks tasks that are always ready. No fleet of at most maxTasks
 * tasks starts any job earlier (fewer ready tasks at some moment can only delay FIFO starts), so
 * these per-job waits are a floor for every policy; with the default load nearly all are 0.
 * Cost: a fleet with these waits has exactly these start times, so at every second at least as many
 * ready instances as jobs running; `layered()` gives the cheapest such fleet: instances booted just
 * in time for the jobs, kept through gaps shorter than a boot, stopped in longer ones. It is a lower
 * bound on the instance-hours of any fleet with these waits, reachable if a job may move to another
 * idle instance, so tight up to that.
 */
function clairvoyant(trace: Trace): Outcome {
  const { arrivals } = trace;
  const free = new Array<number>(maxTasks).fill(-Infinity);
  const waits = new Float64Array(arrivals.length);
  const runs: [number, number][] = [];
  arrivals.forEach((arrival, j) => {
    let slot = 0;
    for (let s = 1; s < maxTasks; s++) if ((free[s] ?? 0) < (free[slot] ?? 0)) slot = s;
    const start = Math.max(arrival, free[slot] ?? arrival);
    free[slot] = start + workSeconds;
    waits[j] = start - arrival;
    runs.push([start, start + workSeconds]);
  });
  const { seconds, launches } = layered(coverage(runs));
  return { instanceHours: seconds / 3600, launches, waits };
}

/**
 * A lower bound on the instance-hours of any fleet, of any policy and knowing the trace, that starts
 * the day empty and every job no later than `waits` say. Job j must then run for `work` seconds
 * within its window [arrival, arrival + wait + work], and must be running throughout its compulsory
 * part [arrival + wait, arrival + work) when its wait is shorter than its work. The larger of:
 *   A  the work, plus what must be spent between jobs: the union of the windows falls into
 *      stretches separated by gaps in which no job can run; through each gap some instance idles or
 *      the next stretch needs a fresh boot: work + boot + Σ min(gap, boot).
 *   B  the layers of `layered()`: layers 2 and up must be up wherever that many compulsory parts
 *      overlap; layer 1 wherever one is, and also for `work` seconds somewhere in each stretch that
 *      has no compulsory part (a flexible piece: an isolated job that waited longer than its work).
 * The true optimum at these waits lies between this bound and the cost of the policy that
 * produced them. With waits of a few seconds the bound is close to it; waits of tens of seconds at
 * the peak leave few compulsory parts, so there the bound is loose and overstates the waste.
 */
function boundAtWaits(trace: Trace, waits: Float64Array): number {
  const { arrivals } = trace;
  const compulsory: [number, number][] = [];
  arrivals.forEach((arrival, j) => compulsory.push([arrival + (waits[j] ?? 0), arrival + workSeconds]));
  const need = coverage(compulsory);
  // The stretches of the union of the windows (arrivals are sorted, so windows start in order).
  const stretches: [number, number][] = [];
  arrivals.forEach((arrival, j) => {
    const end = arrival + (waits[j] ?? 0) + workSeconds;
    const last = stretches.at(-1);
    if (last && arrival <= last[1]) last[1] = Math.max(last[1], end);
    else stretches.push([arrival, end]);
  });
  // A: the work and the gaps between stretches.
  let a = arrivals.length * workSeconds;
  let previousEnd = -Infinity;
  for (const [from, to] of stretches) {
    a += Math.min(from - previousEnd, bootSeconds);
    previousEnd = to;
  }
  // B: layer 1 from the compulsory parts and the stretches without one; layers 2 and up as in `layered()`.
  const flexible: Piece[] = stretches
    .filter(([from, to]) => !need.subarray(from, to).some((c) => c > 0))
    .map(([from, to]) => ({ from, to, seconds: workSeconds }));
  let b = layerCost([...runsAtLeast(need, 1), ...flexible].sort((x, y) => x.from - y.from)).seconds;
  const top = need.reduce((m, c) => Math.max(m, c), 0);
  for (let k = 2; k <= top; k++) b += layerCost(runsAtLeast(need, k)).seconds;
  return Math.max(a, b) / 3600;
}

// ---------------------------------------------------------------------------------------------
// The run.

interface Row {
  readonly policy: string;
  readonly outcome: Outcome;
  /** A lower bound on the instance-hours of any fleet with waits no longer than this policy's. */
  readonly bound: number;
}

function row(policy: string, outcome: Outcome, bound = boundAtWaits(trace, outcome.waits)): Row {
  return { policy, outcome, bound };
}

function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const header = ['policy', 'GPU inst-h', 'bound at its waits', '× bound', '× clairvoyant', 'p50 wait s', 'p95 wait s', 'max wait s', 'launches'];
  const lines = rows.map(({ policy, outcome: o, bound }) => [
    policy,
    o.instanceHours.toFixed(2),
    bound.toFixed(2),
    (o.instanceHours / bound).toFixed(2),
    (o.instanceHours / best.instanceHours).toFixed(2),
    percentile(o.waits, 50).toFixed(0),
    percentile(o.waits, 95).toFixed(0),
    percentile(o.waits, 100).toFixed(0),
    String(o.launches),
  ]);
  printColumns(header, lines);
}

/** A table: the first column left-aligned, the others right-aligned, under a ruled header. */
function printColumns(header: readonly string[], lines: readonly (readonly string[])[]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => (l[c] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

const began = performance.now();
const trace = makeTrace(seed);
const jobCount = trace.arrivals.length;
console.log('Synthetic day:');
console.log(`  λ(t) = ${nightRate} + (${peakRate} − ${nightRate}) · ((1 + cos(2π (h − 13) / 24)) / 2)^4 jobs/s, Poisson per second, seed ${seed}`);
console.log(`  bursts: ${trace.bursts.map((b) => `${clock(b.at)} +${b.jobs}`).join(', ') || 'none'} (each spread over 60 s)`);
console.log(`  ${jobCount} jobs, ${((jobCount * workSeconds) / 3600).toFixed(2)} h of GPU work; boot ${bootSeconds} s, ${workSeconds} s per job, one task per instance`);
const hourly = Array.from({ length: 24 }, (_, h) => trace.arrivals.filter((a) => Math.floor(a / 3600) === h).length);
console.log(`  jobs per hour from 00:00: ${hourly.join(' ')}`);
const overridden = ['jobs-per-task', 'task-concurrency', 'max-tasks', 'scale-down'].some((name) => values[name as keyof typeof values] !== undefined);
console.log(
  `Berth's policy (${relative(process.cwd(), values.manifest)}${overridden ? ', with overrides' : ''}): jobsPerTask ${jobsPerTask}, taskConcurrency ${basePolicy.taskConcurrency}, minTasks ${basePolicy.minTasks}, maxTasks ${maxTasks}, scale-up window ${basePolicy.scaleUpStabilizationSeconds} s, scale-down window ${basePolicy.scaleDownStabilizationSeconds} s`,
);

const best = clairvoyant(trace);
const berthRow = row('berth', simulate(trace, berth(basePolicy), 0));
const kedaRow = row('keda (defaults)', simulate(trace, keda(), 0));
printTable('Cost and waits over the day ("bound at its waits": no fleet that starts every job at least as early costs less):', [
  berthRow,
  kedaRow,
  row('target-tracking', simulate(trace, targetTracking(), 0)),
  row('static-1', simulate(trace, fixed(1), 1)),
  row(`static-${maxTasks}`, simulate(trace, fixed(maxTasks), maxTasks)),
  row('clairvoyant', best, best.instanceHours),
]);

const ratio = berthRow.outcome.instanceHours / berthRow.bound;
const berthP95 = percentile(berthRow.outcome.waits, 95);
const kedaP95 = percentile(kedaRow.outcome.waits, 95);
const costMet = ratio <= 1.15;
const latencyMet = berthP95 <= kedaP95;
console.log(`\nBerth / lower bound at Berth's waits: ${ratio.toFixed(2)} (goal ≤ 1.15): ${costMet ? 'met' : 'MISSED'}`);
console.log(
  `  (Berth / clairvoyant: ${(berthRow.outcome.instanceHours / best.instanceHours).toFixed(2)}. The clairvoyant gives the best waits; it bounds only fleets that match them, which Berth does not try to: jobsPerTask ${jobsPerTask} lets jobs queue.)`,
);
console.log(`Berth p95 wait ${berthP95.toFixed(0)} s ≤ KEDA p95 wait ${kedaP95.toFixed(0)} s: ${latencyMet ? 'met' : 'MISSED'}`);

// Berth's own alternatives: other scale-down windows, with its rule and with the HPA's.
const manifestWindow = basePolicy.scaleDownStabilizationSeconds;
const windows = [...new Set([0, 60, 120, 180, 300, 600, manifestWindow])].sort((a, b) => a - b);
const hpaConcurrency = Math.max(jobsPerTask, basePolicy.taskConcurrency);
const variants = [
  ...windows.map((w) => ({ name: `berth, taskConcurrency ${basePolicy.taskConcurrency}, scale-down ${w} s`, policy: { ...basePolicy, scaleDownStabilizationSeconds: w } })),
  ...(basePolicy.taskConcurrency < jobsPerTask ? windows.map((w) => ({ name: `HPA rule (taskConcurrency ${hpaConcurrency}), scale-down ${w} s`, policy: { ...basePolicy, taskConcurrency: hpaConcurrency, scaleDownStabilizationSeconds: w } })) : []),
];
printTable(
  "Berth with other scale-down windows, and with the HPA's scale-down rule (down to ceil(backlog / jobsPerTask) whatever still has work):",
  variants.map(({ name, policy }) => (policy.scaleDownStabilizationSeconds === manifestWindow && policy.taskConcurrency === basePolicy.taskConcurrency ? row(`${name} (manifest)`, berthRow.outcome, berthRow.bound) : row(name, simulate(trace, berth(policy), 0)))),
);

if (otherDays > 0) otherDaysTable(otherDays);
console.log(`\n(${((performance.now() - began) / 1000).toFixed(1)} s)`);
process.exitCode = check && !(costMet && latencyMet) ? 1 : 0;

/** The same comparison on days 1…n (seeds 1…n), a line a day, with the median and the worst. */
function otherDaysTable(days: number): void {
  const policies: readonly { readonly name: string; readonly make: () => Autoscaler }[] = [
    { name: 'berth', make: () => berth(basePolicy) },
    { name: 'keda', make: keda },
    { name: 'target-tracking', make: targetTracking },
  ];
  const header = ['seed', 'jobs', ...policies.flatMap(({ name }) => [`${name} inst-h`, '× bound', 'p95 s'])];
  const figures: number[][] = [];
  for (let daySeed = 1; daySeed <= days; daySeed++) {
    const day = makeTrace(daySeed);
    const cells = [daySeed, day.arrivals.length];
    for (const { make } of policies) {
      const o = simulate(day, make(), 0);
      cells.push(o.instanceHours, o.instanceHours / boundAtWaits(day, o.waits), percentile(o.waits, 95));
    }
    figures.push(cells);
  }
  // Seeds, job counts and waits are whole numbers; instance-hours and ratios have two decimals.
  const shown = (v: number, c: number): string => (c < 2 || (c - 2) % 3 === 2 ? v.toFixed(0) : v.toFixed(2));
  const lines = figures.map((cells) => cells.map(shown));
  const column = (c: number): number[] => figures.map((f) => f[c] ?? Number.NaN);
  const summary = (label: string, of: (values: number[]) => number): string[] => [label, '', ...header.slice(2).map((_, k) => shown(of(column(k + 2)), k + 2))];
  lines.push(summary('median', median), summary('worst', (values) => percentile(values, 100)));
  console.log(`\nOther days (seeds 1…${days}, same load model; worst = the highest of each column):`);
  printColumns(header, lines);
}

function clock(t: number): string {
  return `${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}`;
}
