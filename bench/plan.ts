/**
 * What `berth plan` costs: wall time and AWS calls by operation, in two scenarios.
 *
 *   npm run bench:plan [-- --scenario services,alarms --sizes 10,100,1000 --families 10 --runs 3 --concurrency 16 --alarms 100 --groups 20]
 *
 * Both scenarios run by default (`--scenario services` or `--scenario alarms` runs one). Each works
 * on a fresh simulator (in process, free port, virtual clock) through the real SDK, and runs
 * `buildPlan` through `createAwsContext` (maxAttempts 1, so no retry hides a call):
 *   1st     no-change plan on a fresh context (median of --runs, a fresh context each run);
 *   2nd     no-change plan again on the last of those contexts (median of --runs);
 *   drift   plan after one resource was changed behind Berth's back (same context, median of
 *           --runs): exactly one entry must be `update`.
 * Prints one row per pass with the measured calls beside the goal; exits 1 if any call count or
 * plan action differs from the goal (after printing everything).
 *
 * services: N existing services. Goal per plan: ⌈N/10⌉ DescribeServices + 1 DescribeClusters +
 * one DescribeTaskDefinition per distinct task-definition ARN in use on a fresh AWS context, and no
 * DescribeTaskDefinition at all on the next plans of the same context (its port caches them); plus
 * the inventory of owned resources, ⌈(N+1)/100⌉ GetResources pages (the cluster and N services; no
 * task definitions without prune). For each size N, the simulator holds one cluster and N services
 * created the way Berth creates them: CreateCluster / RegisterTaskDefinition / CreateService
 * through the real ECS SDK client, with Berth's ownership tags, the N services sharing `--families`
 * task definitions. The N Service manifests (and the Cluster manifest) are generated as one YAML
 * file and validated, so every entry has a real source. Validation allows one manifest per
 * task-definition family (`names/aws-clash`), so sharing is something a real repository cannot
 * declare; those errors, and only those, are accepted here so that the per-ARN lookup is visible.
 * `--families 0` gives every service its own family: fully valid manifests, N distinct ARNs. The
 * drift is one service's desiredCount changed with UpdateService.
 *
 * alarms: `--alarms` Alarm manifests and `--groups` AutoScalingGroup manifests (no services, no
 * cluster, so no ECS call). The simulator is seeded with the groups (empty: desiredCapacity 0, as
 * the infrastructure code would leave them); the manifests are generated as one YAML file and
 * validated (no error accepted); then one plan + `applyPlan` on a setup context makes the state as
 * Berth would have made it: the alarms created with their tags, the groups adopted (tagged). Goal
 * per plan, every pass alike (nothing of these is cached): ⌈alarms/100⌉ DescribeAlarms +
 * ⌈groups/50⌉ DescribeAutoScalingGroups + ⌈(alarms+groups)/100⌉ GetResources (the inventory, which
 * also gives the alarms' tags), no ListTagsForResource (every alarm is owned, so its tags come from
 * the inventory) and no DescribeScalingActivities (every group is at its desired capacity). The
 * drift is one alarm's threshold changed with PutMetricAlarm: its entry must be an `update` of
 * `threshold` alone.
 */
import { parseArgs } from 'node:util';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { createAwsContext } from '../controller/aws/aws-context.ts';
import type { AwsContext } from '../controller/aws/aws-context.ts';
import { applyPlan } from '../controller/engine/apply.ts';
import { ownershipTags } from '../controller/engine/ownership.ts';
import { buildPlan } from '../controller/engine/plan.ts';
import type { PlanEntry } from '../controller/engine/plan-types.ts';
import { desiredAlarm } from '../controller/kinds/alarm/alarm.ts';
import { desiredCluster } from '../controller/kinds/cluster/cluster.ts';
import { desiredService } from '../controller/kinds/service/service.ts';
import { desiredTaskDefinition } from '../controller/kinds/service/task-definition.ts';
import { validateSources } from '../controller/manifests/validate.ts';
import type { AlarmManifest, AutoScalingGroupManifest, ClusterManifest, ManifestEntry, ServiceManifest } from '../controller/manifests/types.ts';
import { manifestKey } from '../controller/manifests/types.ts';
import type { AutoScalingGroupSeed } from '../sim/autoscaling/autoscaling-sim.ts';
import { startSimulator } from '../sim/simulator.ts';
import { ACCOUNT, CLUSTER, clusterDocument, fargateServiceDocument, REGION } from './fargate-stack.ts';
import { median } from './stats.ts';

