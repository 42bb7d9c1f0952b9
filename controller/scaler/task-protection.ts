/**
 * Task scale-in protection for workers: a task that runs jobs asks ECS not to stop it while at
 * least one job runs, so that a scale-in (or a deployment) takes an idle task instead. It goes
 * through the ECS container agent's endpoint inside the task, `PUT $ECS_AGENT_URI/task-protection/v1/state`
 * with `{"ProtectionEnabled": true, "ExpiresInMinutes": n}` (false to lift it); the agent calls ECS
 * UpdateTaskProtection for the task with the task role's credentials (the role needs
 * `ecs:UpdateTaskProtection`).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection-endpoint.html
 *
 * The agent answers 200 `{"protection": {"ProtectionEnabled", "ExpirationDate", "TaskArn"}}`; ECS's
 * failure for the task (TASK_NOT_VALID for a stopping task) comes as 200 `{"failure": {"Arn",
 * "Detail", "Reason"}}`, and errors as `{"error": {"Arn", "Code", "Message"}}` with an error status
 * (confirmed in the agent's source, aws/amazon-ecs-agent ecs-agent/tmds/handlers/taskprotection/v1).
 * So an answer is a success only with `protection`, whatever the status.
 *
 * Protection must never cost a job: `acquire()` and the release it returns never throw; a failed
 * call is logged, retried with backoff, and shows in `state()`.
 */
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';

export interface TaskProtectionOptions {
  /**
   * The agent endpoint, `http://169.254.170.2/api/<id>`. Without one (not on ECS: local runs, tests)
   * protection is a no-op. @defaultValue `process.env.ECS_AGENT_URI`
   */
  readonly agentUri?: string;
  /** How long each call protects the task, in whole minutes from 1 to 2880. @defaultValue 60 */
  readonly expiresInMinutes?: number;
  /**
   * While held, protection is renewed this long before it would lapse (more than 0, less than
   * expiresInMinutes; fractions allowed). @defaultValue a quarter of expiresInMinutes
   */
  readonly renewBeforeMinutes?: number;
  /** @defaultValue the global fetch */
  readonly fetch?: typeof fetch;
  /** @defaultValue silent */
  readonly log?: Logger;
  /** Waits between attempts after a failed call; the last one repeats. @defaultValue [1000, 2000, 5000, 10000, 30000] */
  readonly retryDelaysMs?: readonly number[];
  /** How long one call to the agent may take. @defaultValue 5000 */
  readonly requestTimeoutMs?: number;
}

/** For the worker's health endpoint and metrics. */
export interface TaskProtectionState {
  /** False when there is no agent endpoint (not on ECS): everything is a no-op. */
  readonly enabled: boolean;
  /** The agent confirmed protection and its term has not run out (by this process's clock). */
  readonly protected: boolean;
  /** Jobs holding protection now. */
  readonly holders: number;
  /** Why the last call failed; cleared by the next call that succeeds. */
  readonly lastError?: string;
}

const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 5000, 10_000, 30_000];
const MINUTE_MS = 60_000;

const noRelease = (): Promise<void> => Promise.resolve();

type AgentAnswer = { readonly ok: true; readonly taskArn: string | undefined } | { readonly ok: false; readonly error: string };

export class TaskProtection {
  private readonly url: string | undefined;
  private readonly expiresInMinutes: number;
  private readonly renewBeforeMs: number;
  private readonly fetch: typeof fetch;
  private readonly log: Logger;
  private readonly retryDelaysMs: readonly number[];
  private readonly requestTimeoutMs: number;

