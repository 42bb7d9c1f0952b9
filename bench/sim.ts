/**
 * DescribeServices latency and memory of the simulator holding 2000 services and 10,000 tasks.
 *
 *   npm run bench:sim [-- --services 2000 --tasks-per-service 5 --calls 500]
 *
 * Everything goes through the real ECS SDK client over HTTP on loopback, as Berth's plan does:
 * services are created in one cluster (Fargate, 5 tasks each), the virtual clock is advanced until
 * the tasks run, then DescribeServices is called with 10 services per call (the API's maximum).
 * Prints p50/p99 latency per call, the simulator's heap and RSS, and the call rate.
 */
import { parseArgs } from 'node:util';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, ListTasksCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { startSimulator } from '../sim/simulator.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '2000' },
    'tasks-per-service': { type: 'string', default: '5' },
    calls: { type: 'string', default: '500' },
  },
});
const services = Number(values.services);
const tasksPerService = Number(values['tasks-per-service']);
const calls = Number(values.calls);

const { sim, endpoint, close } = await startSimulator({ seed: { accountId: '070017891928', autoScalingGroups: [] } });
const ecs = new ECSClient({ endpoint, region: 'ap-southeast-2', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' }, maxAttempts: 1 });
try {
  const heapBefore = process.memoryUsage().heapUsed;
  await ecs.send(new CreateClusterCommand({ clusterName: 'bench' }));
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'bench',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'app', image: 'example.com/app:1', portMappings: [{ containerPort: 8080 }] }],
    }),
  );
  const setupStart = performance.now();
  const names: string[] = [];
  // Create in small concurrent batches: fast, and like a controller's bounded workers.
  for (let i = 0; i < services; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, services - i) }, (_, j) => {
        const name = `svc-${String(i + j).padStart(5, '0')}`;
        names.push(name);
        return ecs.send(
          new CreateServiceCommand({
            cluster: 'bench',
            serviceName: name,
            taskDefinition: td.taskDefinition?.taskDefinitionArn,
            desiredCount: tasksPerService,
            launchType: 'FARGATE',
            networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } },
          }),
        );
      }),
    );
  }
  sim.advance(120);
  const setupSeconds = (performance.now() - setupStart) / 1000;
  const tasks = await ecs.send(new ListTasksCommand({ cluster: 'bench', maxResults: 100 }));

  const latencies: number[] = [];
  const benchStart = performance.now();
  for (let c = 0; c < calls; c++) {
    const offset = (c * 10) % names.length;
    const batch = names.slice(offset, offset + 10);
    const t = performance.now();
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'bench', services: batch }));
    latencies.push(performance.now() - t);
    if (out.services?.length !== batch.length) throw new Error(`DescribeServices returned ${out.services?.length} of ${batch.length}`);
  }
  const elapsed = (performance.now() - benchStart) / 1000;
  const memory = process.memoryUsage();
  const running = sim.ecs.dump() as { tasks?: unknown[] };
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;

  console.log(`simulator: ${services} services, ${services * tasksPerService} tasks wanted (${Array.isArray(running.tasks) ? running.tasks.length : '?'} tasks held; first ListTasks page ${tasks.taskArns?.length ?? 0})`);
  console.log(`  setup (CreateService × ${services} through the SDK, clock +120 s): ${setupSeconds.toFixed(1)} s`);
  console.log(`  DescribeServices (10 per call) × ${calls}: p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms, ${(calls / elapsed).toFixed(0)} calls/s`);
  console.log(`  memory: heap +${((memory.heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MiB (${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB used), RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB (client and simulator in one process)`);
} finally {
  ecs.destroy();
  await close();
}
