/**
 * Service events as DescribeServices returns them: newest first, at most 100, worded as the ECS
 * service scheduler words them.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
 */
import type { ServiceRecord } from './model.ts';
import type { EcsContext } from './store.ts';
import { now } from './store.ts';

const MAX_EVENTS = 100;
/** AWS omits a repeated placement failure until its cause is resolved or six hours pass. */
const REPEAT_AFTER_MS = 6 * 3600_000;
const TROUBLESHOOTING = 'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

/** Adds an event to the service's log, dropping the oldest beyond 100. */
export function addServiceEvent(ctx: EcsContext, service: ServiceRecord, message: string): void {
  service.events.unshift({ id: ctx.ids.uuid(), createdAt: now(ctx), message });
  if (service.events.length > MAX_EVENTS) service.events.length = MAX_EVENTS;
}

/** Logs a placement failure unless the same one was logged in the last six hours. */
export function addPlacementFailure(ctx: EcsContext, service: ServiceRecord, message: string): void {
  const last = service.lastPlacementFailure;
  if (last && last.message === message && now(ctx) - last.at < REPEAT_AFTER_MS) return;
  service.lastPlacementFailure = { message, at: now(ctx) };
  addServiceEvent(ctx, service, message);
}

function taskList(taskIds: readonly string[]): string {
  return taskIds.map((id) => `(task ${id})`).join(' ');
}

export const serviceMessages = {
  started: (service: string, taskIds: readonly string[]) => `(service ${service}) has started ${taskIds.length} tasks: ${taskList(taskIds)}.`,
  stopped: (service: string, taskIds: readonly string[]) => `(service ${service}) has stopped ${taskIds.length} running tasks: ${taskList(taskIds)}.`,
  steadyState: (service: string) => `(service ${service}) has reached a steady state.`,
  deploymentCompleted: (service: string, deploymentId: string) => `(service ${service}) (deployment ${deploymentId}) deployment completed.`,
  deploymentFailed: (service: string, deploymentId: string) => `(service ${service}) deployment ${deploymentId} deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deploymentId: string) => `(service ${service}) rolling back to deployment ${deploymentId}.`,
  noContainerInstances: (service: string) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. ${TROUBLESHOOTING}`,
  /** `reason` completes "The closest matching (container-instance ID) …", e.g. `has insufficient memory available`. */
  closestMatch: (service: string, containerInstanceId: string, reason: string) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${containerInstanceId}) ${reason}. ${TROUBLESHOOTING}`,
};
