/**
 * Simulated ECS services over simulated time, through the real @aws-sdk/client-ecs: rollouts,
 * updates, the deployment circuit breaker, scale-in and task protection, deletion, and the task
 * operations. Default behaviour: Fargate tasks run 20 s after launch, stop 2 s after being told,
 * a `:broken` image fails after 10 s, health checks pass 10 s after RUNNING, drain takes 10 s.
 */
import {
  ClientException,
  CreateServiceCommand,
  PlatformUnknownException,
  PutClusterCapacityProvidersCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  GetTaskProtectionCommand,
  InvalidParameterException,
  ListServicesCommand,
  ListTasksCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  StopTaskCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
  DeregisterTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { arn, createFargateService, describeService, ecsSim, registerFargate, rejection, serviceTasks, SUBNETS } from './ecs-helpers.ts';
import type { SimClients } from './helpers.ts';

let s: SimClients;
beforeEach(async () => {
  s = await ecsSim();
});
afterEach(async () => s.close());

function primary(service: Service): Deployment {
  const d = service.deployments?.find((x) => x.status === 'PRIMARY');
  expect(d).toBeDefined();
  return d as Deployment;
}

function messages(service: Service): string[] {
  return (service.events ?? []).map((e) => e.message ?? '');
}

describe('ECS service rollout', () => {
  it('rolls a new Fargate service out: IN_PROGRESS with tasks pending, then COMPLETED with them running', async () => {
    const tdArn = await registerFargate(s.ecs, 'api');
    const created = await createFargateService(s.ecs, 'api', 'api', 2, { tags: [{ key: 'app', value: 'api' }] });
    expect(created).toMatchObject({
      serviceArn: arn('service/web/api'),
      clusterArn: arn('cluster/web'),
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 0,
      launchType: 'FARGATE',
      taskDefinition: tdArn,
      schedulingStrategy: 'REPLICA',
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } },
    });
    const deployment = primary(created);
    expect(deployment.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(deployment).toMatchObject({ taskDefinition: tdArn, desiredCount: 2, rolloutState: 'IN_PROGRESS', launchType: 'FARGATE', failedTasks: 0 });

    s.sim.advance(5);
    const starting = await describeService(s.ecs, 'api');
    expect(starting).toMatchObject({ runningCount: 0, pendingCount: 2 });
    expect(primary(starting)).toMatchObject({ pendingCount: 2, runningCount: 0, rolloutState: 'IN_PROGRESS' });
    expect(messages(starting)[0]).toMatch(/^\(service api\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);
    const tasks = await serviceTasks(s.ecs, 'api');
    expect(tasks.map((t) => t.lastStatus)).toEqual(['PENDING', 'PENDING']);
    expect(tasks[0]).toMatchObject({ group: 'service:api', startedBy: deployment.id, desiredStatus: 'RUNNING', launchType: 'FARGATE', taskDefinitionArn: tdArn });
    expect(tasks[0]?.taskArn).toMatch(/^arn:aws:ecs:ap-southeast-2:111122223333:task\/web\/[0-9a-f]{32}$/);

    s.sim.advance(15);
    const done = await describeService(s.ecs, 'api');
    expect(done).toMatchObject({ runningCount: 2, pendingCount: 0, tags: [{ key: 'app', value: 'api' }] });
    expect(primary(done)).toMatchObject({ runningCount: 2, rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${deployment.id} completed.` });
    expect(messages(done).slice(0, 2)).toEqual(['(service api) has reached a steady state.', `(service api) (deployment ${deployment.id}) deployment completed.`]);
    expect(s.sim.history.filter((e) => e.type === 'task-started')).toHaveLength(2);
    expect(s.sim.history.find((e) => e.type === 'deployment-completed')?.detail).toMatchObject({ service: 'api', deploymentId: deployment.id });
    const [task] = await serviceTasks(s.ecs, 'api');
    expect(task).toMatchObject({ lastStatus: 'RUNNING', connectivity: 'CONNECTED', containers: [{ name: 'app', lastStatus: 'RUNNING' }] });
    expect(task?.startedAt).toBeInstanceOf(Date);
  });

  it('waits for container health checks before the rollout completes', async () => {
    await registerFargate(s.ecs, 'api', 'nginx:1', { containerDefinitions: [{ name: 'app', image: 'nginx:1', healthCheck: { command: ['CMD-SHELL', 'true'] } }] });
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(21);
    const running = await describeService(s.ecs, 'api');
    expect(running.runningCount).toBe(1);
    expect(primary(running).rolloutState).toBe('IN_PROGRESS');
    expect((await serviceTasks(s.ecs, 'api'))[0]).toMatchObject({ healthStatus: 'UNKNOWN', containers: [{ healthStatus: 'UNKNOWN' }] });
    s.sim.advance(10);
    expect(primary(await describeService(s.ecs, 'api')).rolloutState).toBe('COMPLETED');
    expect((await serviceTasks(s.ecs, 'api'))[0]).toMatchObject({ healthStatus: 'HEALTHY', containers: [{ healthStatus: 'HEALTHY' }] });
  });

  it('rolls a new task definition out: new tasks first, old ones drain once the new ones run', async () => {
    const v1 = await registerFargate(s.ecs, 'api', 'api:1');
    const v2 = await registerFargate(s.ecs, 'api', 'api:2');
    await createFargateService(s.ecs, 'api', v1, 2);
    s.sim.advance(30);
    const before = primary(await describeService(s.ecs, 'api'));

    const updated = await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', taskDefinition: 'api:2' }));
    expect(updated.service?.taskDefinition).toBe(v2);
    s.sim.advance(1);
    const rolling = await describeService(s.ecs, 'api');
    expect(rolling.deployments?.map((d) => [d.status, d.taskDefinition, d.runningCount, d.pendingCount])).toEqual([
      ['PRIMARY', v2, 0, 2],
      ['ACTIVE', v1, 2, 0],
    ]);
    expect(rolling).toMatchObject({ runningCount: 2, pendingCount: 2 });

    s.sim.advance(20);
    const draining = await describeService(s.ecs, 'api');
    expect(primary(draining).runningCount).toBe(2);
    expect(messages(draining)[0]).toMatch(/^\(service api\) has stopped 2 running tasks: /);
    const old = await serviceTasks(s.ecs, 'api', 'STOPPED');
    expect(old.map((t) => [t.taskDefinitionArn, t.stopCode, t.stoppedReason])).toEqual([
      [v1, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${before.id})`],
      [v1, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${before.id})`],
    ]);

    s.sim.advance(5);
    const done = await describeService(s.ecs, 'api');
    expect(done.deployments).toHaveLength(1);
    expect(primary(done)).toMatchObject({ taskDefinition: v2, runningCount: 2, rolloutState: 'COMPLETED' });
    expect(done).toMatchObject({ runningCount: 2, pendingCount: 0, taskDefinition: v2 });
  });

  it('stops old tasks first when maximumPercent leaves no room (100 % / 0 %)', async () => {
    await registerFargate(s.ecs, 'api', 'api:1');
    await registerFargate(s.ecs, 'api', 'api:2');
    await createFargateService(s.ecs, 'api', 'api:1', 1, { deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0 } });
    s.sim.advance(30);
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', taskDefinition: 'api:2' }));
    s.sim.advance(1);
    const stopping = await describeService(s.ecs, 'api');
    // The old task is stopping and no new task exists yet: never more than 1 task in flight.
    expect(stopping).toMatchObject({ runningCount: 0, pendingCount: 0 });
    s.sim.advance(2);
    expect((await describeService(s.ecs, 'api')).pendingCount).toBe(1);
    s.sim.advance(20);
    expect(primary(await describeService(s.ecs, 'api'))).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 1 });
  });

  it('changes the desired count without a new deployment', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(30);
    const first = primary(await describeService(s.ecs, 'api'));
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: 3 }));
    s.sim.advance(21);
    const scaled = await describeService(s.ecs, 'api');
    expect(scaled.deployments).toHaveLength(1);
    expect(primary(scaled)).toMatchObject({ id: first.id, desiredCount: 3, runningCount: 3, rolloutState: 'COMPLETED' });
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: 1 }));
    s.sim.advance(3);
    expect(await describeService(s.ecs, 'api')).toMatchObject({ desiredCount: 1, runningCount: 1 });
    expect(await serviceTasks(s.ecs, 'api', 'STOPPED')).toHaveLength(2);
  });

  it('starts a new deployment of the same task definition on forceNewDeployment', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(30);
    const [oldTask] = await serviceTasks(s.ecs, 'api');
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', forceNewDeployment: true }));
    s.sim.advance(30);
    const done = await describeService(s.ecs, 'api');
    expect(done.deployments).toHaveLength(1);
    expect(primary(done).rolloutState).toBe('COMPLETED');
    const [newTask] = await serviceTasks(s.ecs, 'api');
    expect(newTask?.taskArn).not.toBe(oldTask?.taskArn);
  });
});

describe('ECS deployment circuit breaker', () => {
  it('fails a deployment whose image never pulls and rolls back to the last completed one', async () => {
    const good = await registerFargate(s.ecs, 'api', 'nginx:1');
    const broken = await registerFargate(s.ecs, 'api', 'nginx:broken');
    await createFargateService(s.ecs, 'api', good, 2, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } });
    s.sim.advance(30);
    const completed = primary(await describeService(s.ecs, 'api'));

    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', taskDefinition: broken }));
    s.sim.advance(11);
    const failing = await describeService(s.ecs, 'api');
    const bad = primary(failing);
    expect(bad).toMatchObject({ taskDefinition: broken, failedTasks: 2, rolloutState: 'IN_PROGRESS' });
    expect(failing.runningCount).toBe(2);
    const [stopped] = await serviceTasks(s.ecs, 'api', 'STOPPED');
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', taskDefinitionArn: broken });
    expect(stopped?.stoppedReason).toMatch(/^CannotPullContainerError: .*nginx:broken/);
    expect(stopped?.containers?.[0]?.reason).toMatch(/^CannotPullContainerError/);

    // Threshold for 2 desired tasks: min(max(ceil(1), 3), 200) = 3 failed tasks, reached at 50 s.
    s.sim.advance(10);
    const rolledBack = await describeService(s.ecs, 'api');
    const rollback = primary(rolledBack);
    expect(rollback.id).not.toBe(completed.id);
    expect(rollback).toMatchObject({ taskDefinition: good, rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${completed.id}.` });
    expect(rolledBack.taskDefinition).toBe(good);
    const failed = rolledBack.deployments?.find((d) => d.id === bad.id);
    expect(failed).toMatchObject({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
    expect(failed?.failedTasks).toBeGreaterThanOrEqual(3);
    // The tasks of the completed deployment kept running throughout (minimumHealthyPercent 100).
    expect(rolledBack.deployments?.find((d) => d.id === completed.id)).toMatchObject({ status: 'ACTIVE', runningCount: 2 });
    expect(rolledBack.runningCount).toBe(2);
    expect(messages(rolledBack)).toEqual(
      expect.arrayContaining([`(service api) deployment ${bad.id} deployment failed: tasks failed to start.`, `(service api) rolling back to deployment ${completed.id}.`]),
    );
    expect(s.sim.history.find((e) => e.type === 'deployment-failed')?.detail).toMatchObject({ service: 'api', deploymentId: bad.id, rollbackTo: completed.id });

    s.sim.advance(25);
    const settled = await describeService(s.ecs, 'api');
    expect(settled.deployments).toHaveLength(1);
    expect(primary(settled)).toMatchObject({ id: rollback.id, rolloutState: 'COMPLETED', runningCount: 2 });
    expect(settled.runningCount).toBe(2);
    expect((await serviceTasks(s.ecs, 'api')).map((t) => [t.taskDefinitionArn, t.lastStatus])).toEqual([
      [good, 'RUNNING'],
      [good, 'RUNNING'],
    ]);
  });

  it('without rollback, marks the deployment FAILED and stops launching its tasks', async () => {
    await registerFargate(s.ecs, 'api', 'nginx:broken');
    await createFargateService(s.ecs, 'api', 'api', 1, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } });
    s.sim.advance(35);
    const failed = await describeService(s.ecs, 'api');
    expect(primary(failed)).toMatchObject({ rolloutState: 'FAILED', failedTasks: 3 });
    s.sim.advance(60);
    expect(primary(await describeService(s.ecs, 'api')).failedTasks).toBe(3);
    expect(await serviceTasks(s.ecs, 'api')).toEqual([]);
  });

  it('without the circuit breaker, keeps replacing the failing tasks; the event log keeps the newest 100', async () => {
    await registerFargate(s.ecs, 'api', 'nginx:broken');
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(65);
    const service = await describeService(s.ecs, 'api');
    expect(primary(service)).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 6 });
    expect(service.pendingCount).toBe(1);
    s.sim.advance(1200);
    const later = await describeService(s.ecs, 'api');
    expect(later.events).toHaveLength(100);
    const times = (later.events ?? []).map((e) => e.createdAt?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBe(s.sim.now() - 5_000);
  });
});