  private holders = 0;
  /** What the agent last confirmed; undefined after a failed call (it may or may not have applied it). */
  private actual: boolean | undefined = false;
  /** Protected at least until then (local clock): the send time of the last confirmed protect + the term; 0 once lifted. */
  private confirmedUntil = 0;
  /** Protection has surely lapsed by then (local clock): the end of the last protect call, even a failed one, + the term. */
  private lapsesBy = 0;
  private failures = 0;
  private lastError: string | undefined;
  /** The calls in progress, until the agent's state is what is wanted or a call failed. */
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A retry is scheduled: calls wait for it rather than hammering a failing agent. */
  private backingOff = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: TaskProtectionOptions = {}) {
    const agentUri = options.agentUri ?? process.env.ECS_AGENT_URI;
    this.expiresInMinutes = options.expiresInMinutes ?? 60;
    if (!Number.isInteger(this.expiresInMinutes) || this.expiresInMinutes < 1 || this.expiresInMinutes > 2880) {
      throw new RangeError(`expiresInMinutes must be a whole number from 1 to 2880, got ${this.expiresInMinutes}`);
    }
    const renewBefore = options.renewBeforeMinutes ?? this.expiresInMinutes / 4;
    if (!(renewBefore > 0 && renewBefore < this.expiresInMinutes)) {
      throw new RangeError(`renewBeforeMinutes must be above 0 and below expiresInMinutes (${this.expiresInMinutes}), got ${renewBefore}`);
    }
    this.renewBeforeMs = renewBefore * MINUTE_MS;
    this.retryDelaysMs = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.log = options.log ?? silentLogger;
    this.url = agentUri ? `${agentUri.replace(/\/+$/, '')}/task-protection/v1/state` : undefined;
    if (!this.url) this.log('info', 'task scale-in protection off: no ECS_AGENT_URI (not running on ECS)', { enabled: false });
  }

  /** Whether there is an agent to call. */
  get enabled(): boolean {
    return this.url !== undefined;
  }

  /**
   * Holds protection for one job: the first holder protects the task, and the task stays protected
   * (renewed before it lapses) until the last holder releases. Resolves once the agent answered the
   * first call (or it failed: the failure is retried in the background); never rejects. The release
   * function lifts protection when it is the last, and does nothing when called again.
   */
  async acquire(): Promise<() => Promise<void>> {
    if (!this.url) return noRelease;
    if (this.closed) {
      this.log('warn', 'task protection acquired after close: the job runs unprotected', {});
      return noRelease;
    }
    this.holders++;
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      if (this.closed) return;
      this.holders--;
      await this.kick();
    };
    await this.kick();
    return release;
  }

  state(): TaskProtectionState {
    return {
      enabled: this.enabled,
      protected: this.actual !== false && Date.now() < this.confirmedUntil,
      holders: this.holders,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  /** Lifts protection if held (one attempt) and stops the timers. Idempotent; never rejects. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.holders = 0;
    this.clearTimer();
    // A call in flight finishes first; with no holders left, the loop then lifts protection.
    if (this.loop) await this.loop;
    // If that failed (or nothing was running), one last attempt; no retries once closed.
    await this.kick();
  }

  /** Makes the calls needed now, unless some are running (joined) or a retry is pending (waited for). */
  private kick(): Promise<void> {
    if (this.loop) return this.loop;
    if (this.backingOff || !this.url) return Promise.resolve();
    if (!this.callNeeded()) {
      this.scheduleRenewal();
      return Promise.resolve();
    }
    const loop = this.run(this.url);
    this.loop = loop;
    return loop;
  }

  /**
   * Calls the agent until its state is the wanted one. The check that ends the loop and the reset
   * of `this.loop` happen together, with no await between, so no change of holders is missed.
   */
  private async run(url: string): Promise<void> {
    for (;;) {
      const ok = await this.call(url, this.holders > 0);
      if (!ok) {
        this.loop = undefined;
        this.scheduleRetry();
        return;
      }
      if (!this.callNeeded()) {
        this.loop = undefined;
        this.scheduleRenewal();
        return;
      }
    }
  }

  private callNeeded(now = Date.now()): boolean {
    if (this.holders > 0) return this.actual !== true || now >= this.confirmedUntil - this.renewBeforeMs;
    if (this.actual === false) return false;
    if (now >= this.lapsesBy) {
      // Whatever the agent did with the last call, the protection has run out by now.
      this.actual = false;
      this.confirmedUntil = 0;
      return false;
    }
    return true;
  }

  /** One PUT; true when the agent confirmed it. Never throws. */
  private async call(url: string, protect: boolean): Promise<boolean> {
    const sentAt = Date.now();
    const renewal = protect && this.actual === true;
    const body = protect ? { ProtectionEnabled: true, ExpiresInMinutes: this.expiresInMinutes } : { ProtectionEnabled: false };
    let answer: AgentAnswer;
    try {
      const response = await this.fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      answer = readAnswer(response.status, await response.text(), protect);
    } catch (err) {
      answer = { ok: false, error: `agent unreachable: ${describe(err)}` };
    }
    const termMs = this.expiresInMinutes * MINUTE_MS;
    if (protect) this.lapsesBy = Math.max(this.lapsesBy, Date.now() + termMs);
    if (!answer.ok) {
      this.actual = undefined;
      this.failures++;
      this.lastError = answer.error;
      this.log('warn', protect ? 'task protection: protect failed' : 'task protection: release failed', {
        error: answer.error,
        attempt: this.failures,
        retryInMs: this.closed ? undefined : this.retryDelay(),
      });
      return false;
    }
    if (this.failures > 0) this.log('info', 'task protection: agent answers again', { after: this.failures });
    this.failures = 0;
    this.lastError = undefined;
    this.actual = protect;
    this.confirmedUntil = protect ? sentAt + termMs : 0;
    const fields = { taskArn: answer.taskArn, ...(protect && { expiresInMinutes: this.expiresInMinutes }) };
    if (renewal) this.log('debug', 'task protection renewed', fields);
    else this.log('info', protect ? 'task protected from scale-in' : 'task protection lifted', fields);
    return true;
  }

  private retryDelay(): number {
    const index = Math.min(Math.max(this.failures - 1, 0), this.retryDelaysMs.length - 1);
    return this.retryDelaysMs[index] ?? 1000;
  }

  private scheduleRetry(): void {
    this.clearTimer();
    if (this.closed) return;
    this.backingOff = true;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.backingOff = false;
      void this.kick();
    }, this.retryDelay());
    this.timer.unref();
  }

  /** While held and confirmed: a timer for the renewal, `renewBeforeMinutes` before the term ends. */
  private scheduleRenewal(): void {
    this.clearTimer();
    if (this.closed || this.holders === 0 || this.actual !== true) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.kick();
      },
      Math.max(0, this.confirmedUntil - this.renewBeforeMs - Date.now()),
    );
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.backingOff = false;
  }
}

