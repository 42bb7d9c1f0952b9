/** Real-time mode (the demo's): simulated time follows the wall clock at a speed factor, with no advance calls. */
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

let s: SimClients;
beforeAll(async () => {
  s = await simWithClients({ clock: 'real', speed: 100, seed: { accountId: '070017891928', clusters: [{ name: 'web' }], autoScalingGroups: [] } });
});
afterAll(async () => s.close());

describe('real-time clock', () => {
  it('runs simulated time at the speed factor', async () => {
    const start = s.sim.now();
    await new Promise((r) => setTimeout(r, 200));
    const elapsed = (s.sim.now() - start) / 1000;
    // 0.2 s of wall time at 100× is about 20 simulated seconds (timers are not exact).
    expect(elapsed).toBeGreaterThanOrEqual(19);
    expect(elapsed).toBeLessThan(60);
  });

  it('starts a Fargate task (20 simulated seconds) in a fraction of a real second, with nobody advancing the clock', async () => {
    const td = await s.ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'api', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', containerDefinitions: [{ name: 'api', image: 'example.com/api:1' }] }),
    );
    await s.ecs.send(new CreateClusterCommand({ clusterName: 'web' }));
    await s.ecs.send(
      new CreateServiceCommand({ cluster: 'web', serviceName: 'api', taskDefinition: td.taskDefinition?.taskDefinitionArn, desiredCount: 1, launchType: 'FARGATE', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }),
    );
    const deadline = Date.now() + 5_000;
    let running = 0;
    while (Date.now() < deadline && running < 1) {
      await new Promise((r) => setTimeout(r, 50));
      running = (await s.ecs.send(new DescribeServicesCommand({ cluster: 'web', services: ['api'] }))).services?.[0]?.runningCount ?? 0;
    }
    expect(running).toBe(1);
  });
});
