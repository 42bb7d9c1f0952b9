/** Scaling activities: the record of every launch and termination, and DescribeScalingActivities. */
import type { Operation } from '../world.ts';
import { optionalString, paginate, stringList } from './input.ts';
import type { Activity, ActivityStatus, AutoScalingStore, Group } from './model.ts';
import { groupKey, groupsIn, randomUuid } from './model.ts';

/** Starts an activity on the group (InProgress unless said otherwise). */
export function startActivity(store: AutoScalingStore, group: Group, fields: { description: string; cause: string; availabilityZone: string; status?: ActivityStatus; statusMessage?: string }): Activity {
  const now = store.world.scheduler.now;
  const status = fields.status ?? 'InProgress';
  const activity: Activity = {
    id: randomUuid(store.world),
    description: fields.description,
    cause: fields.cause,
    startTime: now,
    endTime: status === 'InProgress' ? undefined : now,
    status,
    statusMessage: fields.statusMessage,
    progress: status === 'InProgress' ? 0 : 100,
    details: JSON.stringify({ 'Subnet ID': group.subnets[fields.availabilityZone], 'Availability Zone': fields.availabilityZone }),
  };
  group.activities.push(activity);
  return activity;
}

export function finishActivity(store: AutoScalingStore, activity: Activity, status: ActivityStatus = 'Successful'): void {
  activity.status = status;
  activity.progress = 100;
  activity.endTime = store.world.scheduler.now;
}

/** The API's Activity shape. */
export function activityOutput(group: Group, a: Activity): Record<string, unknown> {
  return {
    ActivityId: a.id,
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    Description: a.description,
    Cause: a.cause,
    StartTime: new Date(a.startTime),
    EndTime: a.endTime === undefined ? undefined : new Date(a.endTime),
    StatusCode: a.status,
    StatusMessage: a.statusMessage,
    Progress: a.progress,
    Details: a.details,
  };
}

export function activityOperations(store: AutoScalingStore): Record<string, Operation> {
  return {
    // Newest first, as AWS lists them; a group that does not exist has no activities.
    DescribeScalingActivities: (input, ctx) => {
      const name = optionalString(input, 'AutoScalingGroupName');
      const ids = stringList(input, 'ActivityIds');
      const groups = name === undefined ? groupsIn(store, ctx.region) : [store.groups.get(groupKey(ctx.region, name))].filter((g) => g !== undefined);
      const all = groups
        .flatMap((g) => g.activities.map((a, i) => ({ g, a, i })))
        .filter(({ a }) => ids === undefined || ids.length === 0 || ids.includes(a.id))
        .sort((x, y) => y.a.startTime - x.a.startTime || (x.g === y.g ? y.i - x.i : 0));
      const { page, nextToken } = paginate(all, input, 'DescribeScalingActivities', { defaultMax: 100, max: 100 });
      return { Activities: page.map(({ g, a }) => activityOutput(g, a)), NextToken: nextToken };
    },
  };
}
