/** Instances: DescribeAutoScalingInstances, SetInstanceProtection, TerminateInstanceInAutoScalingGroup. */
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { activityOutput } from './activities.ts';
import type { Fleet } from './fleet.ts';
import { autoScalingInstanceOutput } from './groups.ts';
import { paginate, requiredBool, requiredString, stringList } from './input.ts';
import type { AutoScalingStore, Instance } from './model.ts';
import { causeTime, groupsIn, requireGroup } from './model.ts';

/** Instances of a region's groups: groups by name, instances in launch order. */
function instancesIn(store: AutoScalingStore, region: string): Instance[] {
  return groupsIn(store, region).flatMap((g) => [...g.instances.values()]);
}

export function instanceOperations(store: AutoScalingStore, fleet: Fleet): Record<string, Operation> {
  return {
    // Unknown instance IDs are ignored without an error (AWS's behaviour).
    DescribeAutoScalingInstances: (input, ctx) => {
      const ids = stringList(input, 'InstanceIds');
      const all = instancesIn(store, ctx.region).filter((i) => ids === undefined || ids.length === 0 || ids.includes(i.id));
      const { page, nextToken } = paginate(all, input, 'DescribeAutoScalingInstances', { defaultMax: 50, max: 50 });
      return { AutoScalingInstances: page.map(autoScalingInstanceOutput), NextToken: nextToken };
    },

    SetInstanceProtection: (input, ctx) => {
      const group = requireGroup(store, ctx.region, requiredString(input, 'AutoScalingGroupName'));
      const ids = stringList(input, 'InstanceIds') ?? [];
      const protect = requiredBool(input, 'ProtectedFromScaleIn');
      // Check every instance first: the call protects all of them or none.
      const instances = ids.map((id) => {
        const instance = group.instances.get(id);
        if (!instance) throw new AwsError('ValidationError', `The instance ${id} is not part of Auto Scaling group ${group.name}.`);
        // AWS accepts only these states (this simulator has no standby): a Pending or Terminating instance is refused.
        if (instance.lifecycleState !== 'InService') throw new AwsError('ValidationError', `The instance ${id} is not in InService or EnteringStandby or Standby.`);
        return instance;
      });
      for (const instance of instances) instance.protectedFromScaleIn = protect;
      // Unprotected instances may be what a group above its desired capacity was waiting for.
      if (!protect) fleet.scheduleReconcile(group);
      return undefined;
    },

    // Scale-in protection does not stop this call (AWS: protection guards against scale-in only).
    TerminateInstanceInAutoScalingGroup: (input, ctx) => {
      const id = requiredString(input, 'InstanceId');
      const decrement = requiredBool(input, 'ShouldDecrementDesiredCapacity');
      const instance = instancesIn(store, ctx.region).find((i) => i.id === id);
      if (!instance) throw new AwsError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${id}`);
      const { group } = instance;
      if (instance.terminationActivity) return { Activity: activityOutput(group, instance.terminationActivity) };
      const now = causeTime(store.world.scheduler.now);
      let cause = `At ${now} instance ${id} was taken out of service in response to a user request.`;
      if (decrement) {
        if (group.desiredCapacity <= group.minSize) {
          throw new AwsError(
            'ValidationError',
            `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
          );
        }
        const before = group.desiredCapacity;
        group.desiredCapacity = before - 1;
        cause = `At ${now} instance ${id} was taken out of service in response to a user request, shrinking the capacity from ${before} to ${group.desiredCapacity}.`;
      }
      const activity = fleet.terminate(instance, cause, 'user-request');
      // Without the decrement the group is now below its desired capacity and launches a replacement.
      fleet.scheduleReconcile(group);
      return { Activity: activityOutput(group, activity) };
    },
  };
}
