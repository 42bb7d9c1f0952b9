/**
 * What `berth plan` costs against N existing services: wall time and AWS calls by operation.
 * Goal per plan: ⌈N/10⌉ DescribeServices + 1 DescribeClusters + one DescribeTaskDefinition per
 * distinct task-definition ARN in use on a fresh AWS context, and no DescribeTaskDefinition at all
 * on the next plans of the same context (its port caches them).
 *
 *   npm run bench:plan [-- --sizes 10,100,1000 --families 10 --runs 3 --concurrency 16]
 *
 * For each size N, a fresh simulator (in process, free port, virtual clock) holds one cluster and
 * N services created the way Berth creates them: CreateCluster / RegisterTaskDefinition /
 * CreateService through the real ECS SDK client, with Berth's ownership tags, the N services
 * sharing `--families` task definitions. The N Service manifests (and the Cluster manifest) are
 * generated as one YAML file and validated, so every entry has a real source. Validation allows one
 * manifest per task-definition family (`names/aws-clash`), so sharing is something a real
 * repository cannot declare; those errors, and only those, are accepted here so that the per-ARN
 * lookup is visible. `--families 0` gives every service its own family: fully valid manifests,
 * N distinct ARNs. Then `buildPlan`
 * runs through `createAwsContext` (maxAttempts 1, so no retry hides a call):
 *   1st     no-change plan on a fresh context (median of --runs, a fresh context each run);
 *   2nd     no-change plan again on the last of those contexts (median of --runs);
 *   drift   plan after one service's desiredCount was changed behind Berth's back with
 *           UpdateService (same context, median of --runs): exactly one entry must be `update`.
 * Prints one row per pass with the measured calls beside the goal; exits 1 if any call count or
 * plan action differs from the goal (after printing everything).
 */
import { parseArgs } from 'node:util';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { createAwsContext } from '../controller/aws/aws-context.ts';
import type { AwsContext } from '../controller/aws/aws-context.ts';
import { ownershipTags } from '../controller/engine/ownership.ts';
import { buildPlan } from '../controller/engine/plan.ts';
import type { PlanEntry } from '../controller/engine/plan-types.ts';
import { desiredCluster } from '../controller/kinds/cluster/cluster.ts';
import { desiredService } from '../controller/kinds/service/service.ts';
import { desiredTaskDefinition } from '../controller/kinds/service/task-definition.ts';
import { validateSources } from '../controller/manifests/validate.ts';
import type { ClusterManifest, ManifestEntry, ServiceManifest } from '../controller/manifests/types.ts';
import { manifestKey } from '../controller/manifests/types.ts';
import { startSimulator } from '../sim/simulator.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    /** Distinct task-definition families (and so ARNs) the services share; 0: one per service. */
    families: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    /** CreateService calls in flight while setting up. */
    concurrency: { type: 'string', default: '16' },
  },
});
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const families = Number(values.families);
const runs = Math.max(1, Number(values.runs));
const concurrency = Math.max(1, Number(values.concurrency));
for (const n of sizes) if (!Number.isInteger(n) || n < 1) throw new RangeError(`--sizes must be whole numbers of 1 or more, got ${n}`);
if (!Number.isInteger(families) || families < 0) throw new RangeError(`--families must be a whole number of 0 or more, got ${families}`);

const ACCOUNT = '070017891928';
const REGION = 'ap-southeast-2';
const CLUSTER = 'bench-cluster';
const INSTANCE = 'berth';
const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };

const clusterDocument = `apiVersion: berth.dev/v1
kind: Cluster
metadata:
  name: ${CLUSTER}
spec:
  region: ${REGION}
  settings:
    - { name: containerInsights, value: enhanced }
  tags:
    - { key: app, value: bench }
`;

/** A Fargate API service; its task definition depends only on its family, so services share it. */
function serviceDocument(i: number): string {
  const name = `svc-${String(i).padStart(4, '0')}`;
  const family = families === 0 ? name : `bench-td-${i % families}`;
  return `apiVersion: berth.dev/v1
kind: Service
metadata:
  name: ${name}
  labels: { app: bench }
spec:
  region: ${REGION}
  cluster: ${CLUSTER}
  launchType: FARGATE
  desiredCount: ${1 + (i % 4)}
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
      securityGroups: [sg-0123456789abcdef0]
      assignPublicIp: DISABLED
  deploymentConfiguration:
    deploymentCircuitBreaker: { enable: true, rollback: true }
    maximumPercent: 200
    minimumHealthyPercent: 100
  tags:
    - { key: app, value: bench }
  taskDefinition:
    family: ${family}
    cpu: "512"
    memory: "2048"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    executionRoleArn: arn:aws:iam::${ACCOUNT}:role/bench-execution
    containerDefinitions:
      - name: app
        image: ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${family}:2024-12-01
        essential: true
        portMappings:
          - { containerPort: 8080, protocol: tcp }
        environment:
          - { name: NODE_ENV, value: production }
          - { name: PORT, value: "8080" }
        secrets:
          - name: DATABASE_URL
            valueFrom: arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${family}/database-url
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/${family}
            awslogs-region: ${REGION}
            awslogs-stream-prefix: ecs
`;
}

type Calls = Readonly<Record<string, number>>;
interface Pass {
  readonly n: number;
  readonly pass: string;
  readonly ms: number;
  readonly calls: Calls;
  readonly expected: Calls;
  readonly updates: number;
  readonly expectedUpdates: number;
  /** Why the pass misses its goal; empty when it meets it. */
  readonly problems: readonly string[];
}

