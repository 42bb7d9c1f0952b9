/**
 * TaskProtection's timing and bookkeeping with fake timers and a scripted agent: when it renews,
 * how it backs off, races between a call in flight and a release, giving up on a lapsed term, close.
 * The real thing, against the simulator's agent endpoint, is test/scaler/task-protection.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskProtection } from './task-protection.ts';

const ARN = 'arn:aws:ecs:ap-southeast-2:111122223333:task/web/0123456789abcdef0123456789abcdef';
const URI = 'http://169.254.170.2/api/0123456789abcdef0123456789abcdef';

interface Put {
  readonly ProtectionEnabled: boolean;
  readonly ExpiresInMinutes?: number;
}

function protectionAnswer(put: Put): Response {
  return Response.json({ protection: { ExpirationDate: null, ProtectionEnabled: put.ProtectionEnabled, TaskArn: ARN } });
}

/** A scripted agent: `answer` decides each reply (by default, success). */
function scriptedAgent() {
  const puts: Put[] = [];
  const agent = {
    puts,
    answer: (put: Put): Promise<Response> => Promise.resolve(protectionAnswer(put)),
    fetch: ((url: string | URL | Request, init?: RequestInit) => {
      expect(url).toBe(`${URI}/task-protection/v1/state`);
      expect(init?.method).toBe('PUT');
      const put = JSON.parse(init?.body as string) as Put;
      puts.push(put);
      return agent.answer(put);
    }) as typeof fetch,
  };
  return agent;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TaskProtection', () => {
  it('renews renewBeforeMinutes before the term ends (a quarter of it by default), and stops renewing when released', async () => {
    const agent = scriptedAgent();
    const p = new TaskProtection({ agentUri: `${URI}/`, fetch: agent.fetch });
    const release = await p.acquire();
    expect(agent.puts).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 60 }]);
    await vi.advanceTimersByTimeAsync(45 * 60_000 - 1);
    expect(agent.puts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(agent.puts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(45 * 60_000);
    expect(agent.puts).toHaveLength(3);
    expect(p.state()).toEqual({ enabled: true, protected: true, holders: 1 });
    await release();
    expect(agent.puts.at(-1)).toEqual({ ProtectionEnabled: false });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(120 * 60_000);
    expect(agent.puts).toHaveLength(4);
  });

  it('retries a failed protect with backoff, without blocking more jobs, and recovers', async () => {
    const agent = scriptedAgent();
    let failuresLeft = 3;
    agent.answer = (put) =>
      failuresLeft-- > 0 ? Promise.resolve(Response.json({ error: { Code: 'ServerException', Message: 'boom' } }, { status: 500 })) : Promise.resolve(protectionAnswer(put));
    const p = new TaskProtection({ agentUri: URI, fetch: agent.fetch, expiresInMinutes: 10 });
    await p.acquire();
    expect(p.state()).toEqual({ enabled: true, protected: false, holders: 1, lastError: 'HTTP 500 ServerException: boom' });
    // Another job during the backoff starts at once and makes no call of its own.
    await p.acquire();
    expect(agent.puts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(agent.puts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(agent.puts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(agent.puts).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(5000);
    expect(agent.puts).toHaveLength(4);
    expect(p.state()).toEqual({ enabled: true, protected: true, holders: 2 });
    await p.close();
  });

  it('treats ECS failures and unexpected answers as failures whatever the status', async () => {
    const agent = scriptedAgent();
    const cases: [() => Response, string][] = [
      [() => Response.json({ failure: { Arn: ARN, Detail: null, Reason: 'TASK_NOT_VALID' } }), 'ECS failure TASK_NOT_VALID'],
      [() => Response.json({ protection: { ProtectionEnabled: false, TaskArn: ARN } }), 'the agent answered ProtectionEnabled false, asked for true'],
      [() => new Response('404 page not found\n', { status: 404 }), 'HTTP 404: 404 page not found\n'],
      [() => Response.json({ protection: { ProtectionEnabled: true, TaskArn: ARN } }, { status: 500 }), 'HTTP 500: unexpected answer {"protection":{"ProtectionEnabled":true,"TaskArn":"arn:aws:ecs:ap-southeast-2:111122223333:task/web/0123456789abcdef0123456789abcdef"}}'],
    ];
    const unreachable = (): Response => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:80'), { code: 'ECONNREFUSED' }) });
    };
    cases.push([unreachable, 'agent unreachable: fetch failed (ECONNREFUSED)']);
    for (const [reply, error] of cases) {
      agent.answer = () => Promise.resolve().then(reply);
      const p = new TaskProtection({ agentUri: URI, fetch: agent.fetch });
      await p.acquire();
      expect(p.state()).toEqual({ enabled: true, protected: false, holders: 1, lastError: error });
      await p.close();
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('lifts protection that a release asked for while the protect call was in flight', async () => {
    const agent = scriptedAgent();
    let land: () => void = () => undefined;
    agent.answer = (put) => new Promise((resolve) => (land = () => resolve(protectionAnswer(put))));
    const p = new TaskProtection({ agentUri: URI, fetch: agent.fetch });
    const acquiring = p.acquire();
    const second = p.acquire();
    await vi.advanceTimersByTimeAsync(0);
    expect(agent.puts).toHaveLength(1);
    land();
    const [releaseA, releaseB] = await Promise.all([acquiring, second]);
    agent.answer = (put) => new Promise((resolve) => (land = () => resolve(protectionAnswer(put))));
    const releasing = Promise.all([releaseA(), releaseB()]);
    await vi.advanceTimersByTimeAsync(0);
    expect(agent.puts).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 60 }, { ProtectionEnabled: false }]);
    // A new job arrives while the lift is in flight: the same loop protects again after it.
    const third = p.acquire();
    land();
    await vi.advanceTimersByTimeAsync(0);
    land();
    await releasing;
    const releaseC = await third;
    expect(agent.puts.map((x) => x.ProtectionEnabled)).toEqual([true, false, true]);
    expect(p.state()).toMatchObject({ protected: true, holders: 1 });
    agent.answer = (put) => Promise.resolve(protectionAnswer(put));
    await releaseC();
    expect(p.state()).toMatchObject({ protected: false, holders: 0 });
  });

  it('stops retrying a failed lift once the term has surely run out', async () => {
    const agent = scriptedAgent();
    const p = new TaskProtection({ agentUri: URI, fetch: agent.fetch, expiresInMinutes: 1, retryDelaysMs: [15_000] });
    const release = await p.acquire();
    agent.answer = () => Promise.reject(new Error('agent down'));
    await release();
    expect(p.state()).toMatchObject({ protected: true, lastError: 'agent unreachable: agent down' });
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    // Lift attempts at 0, 15, 30, 45 s; at 60 s the term is over and nothing more is sent.
    expect(agent.puts.map((x) => x.ProtectionEnabled)).toEqual([true, false, false, false, false]);
    expect(p.state().protected).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() waits for a call in flight, lifts protection once, and later acquires run unprotected', async () => {
    const agent = scriptedAgent();
    const warnings: string[] = [];
    const p = new TaskProtection({ agentUri: URI, fetch: agent.fetch, log: (level, msg) => level === 'warn' && warnings.push(msg) });
    await p.acquire();
    await Promise.all([p.close(), p.close()]);
    expect(agent.puts.map((x) => x.ProtectionEnabled)).toEqual([true, false]);
    const release = await p.acquire();
    await release();
    expect(agent.puts).toHaveLength(2);
    expect(warnings).toEqual(['task protection acquired after close: the job runs unprotected']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses settings ECS would refuse', () => {
    expect(() => new TaskProtection({ agentUri: URI, expiresInMinutes: 0 })).toThrow(RangeError);
    expect(() => new TaskProtection({ agentUri: URI, expiresInMinutes: 2881 })).toThrow(RangeError);
    expect(() => new TaskProtection({ agentUri: URI, expiresInMinutes: 1.5 })).toThrow(RangeError);
    expect(() => new TaskProtection({ agentUri: URI, expiresInMinutes: 10, renewBeforeMinutes: 10 })).toThrow(RangeError);
    expect(() => new TaskProtection({ agentUri: URI, renewBeforeMinutes: 0 })).toThrow(RangeError);
  });
});
