/**
 * Every validation rule against its fixture: the exact line, column, path and message of each
 * diagnostic, so a rule that stops firing, fires twice or points at the wrong place fails here.
 * One fixture per concern under test/fixtures/validate/invalid/, each validated on its own.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestFiles } from '../controller/manifests/load-files.ts';
import { validateSources } from '../controller/manifests/validate.ts';
import type { ValidationResult } from '../controller/manifests/validate.ts';

const root = join(import.meta.dirname, '..');
const fixtures = 'test/fixtures/validate';

async function validate(path: string): Promise<ValidationResult> {
  return validateSources(await readManifestFiles(path, root));
}

/** `line:column severity rule path — message`, one line per diagnostic. */
function summarize(result: ValidationResult): string[] {
  return result.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.rule} ${d.path} — ${d.message}`);
}

const EXPECTED: Record<string, readonly string[]> = {
  'alarms.yaml': [
    "4:1 error alarm/statistic spec — the alarm has no statistic",
    "7:11 error alarm/period spec.period — an alarm period of 90 s is not one CloudWatch supports",
    "9:22 error alarm/datapoints spec.datapointsToAlarm — datapointsToAlarm 3 is more than evaluationPeriods 2",
    "20:3 error alarm/statistic spec.extendedStatistic — an alarm takes `statistic` or `extendedStatistic`, not both",
    "29:1 error alarm/metric-required spec — the alarm watches no metric: `namespace`, `metricName`, `period` missing",
    "39:3 error alarm/metrics-exclusive spec.namespace — `namespace` cannot be set together with `metrics`; with metric math each metric is described inside `metrics`",
    "40:3 error alarm/return-data spec.metrics — exactly one of `metrics` must return data (the series the alarm compares); 3 do",
    "41:97 error alarm/period spec.metrics[0].metricStat.period — an alarm period of 45 s is not one CloudWatch supports",
    "42:13 error alarm/metric-id spec.metrics[1].id — metric id m1 is used twice",
    "43:7 error alarm/metric-query spec.metrics[2] — metric e2 needs exactly one of `expression` and `metricStat`",
  ],
  'capacity-bounds.yaml': [
    "4:18 error capacity/min-above-max spec.minSize — minSize 3 is above maxSize 2",
    "9:33 error ownership/scaler-field spec.desiredCapacity — `desiredCapacity` is owned by QueueScaler big (test/fixtures/validate/invalid/capacity-bounds.yaml:26) and must not be set here",
    "9:50 error capacity/desired-out-of-bounds spec.desiredCapacity — desiredCapacity 5 is outside minSize 0 … maxSize 2",
    "18:13 error capacity/min-above-max spec.minTasks — minTasks 6 is above maxTasks 4",
    "28:13 warning capacity/group-too-small spec.maxTasks — maxTasks 8 at 1 per instance needs 8 instances, but AutoScalingGroup desired-high (test/fixtures/validate/invalid/capacity-bounds.yaml:9) allows at most 2",
    "29:18 error capacity/fallback-out-of-bounds spec.fallbackTasks — fallbackTasks 9 is outside minTasks 0 … maxTasks 8",
  ],
  'containers.yaml': [
    "8:153 error service/load-balancer-port spec.loadBalancers[0].containerPort — load balancer 0 routes to port 9000, which container api does not map",
    "9:133 error service/load-balancer-container spec.loadBalancers[1].containerName — load balancer 1 routes to container web, which is not in the task definition",
    "12:10 error containers/cpu-exceeds-task spec.taskDefinition.cpu — the containers reserve 512 CPU units, more than the task's 256",
    "13:13 error containers/memory-exceeds-task spec.taskDefinition.memory — the containers reserve 1024 MiB, more than the task's 512 MiB",
    "20:38 error containers/depends-on spec.taskDefinition.containerDefinitions[0].dependsOn[0].containerName — container api depends on migrate, which is not a container of this task",
    "23:21 error environment/duplicate spec.taskDefinition.containerDefinitions[0].environment[1].name — environment variable LOG_LEVEL is set twice in container api",
    "26:21 error environment/secret-and-value spec.taskDefinition.containerDefinitions[0].secrets[0].name — API_BASE is both a plain environment variable and a secret in container api",
    "27:15 error containers/duplicate-name spec.taskDefinition.containerDefinitions[1].name — two containers are named api (items 0 and 1)",
    "38:28 error containers/memory-required spec.taskDefinition.containerDefinitions[0] — container app has no memory limit, and the task definition sets no task-level memory",
  ],
  'dependencies.yaml': [
    "13:28 error dependencies/cycle spec.deploymentConfiguration.alarms.alarmNames[0] — dependency cycle: Service/api → Alarm/api-5xx → Service/api",
    "30:40 error dependencies/cycle metadata.annotations[\"berth.dev/depends-on\"] — dependency cycle: Cluster/batch → AutoScalingGroup/batch-asg → Alarm/batch-depth → Cluster/batch",
    "51:40 error dependencies/unknown metadata.annotations[\"berth.dev/depends-on\"] — `berth.dev/depends-on` names Cluster/mian, which is not among the manifests",
    "51:40 error dependencies/unknown metadata.annotations[\"berth.dev/depends-on\"] — `berth.dev/depends-on` names Alarm/nope, which is not among the manifests",
    "51:40 error dependencies/unknown metadata.annotations[\"berth.dev/depends-on\"] — Service/worker depends on itself",
    "51:40 error dependencies/unknown metadata.annotations[\"berth.dev/depends-on\"] — `berth.dev/depends-on` names Cluster/api-5xx, which is not among the manifests",
    "64:40 error schema/pattern metadata.annotations[\"berth.dev/depends-on\"] — `metadata.annotations[\"berth.dev/depends-on\"]` has the wrong format: a string (\"service/api\") (A comma-separated list of the `Kind/name` keys of manifests this one depends on, for example `Cluster/main, Alarm/api-5xx`, where Kind is Cluster, Service, AutoScalingGroup, Alarm or QueueScaler.)",
  ],
  'duplicate-names.yaml': [
    "8:19 error names/duplicate metadata.name — Cluster web is declared twice; the first is at test/fixtures/validate/invalid/duplicate-names.yaml:3",
    "14:22 error names/aws-clash spec.clusterName — Cluster web-copy and Cluster web (test/fixtures/validate/invalid/duplicate-names.yaml:3) both manage the ECS cluster web in the default region",
  ],
  'fargate.yaml': [
    "7:3 error fargate/placement spec.placementConstraints — `placementConstraints` does not apply to Fargate tasks",
    "8:3 error fargate/compatibility spec.taskDefinition — the service runs on Fargate but its task definition does not require FARGATE compatibility",
    "11:13 error fargate/size spec.taskDefinition.memory — Fargate does not run 512 CPU units with 8192 MiB of memory",
    "12:18 error fargate/network-mode spec.taskDefinition.networkMode — Fargate tasks need networkMode awsvpc",
    "16:32 error fargate/gpu spec.taskDefinition.containerDefinitions[0].resourceRequirements[0] — container ocr asks for a GPU, which Fargate does not offer",
    "25:3 error fargate/size-required spec.taskDefinition — a Fargate task definition needs a task-level `memory`",
    "38:3 error service/launch-type-and-strategy spec.capacityProviderStrategy — a service takes either `launchType` or `capacityProviderStrategy`, not both",
    "42:10 error fargate/size spec.taskDefinition.cpu — Fargate has no task size with 3072 CPU units",
  ],
  'images.yaml': [
    "11:29 warning images/unpinned spec.taskDefinition.containerDefinitions[0].image — image of container api uses the tag `latest`: a rollout cannot be traced to a version, and git stops being the record of what runs",
    "12:33 warning images/unpinned spec.taskDefinition.containerDefinitions[1].image — image of container sidecar has no tag, so it means `latest`: a rollout cannot be traced to a version, and git stops being the record of what runs",
  ],
  'network.yaml': [
    "4:1 error network/awsvpc-configuration spec — a service whose tasks use networkMode awsvpc needs `networkConfiguration.awsvpcConfiguration`",
    "14:57 error network/awsvpc-host-port spec.taskDefinition.containerDefinitions[0].portMappings[0].hostPort — in awsvpc mode the host port must equal the container port (8080)",
    "22:3 error network/configuration-without-awsvpc spec.networkConfiguration — `networkConfiguration` only applies to networkMode awsvpc; this task definition uses the default (bridge)",
  ],
  'not-a-mapping.yaml': [
    "1:1 error document/not-a-mapping  — a manifest document must be a mapping with `apiVersion`, `kind`, `metadata` and `spec`",
  ],
  'scaler-owned-fields.yaml': [
    "7:3 error ownership/scaler-field spec.desiredCount — `desiredCount` is owned by QueueScaler ocr (test/fixtures/validate/invalid/scaler-owned-fields.yaml:23) and must not be set here",
    "16:33 error ownership/scaler-field spec.desiredCapacity — `desiredCapacity` is owned by QueueScaler ocr (test/fixtures/validate/invalid/scaler-owned-fields.yaml:23) and must not be set here",
    "32:22 error ownership/two-scalers spec.target.service — Service worker is already scaled by QueueScaler ocr (test/fixtures/validate/invalid/scaler-owned-fields.yaml:23)",
  ],
  'scaler-references.yaml': [
    "6:22 error references/missing spec.target.service — `target.service` names Service workr, which is not among the manifests",
    "6:47 error references/missing spec.target.autoScalingGroup — `target.autoScalingGroup` names AutoScalingGroup gpu-asg, which is not among the manifests",
  ],
  'schema-errors.yaml': [
    "1:13 error schema/const apiVersion — `apiVersion` must be \"berth.dev/v1\", not a string (\"berth.dev/v2\")",
    "6:22 error schema/type metadata.annotations[\"berth.dev/adopt\"] — `metadata.annotations[\"berth.dev/adopt\"]` must be a string, not a boolean (true)",
    "9:15 error schema/enum spec.launchType — `spec.launchType` must be `EC2`, `FARGATE`, `EXTERNAL` or `MANAGED_INSTANCES`, not a string (\"fargate\")",
    "10:3 error schema/unknown-field spec.desiredCont — unknown field `desiredCont` in `spec`",
    "13:5 error schema/read-only-field spec.taskDefinition.revision — `revision` is part of the DescribeTaskDefinition output, not of the input Berth applies",
    "17:41 error schema/range spec.taskDefinition.containerDefinitions[0].portMappings[0].containerPort — `spec.taskDefinition.containerDefinitions[0].portMappings[0].containerPort` must be <= 65535, not 70000 (The port the application listens on inside the container, 1 to 65535.)",
    "19:34 error schema/type spec.taskDefinition.containerDefinitions[0].environment[0].value — `spec.taskDefinition.containerDefinitions[0].environment[0].value` must be a string, not a number (8080)",
    "25:1 error schema/missing-field spec — missing required field `maxSize` in `spec`",
  ],
  'secrets.yaml': [
    "14:40 error secrets/plaintext spec.taskDefinition.containerDefinitions[0].environment[0].value — environment variable JWT_SECRET of container api holds a plaintext secret: the name `JWT_SECRET` says it is a secret and it has a literal value",
    "15:43 error secrets/plaintext spec.taskDefinition.containerDefinitions[0].environment[1].value — environment variable UPLOAD_BUCKET of container api holds a plaintext secret: the value looks like an AWS access key ID",
    "16:42 error secrets/plaintext spec.taskDefinition.containerDefinitions[0].environment[2].value — environment variable DATABASE_URL of container api holds a plaintext secret: the value is a URL with a password in it",
    "18:20 error secrets/plaintext spec.taskDefinition.containerDefinitions[0].environment[3].value — environment variable TLS_KEY of container api holds a plaintext secret: the value holds a PEM private key",
    "25:83 error secrets/plaintext spec.taskDefinition.containerDefinitions[0].logConfiguration.options[\"splunk-token\"] — log option splunk-token of container api holds a plaintext secret: the name `splunk-token` says it is a secret and it has a literal value",
  ],
  'task-size.yaml': [
    "9:10 error task-definition/size-format spec.taskDefinition.cpu — task cpu \"0.3 vCPU\" is not a CPU size ECS reads",
    "10:13 error task-definition/size-format spec.taskDefinition.memory — task memory \"0\" is not a memory size ECS reads",
  ],
  'unknown-kind.yaml': [
    "2:7 error document/kind kind — unknown kind \"Servise\"",
  ],
  'yaml-syntax.yaml': [
    "5:3 error yaml/syntax  — YAML: Map keys must be unique",
    "8:1 error yaml/syntax  — YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ],};

describe('validation fixtures', () => {
  it.each(Object.entries(EXPECTED))('invalid/%s', async (file, expected) => {
    const result = await validate(`${fixtures}/invalid/${file}`);
    expect(summarize(result)).toEqual(expected);
    expect(result.valid).toBe(expected.every((line) => / warning /.test(line)));
    for (const d of result.diagnostics) expect(d.file).toBe(`${fixtures}/invalid/${file}`);
  });

  it('covers every invalid fixture', async () => {
    const files = await readManifestFiles(`${fixtures}/invalid`, root);
    expect(files.map((f) => f.path.split('/').pop()).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(['fargate-service.yaml', 'gpu-stack.yaml', 'alarms.yaml'])('valid/%s has no diagnostics', async (file) => {
    const result = await validate(`${fixtures}/valid/${file}`);
    expect(summarize(result)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.manifests.length).toBe(result.documentCount);
  });

  it("this repository's manifests/ are valid, with no warnings", async () => {
    const result = await validate('manifests');
    expect(summarize(result)).toEqual([]);
    const kinds = result.manifests.map((m) => `${m.manifest.kind}/${m.manifest.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining([
      'Cluster/filot-backend-cluster',
      'Cluster/filot-ocr-gpu-cluster',
      'Service/filot-backend-service',
      'Service/filot-ocr-gpu-service',
      'Service/berth-controller',
      'AutoScalingGroup/filot-ocr-gpu-asg',
      'QueueScaler/ocr-gpu',
    ]));
    expect(kinds.filter((k) => k.startsWith('Alarm/'))).toHaveLength(8);
  });
});

describe('fixes and hints', () => {
  it('suggests the field, enum value and kind that were meant, and how to fix a type', async () => {
    const fixes = (await validate(`${fixtures}/invalid/schema-errors.yaml`)).diagnostics.map((d) => [d.path, d.fix]);
    expect(fixes).toEqual(expect.arrayContaining([
      ['spec.desiredCont', 'did you mean `desiredCount`?'],
      ['spec.launchType', 'did you mean `FARGATE`?'],
      ['spec.taskDefinition.containerDefinitions[0].environment[0].value', 'quote the value: "8080"'],
      ['metadata.annotations["berth.dev/adopt"]', 'quote the value: "true"'],
      ['apiVersion', 'write `apiVersion: berth.dev/v1`'],
      ['spec', 'add `maxSize:` under `spec`'],
    ]));
    const kind = (await validate(`${fixtures}/invalid/unknown-kind.yaml`)).diagnostics[0];
    expect(kind?.fix).toBe('did you mean `kind: Service`?');
  });

  it('points a plaintext secret at secrets[].valueFrom and never repeats the value', async () => {
    const result = await validate(`${fixtures}/invalid/secrets.yaml`);
    const text = JSON.stringify(result.diagnostics);
    for (const leaked of ['correct-horse-battery-staple', 'AKIAIOSFODNN7EXAMPLE', 'hunter2', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', '00000000-1111-2222-3333-444444444444']) {
      expect(text).not.toContain(leaked);
    }
    expect(result.diagnostics[0]?.fix).toBe(
      'store it in AWS Secrets Manager, remove it from `environment` and add `secrets: [{ name: JWT_SECRET, valueFrom: arn:aws:secretsmanager:<region>:<account>:secret:api/<name> }]`',
    );
  });

  it('names both places when a QueueScaler-owned field is set', async () => {
    const d = (await validate(`${fixtures}/invalid/scaler-owned-fields.yaml`)).diagnostics[0];
    expect(d).toMatchObject({
      document: { kind: 'Service', name: 'worker' },
      path: 'spec.desiredCount',
      expected: 'no desiredCount',
      found: '2',
      fix: 'remove `desiredCount`; QueueScaler ocr sets it from the queue backlog (its bounds are minTasks and maxTasks)',
    });
  });

  it('says which depends-on entry closes a dependency cycle, and where each edge is written', async () => {
    const file = `${fixtures}/invalid/dependencies.yaml`;
    const result = await validate(file);
    const [cycle] = result.diagnostics.filter((d) => d.rule === 'dependencies/cycle');
    expect(cycle).toMatchObject({
      document: { kind: 'Service', name: 'api' },
      found: `Service/api → Alarm/api-5xx (spec.deploymentConfiguration.alarms.alarmNames[0], ${file}:13); Alarm/api-5xx → Service/api (metadata.annotations["berth.dev/depends-on"], ${file}:23)`,
      fix: `remove the \`berth.dev/depends-on\` entry that closes the loop: \`Service/api\` on Alarm/api-5xx (${file}:23)`,
    });
    const fixes = result.diagnostics.filter((d) => d.rule === 'dependencies/unknown').map((d) => d.fix);
    expect(fixes).toEqual([
      'did you mean `Cluster/main`?',
      'add an Alarm manifest named nope, or remove `Alarm/nope` from `berth.dev/depends-on`',
      'remove `Service/worker` from `berth.dev/depends-on`',
      'did you mean `Alarm/api-5xx`?',
    ]);
  });

  it('lists the Fargate memory sizes that go with the CPU size', async () => {
    const d = (await validate(`${fixtures}/invalid/fargate.yaml`)).diagnostics.find((x) => x.rule === 'fargate/size');
    expect(d?.expected).toBe('with 512 CPU units: 1024–4096 MiB in steps of 1024');
  });
});

describe('sources', () => {
  it('reports a directory with no manifest files', () => {
    const result = validateSources([]);
    expect(result.valid).toBe(false);
    expect(summarize(result)).toEqual(['1:1 error source/empty  — no manifest files (.yaml or .yml) were found']);
  });

  it('skips empty documents and comment-only files without counting them', () => {
    const result = validateSources([
      { path: 'a.yaml', text: '# only a comment\n' },
      { path: 'b.yaml', text: '---\napiVersion: berth.dev/v1\nkind: Cluster\nmetadata: { name: c }\nspec: {}\n---\n' },
    ]);
    expect(summarize(result)).toEqual([]);
    expect(result.documentCount).toBe(1);
  });

  it('orders diagnostics by file, then line', () => {
    const bad = 'apiVersion: berth.dev/v1\nkind: Cluster\nmetadata: { name: c }\nspec: { bogus: 1 }\n';
    const result = validateSources([
      { path: 'z.yaml', text: bad.replace('name: c', 'name: z') },
      { path: 'a.yaml', text: `${bad}---\n${bad.replace('name: c', 'name: d')}` },
    ]);
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}`)).toEqual(['z.yaml:4', 'a.yaml:4', 'a.yaml:9']);
  });
});
