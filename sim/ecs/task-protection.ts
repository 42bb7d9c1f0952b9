/**
 * Task scale-in protection: UpdateTaskProtection and GetTaskProtection. While protection holds,
 * the service scheduler stops the task neither for a scale-in nor for a deployment; it lapses after
 * expiresInMinutes (default 120, at most 2880).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateTaskProtection.html
 *
 * Also the ECS container agent's task scale-in protection endpoint, which a task calls from inside
 * (`$ECS_AGENT_URI/task-protection/v1/state`, PUT to set, GET to read): see {@link serveAgentEndpoint}.
 */
import { randomUUID } from 'node:crypto';
import type { Failure, GetTaskProtectionRequest, GetTaskProtectionResponse, ProtectedTask, UpdateTaskProtectionRequest, UpdateTaskProtectionResponse } from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { HttpResponse } from '../protocol.ts';
import type { Operation, OperationContext, World } from '../world.ts';
import { isArn, taskArn } from './arns.ts';
import type { ClusterRecord, TaskRecord } from './model.ts';
import { asRequest, checkMaxItems, invalidParameter, requireList } from './requests.ts';
import type { EcsContext } from './store.ts';
import { findTask, now, requireCluster, scopeOf } from './store.ts';
import type { Tasks } from './tasks.ts';

const DEFAULT_MINUTES = 120;
const MAX_MINUTES = 2880;

/** The two operations as the agent endpoint calls them, with their output types. */
interface ProtectionOperations {
  readonly UpdateTaskProtection: (input: Record<string, unknown>, context: OperationContext) => UpdateTaskProtectionResponse;
  readonly GetTaskProtection: (input: Record<string, unknown>, context: OperationContext) => GetTaskProtectionResponse;
}

/**
 * The ECS state and operations of each world, for its agent endpoint. `EcsSim` keeps its context to
 * itself; {@link taskProtectionOperations} registers it here as the world's ECS is built.
 */
const agentBindings = new WeakMap<World, { readonly ctx: EcsContext; readonly operations: ProtectionOperations }>();

function protectedTaskView(tasks: Tasks, task: TaskRecord): ProtectedTask {
  const enabled = tasks.isProtected(task);
  return { taskArn: task.arn, protectionEnabled: enabled, ...(enabled && task.protectedUntil !== undefined && { expirationDate: new Date(task.protectedUntil) }) };
}

/** Each task a request names, or a failure for it (MISSING; TASK_NOT_VALID for a task outside a service). */
function resolveTasks(ctx: EcsContext, cluster: ClusterRecord, refs: readonly string[]): { found: TaskRecord[]; failures: Failure[] } {
  const found: TaskRecord[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const arn = isArn(ref) ? ref : taskArn(scopeOf(ctx, cluster.region), cluster.name, ref);
    const task = findTask(cluster, ref);
    if (!task) failures.push({ arn, reason: 'MISSING' });
    else if (!task.service) failures.push({ arn, reason: 'TASK_NOT_VALID', detail: 'The task is not part of a service.' });
    else if (task.desiredStatus === 'STOPPED') failures.push({ arn, reason: 'TASK_NOT_VALID', detail: 'The task is stopping or stopped.' });
    else found.push(task);
  }
  return { found, failures };
}

