/**
 * How long `berth validate` takes on 1000 Service manifests, and how much memory it needs.
 * Goal: under 1 s on the 2-core development machine.
 *
 *   npm run bench:validate [-- --services 1000 --runs 7 --dir /tmp/manifests]
 *
 * Prints the in-process time (cold: first run, including schema compilation; warm: median of the
 * following runs), the end-to-end time of the CLI as a process (median), and the peak RSS of both.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readManifestFiles } from '../controller/manifests/load-files.ts';
import { validateSources } from '../controller/manifests/validate.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '7' },
    /** Write the generated manifests here and keep them (for profiling); default a temporary directory. */
    dir: { type: 'string' },
  },
});
const services = Number(values.services);
const runs = Math.max(2, Number(values.runs));
const perFile = 20;

/** A Fargate API service like filot-backend-service: 1 container, 6 variables, 8 secrets, health check, logs. */
function serviceDocument(i: number): string {
  const name = `svc-${String(i).padStart(4, '0')}`;
  const secrets = ['JWT_SECRET', 'SESSION_SECRET', 'DATABASE_URL', 'REDIS_URL', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'TEMPORAL_API_KEY', 'BULI2_API_KEY']
    .map((s) => `            - name: ${s}\n              valueFrom: arn:aws:secretsmanager:ap-southeast-2:070017891928:secret:${name}/${s.toLowerCase()}`)
    .join('\n');
  return `apiVersion: berth.dev/v1
kind: Service
metadata:
  name: ${name}
  labels: { app: bench, index: "${i}" }
spec:
  region: ap-southeast-2
  cluster: bench-cluster
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
  taskDefinition:
    family: ${name}
    cpu: "512"
    memory: "2048"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    executionRoleArn: arn:aws:iam::070017891928:role/bench-execution
    containerDefinitions:
      - name: app
        image: 070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/${name}:2024-12-${String(1 + (i % 28)).padStart(2, '0')}
        essential: true
        portMappings:
          - { containerPort: 8080, protocol: tcp }
        environment:
          - { name: NODE_ENV, value: production }
          - { name: PORT, value: "8080" }
          - { name: LOG_LEVEL, value: info }
          - { name: SERVICE_NAME, value: ${name} }
          - { name: AWS_REGION, value: ap-southeast-2 }
          - { name: QUEUE_NAME, value: q-${i} }
        secrets:
${secrets}
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/${name}
            awslogs-region: ap-southeast-2
            awslogs-stream-prefix: ecs
        healthCheck:
          command: [CMD-SHELL, "wget -qO- http://127.0.0.1:8080/health || exit 1"]
          interval: 30
          timeout: 5
          retries: 3
          startPeriod: 30
`;
}

const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'berth-bench-validate-'));
mkdirSync(dir, { recursive: true });
try {
  for (let f = 0; f * perFile < services; f++) {
    const docs: string[] = [];
    for (let i = f * perFile; i < Math.min(services, (f + 1) * perFile); i++) docs.push(serviceDocument(i));
    writeFileSync(join(dir, `services-${String(f).padStart(3, '0')}.yaml`), docs.join('---\n'));
  }

  const timings: number[] = [];
  let documents = 0;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    const result = validateSources(await readManifestFiles(dir));
    timings.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!result.valid) throw new Error(`generated manifests are invalid:\n${JSON.stringify(result.diagnostics.slice(0, 3), null, 2)}`);
    documents = result.documentCount;
  }
  const cold = timings[0] ?? 0;
  const warm = median(timings.slice(1));
  const inProcessRssMiB = process.resourceUsage().maxRSS / 1024;

  const cliTimings: number[] = [];
  let cliRssMiB = 0;
  for (let r = 0; r < Math.min(runs, 5); r++) {
    const start = process.hrtime.bigint();
    const child = spawnSync('bash', ['-c', `/usr/bin/time -f '%M' node bin/berth.js validate '${dir}' >/dev/null 2>/tmp/berth-bench-time; s=$?; tail -1 /tmp/berth-bench-time; exit $s`], { encoding: 'utf8' });
    cliTimings.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (child.status !== 0) throw new Error(`berth validate failed: ${child.stderr}`);
    cliRssMiB = Math.max(cliRssMiB, Number(child.stdout.trim()) / 1024);
  }

  console.log(`berth validate: ${documents} Service manifests in ${Math.ceil(services / perFile)} files`);
  console.log(`  in process, cold (incl. schema compile): ${cold.toFixed(0)} ms`);
  console.log(`  in process, warm (median of ${timings.length - 1}):     ${warm.toFixed(0)} ms  (${(warm / documents * 1000).toFixed(0)} µs per manifest)`);
  console.log(`  in process, peak RSS:                    ${inProcessRssMiB.toFixed(0)} MiB`);
  console.log(`  CLI process end to end (median of ${cliTimings.length}):  ${median(cliTimings).toFixed(0)} ms, peak RSS ${cliRssMiB.toFixed(0)} MiB`);
  console.log(`  goal: < 1000 ms → ${median(cliTimings) < 1000 ? 'met' : 'NOT met'} (CLI end to end)`);
} finally {
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