describe('ECS scale-in and task protection', () => {
  it('never stops a protected task for a scale-in, until its protection expires', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 3);
    s.sim.advance(30);
    const tasks = await serviceTasks(s.ecs, 'api');
    const protectedArns = tasks.slice(0, 2).map((t) => t.taskArn ?? '');
    const out = await s.ecs.send(new UpdateTaskProtectionCommand({ cluster: 'web', tasks: protectedArns, protectionEnabled: true, expiresInMinutes: 10 }));
    expect(out.failures).toEqual([]);
    expect(out.protectedTasks?.map((p) => [p.taskArn, p.protectionEnabled])).toEqual(protectedArns.map((a) => [a, true]));
    expect(out.protectedTasks?.[0]?.expirationDate?.getTime()).toBe(s.sim.now() + 10 * 60_000);

    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: 0 }));
    s.sim.advance(5);
    const blocked = await describeService(s.ecs, 'api');
    expect(blocked).toMatchObject({ desiredCount: 0, runningCount: 2 });
    expect((await serviceTasks(s.ecs, 'api')).map((t) => t.taskArn).sort()).toEqual([...protectedArns].sort());

    s.sim.advance(9 * 60);
    expect((await describeService(s.ecs, 'api')).runningCount).toBe(2);
    s.sim.advance(60);
    expect((await describeService(s.ecs, 'api')).runningCount).toBe(0);
    const lapsed = await s.ecs.send(new GetTaskProtectionCommand({ cluster: 'web', tasks: protectedArns }));
    // Stopped tasks no longer take protection.
    expect(lapsed.failures?.map((f) => f.reason)).toEqual(['TASK_NOT_VALID', 'TASK_NOT_VALID']);
  });

  it('keeps a protected task through a deployment until protection is turned off', async () => {
    await registerFargate(s.ecs, 'api', 'api:1');
    await registerFargate(s.ecs, 'api', 'api:2');
    await createFargateService(s.ecs, 'api', 'api:1', 1);
    s.sim.advance(30);
    const [task] = await serviceTasks(s.ecs, 'api');
    await s.ecs.send(new UpdateTaskProtectionCommand({ cluster: 'web', tasks: [task?.taskArn ?? ''], protectionEnabled: true }));
    const got = await s.ecs.send(new GetTaskProtectionCommand({ cluster: 'web', tasks: [task?.taskArn ?? ''] }));
    // Default expiry: 120 minutes.
    expect(got.protectedTasks?.[0]?.expirationDate?.getTime()).toBe(s.sim.now() + 120 * 60_000);
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', taskDefinition: 'api:2' }));
    s.sim.advance(60);
    const stuck = await describeService(s.ecs, 'api');
    expect(stuck.deployments).toHaveLength(2);
    expect(primary(stuck)).toMatchObject({ runningCount: 1, rolloutState: 'IN_PROGRESS' });
    await s.ecs.send(new UpdateTaskProtectionCommand({ cluster: 'web', tasks: [task?.taskArn ?? ''], protectionEnabled: false }));
    s.sim.advance(3);
    const done = await describeService(s.ecs, 'api');
    expect(done.deployments).toHaveLength(1);
    expect(primary(done).rolloutState).toBe('COMPLETED');
  });

  it('checks UpdateTaskProtection input and reports unknown tasks as failures', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(1);
    const [task] = await serviceTasks(s.ecs, 'api');
    await rejection(s.ecs.send(new UpdateTaskProtectionCommand({ cluster: 'web', tasks: [task?.taskArn ?? ''], protectionEnabled: true, expiresInMinutes: 2881 })), InvalidParameterException);
    await rejection(s.ecs.send(new UpdateTaskProtectionCommand({ cluster: 'web', tasks: Array.from({ length: 11 }, (_, i) => `t${i}`), protectionEnabled: true })), InvalidParameterException);
    const out = await s.ecs.send(new UpdateTaskProtectionCommand({ cluster: 'web', tasks: ['0123456789abcdef0123456789abcdef', task?.taskArn ?? ''], protectionEnabled: true, expiresInMinutes: 2880 }));
    expect(out.failures).toEqual([{ arn: arn('task/web/0123456789abcdef0123456789abcdef'), reason: 'MISSING' }]);
    expect(out.protectedTasks).toHaveLength(1);
  });
});

