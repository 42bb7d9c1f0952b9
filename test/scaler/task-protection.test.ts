/**
 * Task scale-in protection end to end: the simulator's ECS agent endpoint (`$ECS_AGENT_URI/task-protection/v1/state`)
 * over real HTTP, the worker-side `TaskProtection` client against it, and the point of it all: a
 * scale-in stops the idle task and leaves the one running a job. Tasks are created through the real
 * ECS SDK client; default behaviour: Fargate tasks run 20 s after launch and stop 2 s after being told.
 *
 * Renewal runs on real timers here (a 1-minute term renewed after about a second) while the
 * simulated clock is moved by hand: the agent stamps each renewal with the simulated time, so the
 * test can show the term moving past where the first one would have lapsed. The timing logic itself
 * (when to renew, backoff) is checked with fake timers in controller/scaler/task-protection.test.ts.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetTaskProtectionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { ProtectedTask } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskProtection, withTaskProtection } from '../../controller/scaler/task-protection.ts';
import type { LogLevel } from '../../controller/log.ts';
import { createFargateService, describeService, ecsSim, registerFargate, serviceTasks } from '../sim/ecs-helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

let s: SimClients;
const opened: TaskProtection[] = [];
beforeEach(async () => {
  s = await ecsSim();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  await s.close();
});

/** A service of `count` Fargate tasks, all RUNNING; their ARNs. */
async function runningTasks(count: number, name = 'worker'): Promise<string[]> {
  await registerFargate(s.ecs, name);
  await createFargateService(s.ecs, name, name, count);
  s.sim.advance(30);
  const tasks = await serviceTasks(s.ecs, name);
  expect(tasks.map((t) => t.lastStatus)).toEqual(Array.from({ length: count }, () => 'RUNNING'));
  return tasks.map((t) => t.taskArn ?? '');
}

/** ECS_AGENT_URI as the simulator serves it for a task: `<endpoint>/api/<task ID>`. */
function agentUri(taskArn: string): string {
  return `${s.endpoint}/api/${taskArn.split('/').pop() ?? ''}`;
}

/** What the ECS API (GetTaskProtection, through the SDK) says of the task. */
async function ecsProtection(taskArn: string): Promise<ProtectedTask | undefined> {
  const out = await s.ecs.send(new GetTaskProtectionCommand({ cluster: 'web', tasks: [taskArn] }));
  expect(out.failures).toEqual([]);
  return out.protectedTasks?.[0];
}

