/**
 * Task scale-in protection: UpdateTaskProtection and GetTaskProtection. While protection holds,
 * the service scheduler stops the task neither for a scale-in nor for a deployment; it lapses after
 * expiresInMinutes (default 120, at most 2880).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateTaskProtection.html
 */
import type { Failure, GetTaskProtectionRequest, GetTaskProtectionResponse, ProtectedTask, UpdateTaskProtectionRequest, UpdateTaskProtectionResponse } from '@aws-sdk/client-ecs';
import type { Operation } from '../world.ts';
import { isArn, taskArn } from './arns.ts';
import type { ClusterRecord, TaskRecord } from './model.ts';
import { asRequest, checkMaxItems, invalidParameter, requireList } from './requests.ts';
import type { EcsContext } from './store.ts';
import { findTask, now, requireCluster, scopeOf } from './store.ts';
import type { Tasks } from './tasks.ts';

const DEFAULT_MINUTES = 120;
const MAX_MINUTES = 2880;

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
  return {
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
  };
}