describe('ECS service deletion', () => {
  it('refuses to delete a scaled service without force; with force it drains, then is INACTIVE', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 2);
    s.sim.advance(30);
    const refused = await rejection(s.ecs.send(new DeleteServiceCommand({ cluster: 'web', service: 'api' })), InvalidParameterException);
    expect(refused.message).toBe('The service cannot be stopped while it is scaled above 0.');

    const deleted = await s.ecs.send(new DeleteServiceCommand({ cluster: 'web', service: 'api', force: true }));
    expect(deleted.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    await rejection(s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: 1 })), ServiceNotActiveException);
    await rejection(s.ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'api', taskDefinition: 'api', desiredCount: 1, launchType: 'FARGATE', networkConfiguration: SUBNETS })), InvalidParameterException);
    s.sim.advance(3);
    expect(await describeService(s.ecs, 'api')).toMatchObject({ status: 'DRAINING', runningCount: 0 });
    s.sim.advance(10);
    expect(await describeService(s.ecs, 'api')).toMatchObject({ status: 'INACTIVE' });
    const listed = await s.ecs.send(new ListServicesCommand({ cluster: 'web' }));
    expect(listed.serviceArns).toEqual([]);
    await rejection(s.ecs.send(new DeleteServiceCommand({ cluster: 'web', service: 'api' })), ServiceNotFoundException);

    // The name is free again.
    const again = await createFargateService(s.ecs, 'api', 'api', 1);
    expect(again.status).toBe('ACTIVE');
  });

  it('deletes a service scaled to zero without force', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 0);
    const out = await s.ecs.send(new DeleteServiceCommand({ cluster: 'web', service: arn('service/web/api') }));
    expect(out.service?.status).toBe('DRAINING');
    s.sim.advance(10);
    expect((await describeService(s.ecs, 'api')).status).toBe('INACTIVE');
  });
});