/** `onChange` runs for each task whose protection changed (the scheduler takes another look at its service). */
export function taskProtectionOperations(ctx: EcsContext, tasks: Tasks, onChange: (task: TaskRecord) => void): Record<string, Operation> {
  const operations = {
    UpdateTaskProtection: (input, { region }): UpdateTaskProtectionResponse => {
      const req = asRequest<UpdateTaskProtectionRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const refs = requireList(req.tasks, 'Tasks cannot be empty.');
      checkMaxItems(refs, 10, 'tasks');
      if (req.protectionEnabled === undefined) throw invalidParameter('protectionEnabled must be specified.');
      const minutes = req.expiresInMinutes ?? DEFAULT_MINUTES;
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES) throw invalidParameter(`expiresInMinutes must be between 1 and ${MAX_MINUTES}.`);
      const { found, failures } = resolveTasks(ctx, cluster, refs);
      for (const task of found) {
        // Each call resets the expiry of a protected task (protection can be extended this way).
        task.protectedUntil = req.protectionEnabled ? now(ctx) + minutes * 60_000 : undefined;
        onChange(task);
      }
      return { protectedTasks: found.map((t) => protectedTaskView(tasks, t)), failures };
    },
    GetTaskProtection: (input, { region }): GetTaskProtectionResponse => {
      const req = asRequest<GetTaskProtectionRequest>(input);
      const cluster = requireCluster(ctx, region, req.cluster);
      const refs = requireList(req.tasks, 'Tasks cannot be empty.');
      checkMaxItems(refs, 100, 'tasks');
      const { found, failures } = resolveTasks(ctx, cluster, refs);
      return { protectedTasks: found.map((t) => protectedTaskView(tasks, t)), failures };
    },
  } satisfies ProtectionOperations;
  agentBindings.set(ctx.world, { ctx, operations });
  return operations;
}

// The ECS container agent's task scale-in protection endpoint.
//
// Confirmed, from the AWS docs ("Amazon ECS task scale-in protection endpoint",
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection-endpoint.html)
// and the agent's source (aws/amazon-ecs-agent, ecs-agent/tmds/handlers/taskprotection/v1/handlers/
// handlers.go and handlers_test.go, …/v1/types/types.go):
// - the path is `/api/<endpoint ID>/task-protection/v1/state` (ECS_AGENT_URI is `…/api/<endpoint ID>`);
//   PUT sets protection, GET reads it;
// - the PUT body is `{"ProtectionEnabled": true|false, "ExpiresInMinutes": 1–2880}`, ExpiresInMinutes
//   optional (ECS then protects for 120 minutes). Go's encoding/json decodes it with
//   DisallowUnknownFields: names match case-insensitively, an unknown field or a wrong type fails;
// - the agent calls ECS UpdateTaskProtection / GetTaskProtection for its task, and answers
//   200 `{"protection":{"ExpirationDate":…,"ProtectionEnabled":…,"TaskArn":…}}` (ExpirationDate null
//   when there is none); when ECS reports a failure for the task (TASK_NOT_VALID for a stopped task,
//   MISSING) 200 `{"failure":{"Arn":…,"Detail":…,"Reason":…}}`: a 200, not an error status; when
//   the ECS call fails, ECS's status and `{"requestID":…,"error":{"Arn":<task>,"Code":…,"Message":…}}`.
//   The agent does not check ExpiresInMinutes itself: ECS answers InvalidParameterException (400);
// - its own errors: 400 InvalidParameterException "UpdateTaskProtection: failed to decode request"
//   (no Arn; decoding comes before the task lookup), 404 ResourceNotFoundException "Failed to find a
//   task for the request" (no Arn) for an endpoint ID it does not know, 400 InvalidParameterException
//   "Invalid request: does not contain 'ProtectionEnabled' field" (with the task's Arn).
// Not confirmed: how ExpirationDate reads when set (the agent's tests only show null). It is a Go
// time.Time written by encoding/json, RFC 3339 with the fraction's trailing zeros dropped; written
// here in UTC. Differences: the real endpoint ID is the agent's, not the task ID; the agent needs
// task role credentials (403 AccessDeniedException without), the simulator does not.

/** Paths under this prefix are the agent's, not AWS APIs (those are `POST /`). */
export const AGENT_PATH_PREFIX = '/api/';

const AGENT_STATE_PATH = /^\/api\/([^/]+)\/task-protection\/v1\/state$/;

function agentJson(status: number, value: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** A time as Go's encoding/json writes a time.Time (RFC 3339, no trailing zeros in the fraction). */
function goTime(date: Date): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_match, fraction: string) => (fraction === '' ? 'Z' : `.${fraction}Z`));
}