const SCENARIOS = ['services', 'alarms'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    /** Which scenarios to run, comma-separated. */
    scenario: { type: 'string', default: SCENARIOS.join(',') },
    sizes: { type: 'string', default: '10,100,1000' },
    /** Distinct task-definition families (and so ARNs) the services share; 0: one per service. */
    families: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    /** CreateService calls in flight while setting up (and resources applyPlan applies at once). */
    concurrency: { type: 'string', default: '16' },
    /** Alarm manifests of the alarms scenario. */
    alarms: { type: 'string', default: '100' },
    /** AutoScalingGroup manifests (and seeded groups) of the alarms scenario. */
    groups: { type: 'string', default: '20' },
  },
});
const scenarios = new Set(
  values.scenario.split(',').map((s): Scenario => {
    const name = s.trim();
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new RangeError(`--scenario must list ${SCENARIOS.join(' and/or ')}, got ${name}`);
    return name as Scenario;
  }),
);
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const families = Number(values.families);
const runs = Math.max(1, Number(values.runs));
const concurrency = Math.max(1, Number(values.concurrency));
const alarmCount = Number(values.alarms);
const groupCount = Number(values.groups);
for (const n of sizes) if (!Number.isInteger(n) || n < 1) throw new RangeError(`--sizes must be whole numbers of 1 or more, got ${n}`);
if (!Number.isInteger(families) || families < 0) throw new RangeError(`--families must be a whole number of 0 or more, got ${families}`);
if (!Number.isInteger(alarmCount) || alarmCount < 1) throw new RangeError(`--alarms must be a whole number of 1 or more, got ${alarmCount}`);
if (!Number.isInteger(groupCount) || groupCount < 1) throw new RangeError(`--groups must be a whole number of 1 or more, got ${groupCount}`);

const INSTANCE = 'berth';
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };

type Calls = Readonly<Record<string, number>>;

/** One plan's time, calls and entries, and how many owned resources its inventory found. */
interface PlanRun {
  readonly ms: number;
  readonly calls: Calls;
  readonly entries: readonly PlanEntry[];
  readonly owned: number;
}

/** The one entry a drift pass must show: an `update` of `key`, of exactly `paths` when given. */
interface ExpectedUpdate {
  readonly key: string;
  readonly paths?: readonly string[];
}

/** A measured pass: median time, the last run's calls, and every run's deviations from the goal. */
interface Measured {
  readonly pass: string;
  readonly ms: number;
  readonly calls: Calls;
  readonly expected: Calls;
  readonly updates: number;
  readonly expectedUpdates: number;
  /** Why the pass misses its goal; empty when it meets it. */
  readonly problems: readonly string[];
}

/** One plan on `aws` from a zeroed counter: time, calls, entries. */
async function planOnce(aws: AwsContext, manifests: readonly ManifestEntry[]): Promise<PlanRun> {
  aws.counter.reset();
  const start = performance.now();
  const { entries, observed } = await buildPlan({ manifests, aws, instance: INSTANCE, defaultRegion: undefined, now: new Date() });
  const ms = performance.now() - start;
  return { ms, calls: aws.counter.calls(), entries, owned: observed.owned.length };
}

/**
 * Runs `plan` --runs times; the result holds the median time and every run's deviations from the
 * goal: the calls, and the entries (all `no-change` but `expectedUpdate`, when given). `check` adds
 * a scenario's own checks of a run.
 */