describe('ECS service API', () => {
  it('describes at most 10 services and reports missing ones as MISSING', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 0);
    const out = await s.ecs.send(new DescribeServicesCommand({ cluster: 'web', services: ['api', 'nope', arn('service/web/gone')] }));
    expect(out.services?.map((x) => x.serviceName)).toEqual(['api']);
    expect(out.services?.[0]?.tags).toBeUndefined();
    expect(out.failures).toEqual([
      { arn: arn('service/web/nope'), reason: 'MISSING' },
      { arn: arn('service/web/gone'), reason: 'MISSING' },
    ]);
    const tooMany = await rejection(s.ecs.send(new DescribeServicesCommand({ cluster: 'web', services: Array.from({ length: 11 }, (_, i) => `s${i}`) })), InvalidParameterException);
    expect(tooMany.message).toBe('service names can have at most 10 items.');
  });

  it('lists services with pagination (default page 10) and a launch type filter', async () => {
    await registerFargate(s.ecs, 'api');
    const names = Array.from({ length: 12 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    for (const name of names) await createFargateService(s.ecs, name, 'api', 0);
    const first = await s.ecs.send(new ListServicesCommand({ cluster: 'web' }));
    expect(first.serviceArns).toHaveLength(10);
    const rest = await s.ecs.send(new ListServicesCommand({ cluster: 'web', nextToken: first.nextToken }));
    expect(rest.serviceArns).toHaveLength(2);
    expect(rest.nextToken).toBeUndefined();
    const pages: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await s.ecs.send(new ListServicesCommand({ cluster: 'web', maxResults: 5, nextToken }));
      pages.push(...(page.serviceArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(pages).toEqual(names.map((n) => arn(`service/web/${n}`)));
    expect((await s.ecs.send(new ListServicesCommand({ cluster: 'web', launchType: 'EC2' }))).serviceArns).toEqual([]);
    await rejection(s.ecs.send(new ListServicesCommand({ cluster: 'web', nextToken: 'garbage' })), InvalidParameterException);
  });

  it('rejects invalid services as AWS does', async () => {
    const td = await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', td, 0);
    const dup = await rejection(createFargateService(s.ecs, 'api', td, 0), InvalidParameterException);
    expect(dup.message).toBe('Creation of service was not idempotent.');
    const missingTd = await rejection(createFargateService(s.ecs, 'x', 'nope:1', 0), ClientException);
    expect(missingTd.message).toBe('TaskDefinition not found.');
    const noNetwork = await rejection(s.ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'x', taskDefinition: td, desiredCount: 1, launchType: 'FARGATE' })), InvalidParameterException);
    expect(noNetwork.message).toBe("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    await s.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'api:1' }));
    const inactive = await rejection(createFargateService(s.ecs, 'y', 'api:1', 0), ClientException);
    expect(inactive.message).toBe('TaskDefinition is inactive');
    await rejection(s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', forceNewDeployment: true })), ClientException);
    // A desired count change alone is fine on an INACTIVE task definition.
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: 0 }));
    await rejection(s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'nope', desiredCount: 1 })), ServiceNotFoundException);
    await rejection(s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', desiredCount: -1 })), InvalidParameterException);
    const ec2Only = await s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ec2', containerDefinitions: [{ name: 'c', image: 'i', memory: 64 }] }));
    const wrongType = await rejection(createFargateService(s.ecs, 'z', ec2Only.taskDefinition?.taskDefinitionArn ?? '', 0, { networkConfiguration: undefined }), InvalidParameterException);
    expect(wrongType.message).toBe('Task definition does not support launch_type FARGATE.');
    // A rejected update changed nothing.
    expect((await describeService(s.ecs, 'api')).desiredCount).toBe(0);
  });
});