async function agent(taskArn: string, method: string, body?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${agentUri(taskArn)}/task-protection/v1/state`, {
    method,
    ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A fetch that records the body of every PUT it passes on. */
function recordingFetch(): { fetch: typeof fetch; puts: unknown[] } {
  const puts: unknown[] = [];
  const recording: typeof fetch = (input, init) => {
    if (init?.method === 'PUT') puts.push(JSON.parse(init.body as string));
    return fetch(input, init);
  };
  return { fetch: recording, puts };
}

function protection(options: ConstructorParameters<typeof TaskProtection>[0]): TaskProtection {
  const p = new TaskProtection(options);
  opened.push(p);
  return p;
}

describe('the ECS agent task protection endpoint of the simulator', () => {
  it('sets protection with PUT, reads it with GET, agrees with GetTaskProtection, and lets it lapse on the simulated clock', async () => {
    const [arn = ''] = await runningTasks(1);
    const put = await agent(arn, 'PUT', JSON.stringify({ ProtectionEnabled: true, ExpiresInMinutes: 10 }));
    const expires = s.sim.now() + 10 * 60_000;
    expect(put).toEqual({ status: 200, body: { protection: { ExpirationDate: new Date(expires).toISOString().replace('.000Z', 'Z'), ProtectionEnabled: true, TaskArn: arn } } });
    expect(await agent(arn, 'GET')).toEqual(put);
    const viaApi = await ecsProtection(arn);
    expect(viaApi).toMatchObject({ taskArn: arn, protectionEnabled: true });
    expect(viaApi?.expirationDate?.getTime()).toBe(expires);

    s.sim.advance(9 * 60 + 59);
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(true);
    s.sim.advance(1);
    expect(await agent(arn, 'GET')).toEqual({ status: 200, body: { protection: { ExpirationDate: null, ProtectionEnabled: false, TaskArn: arn } } });
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(false);

    // Default term (120 minutes), then lifted again; field names match case-insensitively, as Go's decoder does.
    await agent(arn, 'PUT', '{"protectionEnabled": true}');
    expect((await ecsProtection(arn))?.expirationDate?.getTime()).toBe(s.sim.now() + 120 * 60_000);
    expect(await agent(arn, 'PUT', '{"ProtectionEnabled": false}')).toEqual({ status: 200, body: { protection: { ExpirationDate: null, ProtectionEnabled: false, TaskArn: arn } } });
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(false);
  });

  it('answers errors in the agent shapes and leaves the AWS and admin routes alone', async () => {
    const [arn = ''] = await runningTasks(1);
    const decodeError = { status: 400, body: { error: { Code: 'InvalidParameterException', Message: 'UpdateTaskProtection: failed to decode request' } } };
    expect(await agent(arn, 'PUT', '{"ProtectionEnabled": tru')).toEqual(decodeError);
    expect(await agent(arn, 'PUT', '')).toEqual(decodeError);
    expect(await agent(arn, 'PUT', '{"ProtectionEnabled": true, "Unknown": 1}')).toEqual(decodeError);
    expect(await agent(arn, 'PUT', '{"ProtectionEnabled": "yes"}')).toEqual(decodeError);
    expect(await agent(arn, 'PUT', '{"ProtectionEnabled": true, "ExpiresInMinutes": 1.5}')).toEqual(decodeError);
    expect(await agent(arn, 'PUT', '{"ExpiresInMinutes": 5}')).toEqual({
      status: 400,
      body: { error: { Arn: arn, Code: 'InvalidParameterException', Message: "Invalid request: does not contain 'ProtectionEnabled' field" } },
    });
    // The range is ECS's check: its error, with its status and the request ID of the ECS call.
    for (const minutes of [0, 2881]) {
      const out = await agent(arn, 'PUT', JSON.stringify({ ProtectionEnabled: true, ExpiresInMinutes: minutes }));
      expect(out).toEqual({
        status: 400,
        body: { requestID: expect.any(String) as unknown, error: { Arn: arn, Code: 'InvalidParameterException', Message: 'expiresInMinutes must be between 1 and 2880.' } },
      });
    }
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(false);

    const unknown = { status: 404, body: { error: { Code: 'ResourceNotFoundException', Message: 'Failed to find a task for the request' } } };
    const missingArn = arn.replace(/[^/]+$/, '0123456789abcdef0123456789abcdef');
    expect(await agent(missingArn, 'GET')).toEqual(unknown);
    expect(await agent(missingArn, 'PUT', '{"ProtectionEnabled": true}')).toEqual(unknown);
    expect((await agent(arn, 'POST', '{}')).status).toBe(405);
    expect((await fetch(`${agentUri(arn)}/task-protection/v2/state`)).status).toBe(404);

    // The other routes are untouched: the admin API and the AWS APIs (the SDK calls above) still answer.
    expect(await (await fetch(`${s.endpoint}/_sim/health`)).json()).toEqual({ status: 'ok' });
  });

  it('answers a stopped task with the ECS failure (HTTP 200, as the agent does)', async () => {
    const [arn = ''] = await runningTasks(1);
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'worker', desiredCount: 0 }));
    s.sim.advance(5);
    expect((await serviceTasks(s.ecs, 'worker', 'STOPPED'))[0]?.lastStatus).toBe('STOPPED');
    const failure = { status: 200, body: { failure: { Arn: arn, Detail: 'The task is stopping or stopped.', Reason: 'TASK_NOT_VALID' } } };
    expect(await agent(arn, 'PUT', '{"ProtectionEnabled": true}')).toEqual(failure);
    expect(await agent(arn, 'GET')).toEqual(failure);
  });
});

describe('TaskProtection against the simulated agent', () => {
  it('protects while at least one job holds it, with one PUT for concurrent acquires', async () => {
    const [arn = ''] = await runningTasks(1);
    const { fetch: recording, puts } = recordingFetch();
    const p = protection({ agentUri: agentUri(arn), fetch: recording, expiresInMinutes: 30 });
    expect(p.state()).toEqual({ enabled: true, protected: false, holders: 0 });

    const [releaseA, releaseB] = await Promise.all([p.acquire(), p.acquire()]);
    expect(puts).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 30 }]);
    expect(p.state()).toEqual({ enabled: true, protected: true, holders: 2 });
    const held = await ecsProtection(arn);
    expect(held).toMatchObject({ protectionEnabled: true });
    expect(held?.expirationDate?.getTime()).toBe(s.sim.now() + 30 * 60_000);

    await releaseA();
    await releaseA();
    expect(puts).toHaveLength(1);
    expect(p.state()).toMatchObject({ protected: true, holders: 1 });
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(true);

    await releaseB();
    expect(puts).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 30 }, { ProtectionEnabled: false }]);
    expect(p.state()).toEqual({ enabled: true, protected: false, holders: 0 });
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(false);
    await releaseB();
    expect(puts).toHaveLength(2);

    // close() lifts protection still held, once.
    await p.acquire();
    await Promise.all([p.close(), p.close()]);
    expect(puts.at(-1)).toEqual({ ProtectionEnabled: false });
    expect(puts).toHaveLength(4);
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(false);
  });

  it('renews before the term ends, so protection outlives its first term on the simulated clock', async () => {
    const [arn = ''] = await runningTasks(1);
    const { fetch: recording, puts } = recordingFetch();
    // A 1-minute term renewed 59 s before it ends: every second of real time.
    const p = protection({ agentUri: agentUri(arn), fetch: recording, expiresInMinutes: 1, renewBeforeMinutes: 59 / 60 });
    const release = await p.acquire();
    const firstTermEnds = s.sim.now() + 60_000;
    expect((await ecsProtection(arn))?.expirationDate?.getTime()).toBe(firstTermEnds);

    s.sim.advance(40);
    await vi.waitFor(() => expect(puts.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 50 });
    expect(puts[1]).toEqual({ ProtectionEnabled: true, ExpiresInMinutes: 1 });
    expect((await ecsProtection(arn))?.expirationDate?.getTime()).toBe(s.sim.now() + 60_000);

    s.sim.advance(30);
    expect(s.sim.now()).toBeGreaterThan(firstTermEnds);
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(true);

    await release();
    expect(puts.at(-1)).toEqual({ ProtectionEnabled: false });
    expect((await ecsProtection(arn))?.protectionEnabled).toBe(false);
  });

  it('is a no-op without ECS_AGENT_URI, and says so once', async () => {
    vi.stubEnv('ECS_AGENT_URI', undefined);
    try {
      const lines: [LogLevel, string, unknown][] = [];
      const spy = vi.fn<typeof fetch>();
      const p = protection({ fetch: spy, log: (level, msg, fields) => lines.push([level, msg, fields]) });
      expect(await withTaskProtection(p, () => 'done')).toBe('done');
      const release = await p.acquire();
      await release();
      await p.close();
      expect(spy).not.toHaveBeenCalled();
      expect(p.state()).toEqual({ enabled: false, protected: false, holders: 0 });
      expect(lines).toEqual([['info', expect.stringContaining('no ECS_AGENT_URI') as unknown, { enabled: false }]]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('never fails the job when the agent is unreachable: it records the error and retries', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const p = protection({ agentUri: `http://127.0.0.1:${port}/api/0123456789abcdef0123456789abcdef`, retryDelaysMs: [20], log: (_level, msg) => lines.push(msg) });
    const result = await withTaskProtection(p, () => {
      expect(p.state()).toMatchObject({ enabled: true, protected: false, holders: 1, lastError: expect.stringContaining('agent unreachable') as unknown });
      return 'job done';
    });
    expect(result).toBe('job done');
    const failed = vi.fn(() => Promise.reject(new Error('job failed by itself')));
    await expect(withTaskProtection(p, failed)).rejects.toThrow('job failed by itself');
    expect(p.state().holders).toBe(0);
    await vi.waitFor(() => expect(lines.filter((m) => m.includes('failed')).length).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 20 });
    expect(p.state().lastError).toMatch(/^agent unreachable: fetch failed/);
  });

  it('reports the ECS failure for a stopped task in state() without failing the job', async () => {
    const [arn = ''] = await runningTasks(1);
    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'worker', desiredCount: 0 }));
    s.sim.advance(5);
    const p = protection({ agentUri: agentUri(arn) });
    expect(await withTaskProtection(p, () => 42)).toBe(42);
    expect(p.state()).toMatchObject({ protected: false, lastError: 'ECS failure TASK_NOT_VALID: The task is stopping or stopped.' });
  });
});