async function measure(pass: string, plan: () => Promise<PlanRun>, expected: Calls, expectedUpdate: ExpectedUpdate | undefined, check?: (run: PlanRun) => string | undefined): Promise<Measured> {
  const times: number[] = [];
  const problems = new Set<string>();
  let last: PlanRun | undefined;
  for (let r = 0; r < runs; r++) {
    last = await plan();
    times.push(last.ms);
    if (!sameCalls(last.calls, expected)) problems.add(`calls ${formatCalls(last.calls)}, goal ${formatCalls(expected)}`);
    const changed = last.entries.filter((e) => e.action !== 'no-change');
    const ok =
      expectedUpdate === undefined
        ? changed.length === 0
        : changed.length === 1 &&
          changed[0]?.action === 'update' &&
          changed[0].key === expectedUpdate.key &&
          (expectedUpdate.paths === undefined || sameMembers(changed[0].changes.map((c) => c.path), expectedUpdate.paths));
    if (!ok) {
      const goal = expectedUpdate === undefined ? 'none' : `${expectedUpdate.key} update${expectedUpdate.paths === undefined ? '' : ` [${expectedUpdate.paths.join(', ')}]`}`;
      problems.add(`entries not no-change: ${changed.map((e) => `${e.key} ${e.action} [${e.changes.map((c) => c.path).join(', ')}]`).join('; ') || 'none'}; goal ${goal}`);
    }
    const extra = check?.(last);
    if (extra !== undefined) problems.add(extra);
  }
  return {
    pass,
    ms: median(times),
    calls: last?.calls ?? {},
    expected,
    updates: last?.entries.filter((e) => e.action === 'update').length ?? 0,
    expectedUpdates: expectedUpdate === undefined ? 0 : 1,
    problems: [...problems],
  };
}

/** `measured / goal` of one operation. */
const versus = (r: Measured, key: string): string => `${r.calls[key] ?? 0} / ${r.expected[key] ?? 0}`;

/** The operations measured or expected besides `shown`, as `op measured / goal`; `-` when none. */
function otherCalls(r: Measured, shown: readonly string[], strip: RegExp): string {
  const keys = [...new Set([...Object.keys(r.calls), ...Object.keys(r.expected)])].filter((k) => !shown.includes(k)).sort();
  return keys.length === 0 ? '-' : keys.map((k) => `${k.replace(strip, '')} ${versus(r, k)}`).join(', ');
}

/** Prints a table: `left` columns padded right, the others left. */
function printTable(header: readonly string[], table: readonly (readonly string[])[], left: readonly number[]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (left.includes(c) ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row));
}

/** Every pass that missed its goal, by scenario, for the final verdict. */
const failures: string[] = [];

// ---------------------------------------------------------------------------------------------
// Scenario services: N services in one cluster.


/** A Fargate API service; its task definition depends only on its family, so services share it. */
function serviceDocument(i: number): string {
  const name = `svc-${String(i).padStart(4, '0')}`;
  return fargateServiceDocument(name, families === 0 ? name : `bench-td-${i % families}`, 1 + (i % 4));
}