/** Runs `fn` holding task protection; protection problems never fail it (see {@link TaskProtection.acquire}). */
export async function withTaskProtection<T>(protection: Pick<TaskProtection, 'acquire'>, fn: () => Promise<T> | T): Promise<T> {
  const release = await protection.acquire();
  try {
    return await fn();
  } finally {
    await release();
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

/** What an agent answer means: only `protection`, with the state asked for, is a success. */
function readAnswer(status: number, body: string, protect: boolean): AgentAnswer {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, error: `HTTP ${status}: ${body.slice(0, 200) || 'empty answer'}` };
  }
  if (isRecord(value)) {
    if (isRecord(value.error)) return { ok: false, error: `HTTP ${status} ${text(value.error.Code)}: ${text(value.error.Message)}` };
    if (isRecord(value.failure)) {
      const detail = value.failure.Detail;
      return { ok: false, error: `ECS failure ${text(value.failure.Reason)}${typeof detail === 'string' && detail !== '' ? `: ${detail}` : ''}` };
    }
    if (isRecord(value.protection) && status >= 200 && status < 300) {
      const { ProtectionEnabled: enabled, TaskArn: taskArn } = value.protection;
      if (enabled !== protect) return { ok: false, error: `the agent answered ProtectionEnabled ${text(enabled)}, asked for ${String(protect)}` };
      return { ok: true, taskArn: typeof taskArn === 'string' ? taskArn : undefined };
    }
  }
  return { ok: false, error: `HTTP ${status}: unexpected answer ${body.slice(0, 200)}` };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  if (isRecord(cause) && typeof cause.code === 'string') return `${err.message} (${cause.code})`;
  if (cause instanceof Error) return `${err.message} (${cause.message})`;
  return err.message;
}
