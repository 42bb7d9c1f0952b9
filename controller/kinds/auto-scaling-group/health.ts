/**
 * The health of an Auto Scaling group, a pure function of DescribeAutoScalingGroups' answer and
 * (optionally) the group's recent DescribeScalingActivities.
 */
import type { Activity, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Health } from '../../engine/plan-types.ts';

/** How long a group may stay short of its desired capacity before it is Degraded. */
export const DEFAULT_SHORT_THRESHOLD_SECONDS = 600;

/** Activity status codes of a finished activity; every other code is still in progress. */
const FINISHED = new Set(['Successful', 'Failed', 'Cancelled']);

/** Lifecycle states on the way in or out of service. */
export function inTransition(state: string | undefined): boolean {
  return state !== undefined && /^(Pending|Terminating|Detaching|EnteringStandby|Warmed:Pending|Warmed:Terminating)/.test(state);
}

function startMs(a: Activity): number {
  return a.StartTime?.getTime() ?? Number.NEGATIVE_INFINITY;
}

/**
 * - Missing: no group.
 * - Healthy: as many instances InService as desired, and none launching or terminating.
 * - Degraded: the newest finished scaling activity of the last `shortThresholdSeconds` Failed (its
 *   StatusMessage, else its Description, is the reason); or the group is short and has been for
 *   longer than the threshold (an activity still in progress started before it, or nothing has
 *   happened since).
 * - Progressing: otherwise, while instances launch or terminate.
 */
export function groupHealth(observed: AutoScalingGroup | undefined, activities: readonly Activity[] | undefined, now: Date, shortThresholdSeconds = DEFAULT_SHORT_THRESHOLD_SECONDS): Health {
  if (!observed) return { status: 'Missing', message: 'the Auto Scaling group does not exist' };
  const desired = observed.DesiredCapacity ?? 0;
  const instances = observed.Instances ?? [];
  const inService = instances.filter((i) => i.LifecycleState === 'InService').length;
  const moving = instances.filter((i) => inTransition(i.LifecycleState)).length;
  const counts = `${inService} of ${desired} instances InService`;
  if (inService === desired && moving === 0) return { status: 'Healthy', message: counts };

  const since = now.getTime() - shortThresholdSeconds * 1000;
  const newestFirst = [...(activities ?? [])].sort((a, b) => startMs(b) - startMs(a));
  const lastFinished = newestFirst.find((a) => FINISHED.has(a.StatusCode ?? '') && (a.EndTime ?? a.StartTime ?? new Date(Number.NEGATIVE_INFINITY)).getTime() >= since);
  if (lastFinished?.StatusCode === 'Failed') {
    const why = lastFinished.StatusMessage ?? lastFinished.Description ?? 'a scaling activity failed';
    return { status: 'Degraded', message: `${counts}: ${why}` };
  }
  if (inService < desired && activities !== undefined) {
    const stuck = newestFirst.find((a) => !FINISHED.has(a.StatusCode ?? '') && startMs(a) < since);
    if (stuck) return { status: 'Degraded', message: `${counts}: ${stuck.Description ?? 'a scaling activity'} in progress for more than ${shortThresholdSeconds}s` };
    const newest = newestFirst[0];
    const quiet = newest === undefined || startMs(newest) < since;
    const inProgress = newestFirst.some((a) => !FINISHED.has(a.StatusCode ?? ''));
    if (quiet && !inProgress && moving === 0) return { status: 'Degraded', message: `${counts}: short of the desired capacity for more than ${shortThresholdSeconds}s` };
  }
  return { status: 'Progressing', message: counts };
}