async function servicesScenario(): Promise<void> {
  const rows: (Measured & { readonly n: number })[] = [];
  const setups: string[] = [];

  for (const n of sizes) {
    const { endpoint, close } = await startSimulator({ seed: { accountId: ACCOUNT, region: REGION, autoScalingGroups: [] } });
    const ecs = new ECSClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
    const contexts: AwsContext[] = [];
    try {
      const text = [clusterDocument, ...Array.from({ length: n }, (_, i) => serviceDocument(i))].join('---\n');
      const validation = validateSources([{ path: `bench/plan-${n}-services.yaml`, text }]);
      // Shared families are the one error expected (see the header); anything else is a broken generator.
      const errors = validation.diagnostics.filter((d) => d.severity === 'error' && !(families > 0 && d.rule === 'names/aws-clash' && d.path === 'spec.taskDefinition.family'));
      if (errors.length > 0 || validation.manifests.length !== validation.documentCount) {
        throw new Error(`generated manifests are invalid:\n${JSON.stringify(errors.slice(0, 3), null, 2)}`);
      }
      const manifests = validation.manifests;
      const services = manifests.filter((e): e is ManifestEntry<ServiceManifest> => e.manifest.kind === 'Service');
      const cluster = manifests.find((e): e is ManifestEntry<ClusterManifest> => e.manifest.kind === 'Cluster');
      if (cluster === undefined || services.length !== n) throw new Error(`expected 1 Cluster and ${n} Service manifests, got ${manifests.length} documents`);

      // Set up what Berth would have created: the cluster, one task definition per family, the services.
      const setupStart = performance.now();
      await ecs.send(new CreateClusterCommand({ ...desiredCluster(cluster.manifest), tags: [...(cluster.manifest.spec.tags ?? []), ...ownershipTags(INSTANCE, manifestKey(cluster.manifest), 'bench')] }));
      const arnByFamily = new Map<string, string>();
      for (const { manifest } of services) {
        const family = manifest.spec.taskDefinition.family;
        if (arnByFamily.has(family)) continue;
        const td = await ecs.send(new RegisterTaskDefinitionCommand(desiredTaskDefinition(manifest.spec.taskDefinition)));
        arnByFamily.set(family, td.taskDefinition?.taskDefinitionArn ?? '');
      }
      await inPool(services, concurrency, async ({ manifest }) => {
        await ecs.send(
          new CreateServiceCommand({
            ...desiredService(manifest),
            taskDefinition: arnByFamily.get(manifest.spec.taskDefinition.family),
            tags: [...(manifest.spec.tags ?? []), ...ownershipTags(INSTANCE, manifestKey(manifest), 'bench')],
          }),
        );
      });
      setups.push(`N=${n}: 1 cluster, ${arnByFamily.size} task definitions, ${n} services created (${concurrency} CreateService in flight) in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

      const distinctArns = new Set(arnByFamily.values()).size;
      const describeServices = Math.ceil(n / 10);
      // The inventory: the cluster and the N services are tagged as Berth's (task definitions are listed only with prune).
      const getResources = Math.max(1, Math.ceil((1 + n) / 100));
      const goal = (taskDefinitions: number): Calls => ({
        'ecs:DescribeClusters': 1,
        'ecs:DescribeServices': describeServices,
        ...(taskDefinitions > 0 && { 'ecs:DescribeTaskDefinition': taskDefinitions }),
        'tagging:GetResources': getResources,
      });
      const row = (m: Measured): void => {
        rows.push({ n, ...m });
      };

      // 1. No change, fresh context each run.
      row(
        await measure(
          '1st (fresh context)',
          () => {
            const aws = createAwsContext({ endpoint, credentials, maxAttempts: 1 });
            contexts.push(aws);
            return planOnce(aws, manifests);
          },
          goal(distinctArns),
          undefined,
        ),
      );
      const warm = contexts.at(-1);
      if (warm === undefined) throw new Error('no AWS context');

      // 2. No change again, same context: every task definition comes from the port's cache.
      row(await measure('2nd (same context)', () => planOnce(warm, manifests), goal(0), undefined));

      // 3. One service's desiredCount changed behind Berth's back.
      const drifted = services[Math.floor(n / 2)]?.manifest;
      if (drifted === undefined) throw new Error('no service to change');
      await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: drifted.metadata.name, desiredCount: (drifted.spec.desiredCount ?? 1) + 3 }));
      row(await measure('drift (same context)', () => planOnce(warm, manifests), goal(0), { key: manifestKey(drifted) }));
    } finally {
      for (const aws of contexts) aws.close();
      ecs.destroy();
      await close();
    }
  }

  // The table.
  const shown = ['ecs:DescribeClusters', 'ecs:DescribeServices', 'ecs:DescribeTaskDefinition'];
  const header = ['N', 'pass', `ms (median of ${runs})`, 'DescribeClusters', 'DescribeServices', 'DescribeTaskDefinition', 'other calls', 'update entries', 'goal met'];
  const table = rows.map((r) => [
    String(r.n),
    r.pass,
    r.ms.toFixed(1),
    versus(r, 'ecs:DescribeClusters'),
    versus(r, 'ecs:DescribeServices'),
    versus(r, 'ecs:DescribeTaskDefinition'),
    otherCalls(r, shown, /^ecs:/),
    `${r.updates} / ${r.expectedUpdates}`,
    r.problems.length === 0 ? 'yes' : 'NO',
  ]);

  console.log(
    `berth plan: N services in one cluster, ${families === 0 ? 'each with its own task definition' : `sharing ${families} task definitions (validation's names/aws-clash on the shared families accepted)`}; simulator in process, SDK over loopback, maxAttempts 1`,
  );
  for (const s of setups) console.log(`  setup ${s}`);
  console.log('  calls are measured / goal; goal: ⌈N/10⌉ DescribeServices + 1 DescribeClusters + 1 DescribeTaskDefinition per distinct ARN (1st), none (2nd, drift)');
  console.log('  + ⌈(N+1)/100⌉ tagging:GetResources every pass (the inventory of owned resources: the cluster and N services)');
  console.log('');
  printTable(header, table, [1, 6]);
  for (const r of rows) for (const p of r.problems) failures.push(`services N=${r.n} ${r.pass}: ${p}`);
}

// ---------------------------------------------------------------------------------------------
// Scenario alarms: Alarm and AutoScalingGroup manifests, as Berth left them after an apply.

const pad = (i: number): string => String(i).padStart(3, '0');
const groupNameOf = (i: number): string => `bench-asg-${pad(i)}`;
const alarmNameOf = (i: number): string => `bench-alarm-${pad(i)}`;

/** The groups the infrastructure code made: empty (desiredCapacity 0), so no instance and no activity. */
function groupSeed(i: number): AutoScalingGroupSeed {
  return {
    name: groupNameOf(i),
    instanceType: 'g5.xlarge',
    minSize: 0,
    maxSize: 2 + (i % 3),
    desiredCapacity: 0,
    cluster: 'bench-gpu-cluster',
    availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
  };
}

/** Adopted by Berth, which keeps its sizes (as seeded: the group already matches). */
function groupDocument(i: number): string {
  const seed = groupSeed(i);
  return `apiVersion: berth.dev/v1
kind: AutoScalingGroup
metadata:
  name: ${seed.name}
  annotations:
    berth.dev/adopt: "true"
  labels: { app: bench }
spec:
  region: ${REGION}
  minSize: ${seed.minSize}
  maxSize: ${seed.maxSize}
`;
}

/** A queue-depth alarm; every fifth one watches a group's pending instances instead. */
function alarmDocument(i: number): string {
  const onGroup = i % 5 === 0;
  const metric = onGroup
    ? `  namespace: AWS/AutoScaling
  metricName: GroupPendingInstances
  dimensions:
    - { name: AutoScalingGroupName, value: ${groupNameOf(i % groupCount)} }
  statistic: Maximum
  period: 300
  evaluationPeriods: 3
  threshold: 1
  comparisonOperator: GreaterThanOrEqualToThreshold`
    : `  namespace: Bench/Queues
  metricName: QueueDepth
  dimensions:
    - { name: QueueName, value: queue-${pad(i)} }
    - { name: Environment, value: production }
  statistic: Average
  period: 60
  evaluationPeriods: 5
  threshold: ${100 + i}
  comparisonOperator: GreaterThanThreshold`;
  return `apiVersion: berth.dev/v1
kind: Alarm
metadata:
  name: ${alarmNameOf(i)}
  labels: { app: bench }
spec:
  region: ${REGION}
${metric}
  tags:
    - { key: app, value: bench }
`;
}

async function alarmsScenario(): Promise<void> {
  const rows: Measured[] = [];
  const { endpoint, close } = await startSimulator({ seed: { accountId: ACCOUNT, region: REGION, autoScalingGroups: Array.from({ length: groupCount }, (_, i) => groupSeed(i)) } });
  const cloudwatch = new CloudWatchClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
  const contexts: AwsContext[] = [];
  let setup: string;
  try {
    const text = [...Array.from({ length: groupCount }, (_, i) => groupDocument(i)), ...Array.from({ length: alarmCount }, (_, i) => alarmDocument(i))].join('---\n');
    const validation = validateSources([{ path: `bench/plan-${alarmCount}-alarms-${groupCount}-groups.yaml`, text }]);
    const errors = validation.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0 || validation.manifests.length !== validation.documentCount) {
      throw new Error(`generated manifests are invalid:\n${JSON.stringify(errors.slice(0, 3), null, 2)}`);
    }
    const manifests = validation.manifests;
    const alarms = manifests.filter((e): e is ManifestEntry<AlarmManifest> => e.manifest.kind === 'Alarm');
    const groups = manifests.filter((e): e is ManifestEntry<AutoScalingGroupManifest> => e.manifest.kind === 'AutoScalingGroup');
    if (alarms.length !== alarmCount || groups.length !== groupCount) throw new Error(`expected ${alarmCount} Alarm and ${groupCount} AutoScalingGroup manifests, got ${manifests.length} documents`);

    // Make the state as Berth would have: plan and apply once (alarms created, groups adopted).
    const setupStart = performance.now();
    const setupAws = createAwsContext({ endpoint, credentials, maxAttempts: 1 });
    contexts.push(setupAws);
    const initial = await buildPlan({ manifests, aws: setupAws, instance: INSTANCE, defaultRegion: undefined, now: new Date() });
    const creates = initial.entries.filter((e) => e.kind === 'Alarm' && e.action === 'create').length;
    const adoptions = initial.entries.filter((e) => e.kind === 'AutoScalingGroup' && e.action === 'update').length;
    if (creates !== alarmCount || adoptions !== groupCount || initial.entries.length !== alarmCount + groupCount) {
      throw new Error(`the initial plan should create ${alarmCount} alarms and adopt ${groupCount} groups: ${formatActions(initial.entries)}`);
    }
    const outcomes = await applyPlan(initial, { manifests, aws: setupAws, instance: INSTANCE, defaultRegion: undefined, revision: 'bench', concurrency });
    const notApplied = outcomes.filter((o) => o.status !== 'applied');
    if (notApplied.length > 0 || outcomes.length !== alarmCount + groupCount) {
      throw new Error(`apply did not apply everything: ${notApplied.slice(0, 3).map((o) => `${o.key} ${o.status}: ${o.message}`).join('; ') || `${outcomes.length} outcomes`}`);
    }
    setup = `${groupCount} groups seeded (desiredCapacity 0); buildPlan + applyPlan (${concurrency} at once) created ${creates} alarms and adopted ${adoptions} groups in ${((performance.now() - setupStart) / 1000).toFixed(1)} s; calls ${formatCalls(setupAws.counter.calls())}`;

    // Every alarm and group is now tagged as Berth's: the inventory lists them all.
    const owned = alarmCount + groupCount;
    const goal: Calls = {
      'cloudwatch:DescribeAlarms': Math.ceil(alarmCount / 100),
      'autoscaling:DescribeAutoScalingGroups': Math.ceil(groupCount / 50),
      'tagging:GetResources': Math.max(1, Math.ceil(owned / 100)),
    };
    const inventory = (run: PlanRun): string | undefined => (run.owned === owned ? undefined : `the inventory found ${run.owned} owned resources, goal ${owned}`);

    // 1. No change, fresh context each run: the state apply left is exactly what git declares.
    rows.push(
      await measure(
        '1st (fresh context)',
        () => {
          const aws = createAwsContext({ endpoint, credentials, maxAttempts: 1 });
          contexts.push(aws);
          return planOnce(aws, manifests);
        },
        goal,
        undefined,
        inventory,
      ),
    );
    const warm = contexts.at(-1);
    if (warm === undefined || warm === setupAws) throw new Error('no AWS context');

    // 2. No change again, same context.
    rows.push(await measure('2nd (same context)', () => planOnce(warm, manifests), goal, undefined, inventory));

    // 3. One alarm's threshold changed behind Berth's back (PutMetricAlarm keeps its tags).
    const drifted = alarms[Math.floor(alarmCount / 2)]?.manifest;
    if (drifted === undefined) throw new Error('no alarm to change');
    const desired = desiredAlarm(drifted);
    await cloudwatch.send(new PutMetricAlarmCommand({ ...desired, Threshold: (desired.Threshold ?? 0) + 50 }));
    rows.push(await measure('drift (same context)', () => planOnce(warm, manifests), goal, { key: manifestKey(drifted), paths: ['threshold'] }, inventory));
  } finally {
    for (const aws of contexts) aws.close();
    cloudwatch.destroy();
    await close();
  }

  // The table.
  const columns: readonly (readonly [string, string])[] = [
    ['DescribeAlarms', 'cloudwatch:DescribeAlarms'],
    ['ListTagsForResource', 'cloudwatch:ListTagsForResource'],
    ['DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingGroups'],
    ['DescribeScalingActivities', 'autoscaling:DescribeScalingActivities'],
    ['GetResources', 'tagging:GetResources'],
  ];
  const header = ['pass', `ms (median of ${runs})`, ...columns.map(([title]) => title), 'other calls', 'update entries', 'goal met'];
  const table = rows.map((r) => [
    r.pass,
    r.ms.toFixed(1),
    ...columns.map(([, key]) => versus(r, key)),
    otherCalls(
      r,
      columns.map(([, key]) => key),
      /^$/,
    ),
    `${r.updates} / ${r.expectedUpdates}`,
    r.problems.length === 0 ? 'yes' : 'NO',
  ]);

  console.log(`berth plan: ${alarmCount} alarms and ${groupCount} Auto Scaling groups (no services), as applyPlan left them; simulator in process, SDK over loopback, maxAttempts 1`);
  console.log(`  setup ${setup}`);
  console.log(
    `  calls are measured / goal, every pass: ⌈${alarmCount}/100⌉ DescribeAlarms + ⌈${groupCount}/50⌉ DescribeAutoScalingGroups + ⌈${alarmCount + groupCount} owned/100⌉ GetResources; ` +
      'no ListTagsForResource (all alarms owned: tags from the inventory), no DescribeScalingActivities (all groups at desired capacity)',
  );
  console.log('  drift: one alarm\'s threshold changed with PutMetricAlarm; its entry must be an update of threshold alone');
  console.log('');
  printTable(header, table, [0, 2 + columns.length]);
  for (const r of rows) for (const p of r.problems) failures.push(`alarms ${r.pass}: ${p}`);
}

// ---------------------------------------------------------------------------------------------

if (scenarios.has('services')) await servicesScenario();
if (scenarios.has('alarms')) {
  if (scenarios.has('services')) console.log('');
  await alarmsScenario();
}

console.log('');
if (failures.length === 0) {
  console.log('all call counts and plan actions meet the goal');
} else {
  for (const f of failures) console.log(`NOT met: ${f}`);
  process.exitCode = 1;
}

function sameCalls(a: Calls, b: Calls): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((x, i) => x === sortedB[i]);
}

function formatCalls(calls: Calls): string {
  return (
    Object.entries(calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}

/** `kind action` counts of plan entries, for an error message. */
function formatActions(entries: readonly PlanEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(`${e.kind} ${e.action}`, (counts.get(`${e.kind} ${e.action}`) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${v} ${k}`).join(', ') || 'no entries';
}

/** Runs `fn` over `items` with at most `limit` in flight, like a controller's bounded workers. */
async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}