interface AgentProtectionRequest {
  protectionEnabled?: boolean;
  expiresInMinutes?: number;
}

/** The PUT body as the agent's JSON decoder reads it; undefined when it would not decode. */
function decodeAgentRequest(body: string): AgentProtectionRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const request: AgentProtectionRequest = {};
  if (value === null) return request;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
    const field = name.toLowerCase();
    if (field === 'protectionenabled') {
      if (member === null) delete request.protectionEnabled;
      else if (typeof member === 'boolean') request.protectionEnabled = member;
      else return undefined;
    } else if (field === 'expiresinminutes') {
      if (member === null) delete request.expiresInMinutes;
      else if (typeof member === 'number' && Number.isSafeInteger(member)) request.expiresInMinutes = member;
      else return undefined;
    } else {
      return undefined;
    }
  }
  return request;
}

/** The task an endpoint ID names: the simulator's endpoint ID is the task ID (unique in every region). */
function agentTask(ctx: EcsContext, endpointId: string): TaskRecord | undefined {
  for (const cluster of ctx.store.clusters.values()) {
    const task = cluster.tasks.get(endpointId);
    if (task) return task;
  }
  return undefined;
}

/**
 * Serves one request to the agent endpoint, `/api/<task ID>/task-protection/v1/state`, for the tasks
 * of `world`: PUT runs UpdateTaskProtection for the task and GET GetTaskProtection, exactly as the ECS
 * API does (expiry on the simulated clock), answered in the agent's shapes. The caller syncs the clock.
 */
export function serveAgentEndpoint(world: World, method: string, pathname: string, body: string): HttpResponse {
  const match = AGENT_STATE_PATH.exec(pathname);
  const binding = agentBindings.get(world);
  if (!match || !binding) return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '404 page not found\n' };
  if (method !== 'GET' && method !== 'PUT') return { status: 405, headers: {}, body: '' };
  const request = method === 'PUT' ? decodeAgentRequest(body) : undefined;
  if (method === 'PUT' && !request) return agentJson(400, { error: { Code: 'InvalidParameterException', Message: 'UpdateTaskProtection: failed to decode request' } });
  const task = agentTask(binding.ctx, match[1] ?? '');
  if (!task) return agentJson(404, { error: { Code: 'ResourceNotFoundException', Message: 'Failed to find a task for the request' } });
  if (request && request.protectionEnabled === undefined) {
    return agentJson(400, { error: { Arn: task.arn, Code: 'InvalidParameterException', Message: "Invalid request: does not contain 'ProtectionEnabled' field" } });
  }
  const requestId = randomUUID();
  const context = { region: task.cluster.region, requestId };
  const target = { cluster: task.cluster.arn, tasks: [task.arn] };
  let output: UpdateTaskProtectionResponse | GetTaskProtectionResponse;
  try {
    output = request
      ? binding.operations.UpdateTaskProtection(
          { ...target, protectionEnabled: request.protectionEnabled, ...(request.expiresInMinutes !== undefined && { expiresInMinutes: request.expiresInMinutes }) },
          context,
        )
      : binding.operations.GetTaskProtection(target, context);
  } catch (err) {
    if (err instanceof AwsError) return agentJson(err.status, { requestID: requestId, error: { Arn: task.arn, Code: err.code, Message: err.message } });
    return agentJson(500, { error: { Arn: task.arn, Code: 'ServerException', Message: err instanceof Error ? err.message : String(err) } });
  }
  const failure = output.failures?.[0];
  if (failure) return agentJson(200, { failure: { Arn: failure.arn ?? task.arn, Detail: failure.detail ?? null, Reason: failure.reason ?? null } });
  const protection = output.protectedTasks?.[0];
  return agentJson(200, {
    protection: {
      ExpirationDate: protection?.expirationDate ? goTime(protection.expirationDate) : null,
      ProtectionEnabled: protection?.protectionEnabled ?? false,
      TaskArn: protection?.taskArn ?? task.arn,
    },
  });
}
