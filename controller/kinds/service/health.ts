/**
 * The health of an ECS service, a pure function of what DescribeServices returned. Ordered like
 * Argo CD's: Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { Health } from '../../engine/plan-types.ts';

const UNPLACEABLE = 'was unable to place a task';

export interface ServiceHealthInput {
  /** The service as DescribeServices returned it; undefined when it does not exist. */
  readonly service: Service | undefined;
  /** The manifest carries `berth.dev/suspend: "true"`. */
  readonly suspended: boolean;
  readonly now: Date;
  /** How long tasks may stay unplaceable before the service counts as Degraded. @defaultValue 300 */
  readonly unplaceableSeconds?: number;
}

function tasks(service: Service): string {
  return `${service.runningCount ?? 0} of ${service.desiredCount ?? 0} tasks running`;
}

export function serviceHealth(input: ServiceHealthInput): Health {
  const { service } = input;
  // Missing: never created, or deleted.
  if (!service || service.status === 'INACTIVE') {
    return { status: input.suspended ? 'Suspended' : 'Missing', message: 'the service does not exist' };
  }
  if (input.suspended) return { status: 'Suspended', message: `suspended by berth.dev/suspend; ${tasks(service)}` };
  if (service.status === 'DRAINING') return { status: 'Progressing', message: `the service is being deleted; ${tasks(service)}` };

  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  // Degraded: a deployment failed (the circuit breaker tripped; a rollback may be under way).
  const failed = deployments.find((d) => d.rolloutState === 'FAILED');
  if (failed) {
    const rollingBack = failed !== primary;
    return {
      status: 'Degraded',
      message: `${failed.rolloutStateReason ?? 'deployment failed'}${rollingBack ? ` Rolling back to ${primary?.taskDefinition ?? 'the previous deployment'}.` : ''} ${latestEvent(service)}`.trim(),
    };
  }
  // Degraded: tasks that cannot be placed for longer than the threshold, with ECS's own words.
  const running = service.runningCount ?? 0;
  const desired = service.desiredCount ?? 0;
  const unplaceable = unplaceableSince(service);
  if (running < desired && unplaceable && (input.now.getTime() - unplaceable.getTime()) / 1000 >= (input.unplaceableSeconds ?? 300)) {
    return { status: 'Degraded', message: `${tasks(service)}; ${latestEvent(service)}` };
  }
  // Progressing: a rollout under way, or tasks still starting.
  if (primary?.rolloutState === 'IN_PROGRESS' || deployments.length > 1) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${tasks(service)}` };
  }
  if (running !== desired || (service.pendingCount ?? 0) > 0) {
    return { status: 'Progressing', message: `Waiting for tasks: ${tasks(service)}` };
  }
  return { status: 'Healthy', message: tasks(service) };
}

/** When the service started reporting that it cannot place tasks (the oldest such event in the current streak). */
function unplaceableSince(service: Service): Date | undefined {
  let since: Date | undefined;
  // Events are newest first; walk back while they say the same thing.
  for (const event of service.events ?? []) {
    if (!event.message?.includes(UNPLACEABLE)) break;
    since = event.createdAt;
  }
  return since;
}

function latestEvent(service: Service): string {
  return service.events?.[0]?.message ?? '';
}