describe('ECS task operations', () => {
  it('lists tasks by service, status and family with pagination, and describes them', async () => {
    await registerFargate(s.ecs, 'api');
    await registerFargate(s.ecs, 'web');
    await createFargateService(s.ecs, 'api', 'api', 3);
    await createFargateService(s.ecs, 'web', 'web', 1);
    s.sim.advance(1);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await s.ecs.send(new ListTasksCommand({ cluster: 'web', maxResults: 1, nextToken }));
      seen.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toHaveLength(4);
    expect((await s.ecs.send(new ListTasksCommand({ cluster: 'web', serviceName: 'api' }))).taskArns).toHaveLength(3);
    expect((await s.ecs.send(new ListTasksCommand({ cluster: 'web', family: 'web' }))).taskArns).toHaveLength(1);
    expect((await s.ecs.send(new ListTasksCommand({ cluster: 'web', desiredStatus: 'STOPPED' }))).taskArns).toEqual([]);
    await rejection(s.ecs.send(new ListTasksCommand({ cluster: 'web', serviceName: 'nope' })), ServiceNotFoundException);

    const id = seen[0]?.split('/').pop() ?? '';
    const described = await s.ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: [id, 'ffffffffffffffffffffffffffffffff'] }));
    expect(described.tasks?.map((t) => t.taskArn)).toEqual([seen[0]]);
    expect(described.failures).toEqual([{ arn: arn('task/web/ffffffffffffffffffffffffffffffff'), reason: 'MISSING' }]);
    await rejection(s.ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: Array.from({ length: 101 }, () => id) })), InvalidParameterException);
  });

  it('stops a task on StopTask; the service replaces it', async () => {
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(30);
    const [task] = await serviceTasks(s.ecs, 'api');
    const out = await s.ecs.send(new StopTaskCommand({ cluster: 'web', task: task?.taskArn, reason: 'maintenance' }));
    expect(out.task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'RUNNING', stopCode: 'UserInitiated', stoppedReason: 'maintenance' });
    s.sim.advance(3);
    const [stopped] = await serviceTasks(s.ecs, 'api', 'STOPPED');
    expect(stopped).toMatchObject({ taskArn: task?.taskArn, lastStatus: 'STOPPED' });
    expect(stopped?.stoppedAt).toBeInstanceOf(Date);
    expect(s.sim.history.find((e) => e.type === 'task-stopped')?.detail).toMatchObject({ taskArn: task?.taskArn, reason: 'maintenance' });
    const replacement = await serviceTasks(s.ecs, 'api');
    expect(replacement).toHaveLength(1);
    expect(replacement[0]?.taskArn).not.toBe(task?.taskArn);
    await rejection(s.ecs.send(new StopTaskCommand({ cluster: 'web', task: 'ffffffffffffffffffffffffffffffff' })), InvalidParameterException);
  });
});