const rows: Pass[] = [];
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
    const goal = (taskDefinitions: number): Calls => ({
      'ecs:DescribeClusters': 1,
      'ecs:DescribeServices': describeServices,
      ...(taskDefinitions > 0 && { 'ecs:DescribeTaskDefinition': taskDefinitions }),
    });

    /** One plan on `aws` from a zeroed counter: time, calls, entries. */
    const planOnce = async (aws: AwsContext): Promise<{ ms: number; calls: Calls; entries: readonly PlanEntry[] }> => {
      aws.counter.reset();
      const start = performance.now();
      const { entries } = await buildPlan({ manifests, ecs: (region) => aws.ecs(region), instance: INSTANCE, defaultRegion: undefined, now: new Date() });
      const ms = performance.now() - start;
      return { ms, calls: aws.counter.calls(), entries };
    };

    /** Runs `plan` --runs times; the row holds the median time and every run's deviations from the goal. */
    const measure = async (pass: string, plan: () => Promise<Awaited<ReturnType<typeof planOnce>>>, expected: Calls, expectedUpdate: string | undefined): Promise<void> => {
      const times: number[] = [];
      const problems = new Set<string>();
      let last: Awaited<ReturnType<typeof planOnce>> | undefined;
      for (let r = 0; r < runs; r++) {
        last = await plan();
        times.push(last.ms);
        if (!sameCalls(last.calls, expected)) problems.add(`calls ${formatCalls(last.calls)}, goal ${formatCalls(expected)}`);
        const changed = last.entries.filter((e) => e.action !== 'no-change');
        const wanted = expectedUpdate === undefined ? [] : [expectedUpdate];
        const ok = changed.length === wanted.length && changed.every((e) => e.action === 'update' && wanted.includes(e.key));
        if (!ok) problems.add(`entries not no-change: ${changed.map((e) => `${e.key} ${e.action} [${e.changes.map((c) => c.path).join(', ')}]`).join('; ') || 'none'}; goal ${expectedUpdate === undefined ? 'none' : `${expectedUpdate} update`}`);
      }
      rows.push({
        n,
        pass,
        ms: median(times),
        calls: last?.calls ?? {},
        expected,
        updates: last?.entries.filter((e) => e.action === 'update').length ?? 0,
        expectedUpdates: expectedUpdate === undefined ? 0 : 1,
        problems: [...problems],
      });
    };

    // 1. No change, fresh context each run.
    await measure(
      '1st (fresh context)',
      () => {
        const aws = createAwsContext({ endpoint, credentials, maxAttempts: 1 });
        contexts.push(aws);
        return planOnce(aws);
      },
      goal(distinctArns),
      undefined,
    );
    const warm = contexts.at(-1);
    if (warm === undefined) throw new Error('no AWS context');

    // 2. No change again, same context: every task definition comes from the port's cache.
    await measure('2nd (same context)', () => planOnce(warm), goal(0), undefined);

    // 3. One service's desiredCount changed behind Berth's back.
    const drifted = services[Math.floor(n / 2)]?.manifest;
    if (drifted === undefined) throw new Error('no service to change');
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: drifted.metadata.name, desiredCount: (drifted.spec.desiredCount ?? 1) + 3 }));
    await measure('drift (same context)', () => planOnce(warm), goal(0), manifestKey(drifted));
  } finally {
    for (const aws of contexts) aws.close();
    ecs.destroy();
    await close();
  }
}

// The table.
const header = ['N', 'pass', `ms (median of ${runs})`, 'DescribeClusters', 'DescribeServices', 'DescribeTaskDefinition', 'other calls', 'update entries', 'goal met'];
const table = rows.map((r) => {
  const op = (name: string): string => `${r.calls[`ecs:${name}`] ?? 0} / ${r.expected[`ecs:${name}`] ?? 0}`;
  const other = Object.entries(r.calls).filter(([k]) => !['ecs:DescribeClusters', 'ecs:DescribeServices', 'ecs:DescribeTaskDefinition'].includes(k));
  return [
    String(r.n),
    r.pass,
    r.ms.toFixed(1),
    op('DescribeClusters'),
    op('DescribeServices'),
    op('DescribeTaskDefinition'),
    other.length === 0 ? '-' : other.map(([k, v]) => `${k.replace(/^ecs:/, '')} ${v}`).join(', '),
    `${r.updates} / ${r.expectedUpdates}`,
    r.problems.length === 0 ? 'yes' : 'NO',
  ];
});
const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => (row[c] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((cell, c) => (c === 1 || c === 6 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ').trimEnd();

console.log(
  `berth plan: N services in one cluster, ${families === 0 ? 'each with its own task definition' : `sharing ${families} task definitions (validation's names/aws-clash on the shared families accepted)`}; simulator in process, SDK over loopback, maxAttempts 1`,
);
for (const s of setups) console.log(`  setup ${s}`);
console.log('  calls are measured / goal; goal: ⌈N/10⌉ DescribeServices + 1 DescribeClusters + 1 DescribeTaskDefinition per distinct ARN (1st), none (2nd, drift)');
console.log('');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of table) console.log(line(row));

const failed = rows.filter((r) => r.problems.length > 0);
console.log('');
if (failed.length === 0) {
  console.log('all call counts and plan actions meet the goal');
} else {
  for (const r of failed) for (const p of r.problems) console.log(`NOT met: N=${r.n} ${r.pass}: ${p}`);
  process.exitCode = 1;
}

function sameCalls(a: Calls, b: Calls): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

function formatCalls(calls: Calls): string {
  return (
    Object.entries(calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