describe('scale-in with a protected task', () => {
  it.each([0, 1])('stops the idle task and keeps the one running a job (task %i of 2 protected)', async (index) => {
    const arns = await runningTasks(2);
    const busy = arns[index] ?? '';
    const idle = arns[1 - index] ?? '';
    const p = protection({ agentUri: agentUri(busy) });

    let releaseJob: () => void = () => undefined;
    const jobDone = new Promise<void>((resolve) => (releaseJob = resolve));
    const job = withTaskProtection(p, () => jobDone);
    await vi.waitFor(() => expect(p.state().protected).toBe(true));

    await s.ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'worker', desiredCount: 1 }));
    s.sim.advance(10);
    expect((await serviceTasks(s.ecs, 'worker')).map((t) => t.taskArn)).toEqual([busy]);
    const stopped = await serviceTasks(s.ecs, 'worker', 'STOPPED');
    expect(stopped.map((t) => [t.taskArn, t.lastStatus, t.stopCode])).toEqual([[idle, 'STOPPED', 'ServiceSchedulerInitiated']]);
    expect(await describeService(s.ecs, 'worker')).toMatchObject({ desiredCount: 1, runningCount: 1 });

    // The job ends: protection is lifted, and the task that ran it simply carries on as the one desired.
    releaseJob();
    await job;
    expect((await ecsProtection(busy))?.protectionEnabled).toBe(false);
    s.sim.advance(60);
    expect((await serviceTasks(s.ecs, 'worker')).map((t) => t.taskArn)).toEqual([busy]);
  });
});

/** A loopback port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