describe('ECS capacity provider strategies and platform versions', () => {
  const SPOT_HEAVY = [
    { capacityProvider: 'FARGATE_SPOT', weight: 3 },
    { capacityProvider: 'FARGATE', weight: 1, base: 1 },
  ];

  async function withFargateProviders(defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[] = []): Promise<void> {
    await s.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'web', capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy }));
  }

  it('keeps a service’s strategy: no launch type on the service or its deployment, tasks spread by base and weight', async () => {
    await withFargateProviders();
    await registerFargate(s.ecs, 'api');
    const created = await createFargateService(s.ecs, 'api', 'api', 5, { launchType: undefined, capacityProviderStrategy: SPOT_HEAVY });
    const filled = [
      { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ];
    expect(created.capacityProviderStrategy).toEqual(filled);
    expect(created).not.toHaveProperty('launchType');
    expect(created).toMatchObject({ platformVersion: 'LATEST', platformFamily: 'Linux' });
    const described = await describeService(s.ecs, 'api');
    expect(described.capacityProviderStrategy).toEqual(filled);
    expect(described).not.toHaveProperty('launchType');
    const deployment = primary(described);
    expect(deployment.capacityProviderStrategy).toEqual(filled);
    expect(deployment).not.toHaveProperty('launchType');
    // The deployment shows the version its tasks run on: LATEST is 1.4.0.
    expect(deployment).toMatchObject({ platformVersion: '1.4.0', platformFamily: 'Linux' });

    s.sim.advance(1);
    const tasks = await serviceTasks(s.ecs, 'api');
    expect(tasks.every((t) => t.launchType === 'FARGATE' && t.platformVersion === '1.4.0')).toBe(true);
    const byProvider = tasks.map((t) => t.capacityProviderName).sort();
    // One on FARGATE for its base, the other four 3:1.
    expect(byProvider).toEqual(['FARGATE', 'FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT']);
    // A launch type filter does not list a service on a strategy.
    expect((await s.ecs.send(new ListServicesCommand({ cluster: 'web', launchType: 'FARGATE' }))).serviceArns).toEqual([]);
  });

  it('uses the cluster’s default strategy when the service names neither a launch type nor a strategy', async () => {
    await withFargateProviders([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    await registerFargate(s.ecs, 'api');
    const created = await createFargateService(s.ecs, 'api', 'api', 0, { launchType: undefined });
    expect(created.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }]);
    expect(created).not.toHaveProperty('launchType');
    // An explicit launch type wins over the default strategy.
    const typed = await createFargateService(s.ecs, 'typed', 'api', 0);
    expect(typed).toMatchObject({ launchType: 'FARGATE' });
    expect(typed).not.toHaveProperty('capacityProviderStrategy');
  });

  it('rejects a strategy with a launch type, or with providers the cluster does not have', async () => {
    await registerFargate(s.ecs, 'api');
    const both = await rejection(createFargateService(s.ecs, 'api', 'api', 0, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }), InvalidParameterException);
    expect(both.message).toBe('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
    const notAssociated = await rejection(createFargateService(s.ecs, 'api', 'api', 0, { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }), InvalidParameterException);
    expect(notAssociated.message).toBe(
      'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
    );
    await withFargateProviders();
    const zeroWeights = [
      { capacityProvider: 'FARGATE', weight: 0 },
      { capacityProvider: 'FARGATE_SPOT', weight: 0 },
    ];
    await rejection(createFargateService(s.ecs, 'api', 'api', 0, { launchType: undefined, capacityProviderStrategy: zeroWeights }), InvalidParameterException);
    expect((await s.ecs.send(new ListServicesCommand({ cluster: 'web' }))).serviceArns).toEqual([]);
  });

  it('keeps the platform version as given, refuses one on EC2 and an unknown one', async () => {
    await registerFargate(s.ecs, 'api');
    const pinned = await createFargateService(s.ecs, 'api', 'api', 0, { platformVersion: '1.4.0' });
    expect(pinned).toMatchObject({ launchType: 'FARGATE', platformVersion: '1.4.0' });
    expect(primary(pinned).platformVersion).toBe('1.4.0');
    const unknown = await rejection(createFargateService(s.ecs, 'x', 'api', 0, { platformVersion: '9.9.9' }), PlatformUnknownException);
    expect(unknown.message).toBe('The specified platform version does not exist.');
    const ec2 = await s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ec2', containerDefinitions: [{ name: 'c', image: 'i', memory: 64 }] }));
    const onEc2 = await rejection(
      s.ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'y', taskDefinition: ec2.taskDefinition?.taskDefinitionArn, launchType: 'EC2', platformVersion: 'LATEST' })),
      InvalidParameterException,
    );
    expect(onEc2.message).toBe('The platform version must be null when specifying an EC2 launch type.');
    const plainEc2 = await s.ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'y', taskDefinition: ec2.taskDefinition?.taskDefinitionArn, launchType: 'EC2' }));
    expect(plainEc2.service).not.toHaveProperty('platformVersion');

    // A new platform version is a new deployment of it.
    const updated = await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', platformVersion: 'LATEST' }));
    expect(updated.service?.platformVersion).toBe('LATEST');
    expect(updated.service?.deployments?.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    await rejection(s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'y', platformVersion: '1.4.0' })), InvalidParameterException);
  });

  it('moves a service between a launch type and a strategy only with forceNewDeployment, as AWS demands', async () => {
    await withFargateProviders();
    await registerFargate(s.ecs, 'api');
    await createFargateService(s.ecs, 'api', 'api', 1);
    s.sim.advance(30);
    const spot = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    const update = (input: Partial<ConstructorParameters<typeof UpdateServiceCommand>[0]>) => s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'api', ...input }));
    const message =
      'When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.';

    const unforced = await rejection(update({ capacityProviderStrategy: spot, desiredCount: 3 }), InvalidParameterException);
    expect(unforced.message).toBe(message);
    const unchanged = await describeService(s.ecs, 'api');
    expect(unchanged).toMatchObject({ launchType: 'FARGATE', desiredCount: 1 });
    expect(unchanged.deployments).toHaveLength(1);

    const moved = (await update({ capacityProviderStrategy: spot, forceNewDeployment: true })).service ?? {};
    expect(moved.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }]);
    expect(moved).not.toHaveProperty('launchType');
    expect(moved.deployments?.map((d) => [d.status, d.launchType, d.capacityProviderStrategy?.[0]?.capacityProvider])).toEqual([
      ['PRIMARY', undefined, 'FARGATE_SPOT'],
      ['ACTIVE', 'FARGATE', undefined],
    ]);
    s.sim.advance(60);
    expect((await serviceTasks(s.ecs, 'api')).map((t) => t.capacityProviderName)).toEqual(['FARGATE_SPOT']);

    // The same strategy again is no change; another one needs a new deployment too.
    await update({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }] });
    expect((await rejection(update({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }), InvalidParameterException)).message).toBe(message);
    // An empty strategy goes back to the launch type: a change as well.
    expect((await rejection(update({ capacityProviderStrategy: [] }), InvalidParameterException)).message).toBe(message);
    const back = (await update({ capacityProviderStrategy: [], forceNewDeployment: true })).service ?? {};
    expect(back).toMatchObject({ launchType: 'FARGATE', platformVersion: 'LATEST' });
    expect(back).not.toHaveProperty('capacityProviderStrategy');
    expect(primary(back)).toMatchObject({ launchType: 'FARGATE', platformVersion: '1.4.0' });
    expect(primary(back)).not.toHaveProperty('capacityProviderStrategy');
    // A strategy the cluster cannot run is refused even when forced.
    await rejection(update({ capacityProviderStrategy: [{ capacityProvider: 'my-asg-provider', weight: 1 }], forceNewDeployment: true }), InvalidParameterException);
  });
});
