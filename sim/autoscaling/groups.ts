/** Groups: DescribeAutoScalingGroups, UpdateAutoScalingGroup, SetDesiredCapacity and the group shape. */
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import type { Fleet } from './fleet.ts';
import { optionalBool, optionalInt, paginate, requiredInt, requiredString, stringList } from './input.ts';
import type { AutoScalingStore, Group, Instance } from './model.ts';
import { groupsIn, requireGroup } from './model.ts';
import { groupFilter, sortedTags, tagOutput } from './tags.ts';

/** The LaunchTemplate of an instance: the version it launched from (groups here track `$Latest`, version 1). */
function instanceLaunchTemplate(group: Group): Record<string, unknown> {
  return { LaunchTemplateId: group.launchTemplate.id, LaunchTemplateName: group.launchTemplate.name, Version: '1' };
}

/** The Instance shape inside an AutoScalingGroup (HealthStatus `Healthy`, unlike DescribeAutoScalingInstances' `HEALTHY`). */
function groupInstanceOutput(instance: Instance): Record<string, unknown> {
  return {
    InstanceId: instance.id,
    InstanceType: instance.group.instanceType,
    AvailabilityZone: instance.availabilityZone,
    LifecycleState: instance.lifecycleState,
    HealthStatus: 'Healthy',
    LaunchTemplate: instanceLaunchTemplate(instance.group),
    ProtectedFromScaleIn: instance.protectedFromScaleIn,
  };
}

/** The AutoScalingDetails shape of DescribeAutoScalingInstances. */
export function autoScalingInstanceOutput(instance: Instance): Record<string, unknown> {
  return {
    InstanceId: instance.id,
    InstanceType: instance.group.instanceType,
    AutoScalingGroupName: instance.group.name,
    AvailabilityZone: instance.availabilityZone,
    LifecycleState: instance.lifecycleState,
    HealthStatus: 'HEALTHY',
    LaunchTemplate: instanceLaunchTemplate(instance.group),
    ProtectedFromScaleIn: instance.protectedFromScaleIn,
  };
}

/** The API's AutoScalingGroup shape, as a group created from a launch template in a VPC looks. */
export function groupOutput(store: AutoScalingStore, group: Group): Record<string, unknown> {
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    LaunchTemplate: { LaunchTemplateId: group.launchTemplate.id, LaunchTemplateName: group.launchTemplate.name, Version: '$Latest' },
    MinSize: group.minSize,
    MaxSize: group.maxSize,
    DesiredCapacity: group.desiredCapacity,
    DefaultCooldown: group.defaultCooldown,
    AvailabilityZones: [...group.availabilityZones],
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: group.healthCheckGracePeriod,
    Instances: [...group.instances.values()].map(groupInstanceOutput),
    CreatedTime: new Date(group.createdTime),
    SuspendedProcesses: [],
    VPCZoneIdentifier: group.availabilityZones.map((z) => group.subnets[z]).join(','),
    EnabledMetrics: [],
    Tags: sortedTags(group).map((t) => tagOutput(group, t)),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
    ServiceLinkedRoleARN: `arn:aws:iam::${store.world.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
    TrafficSources: [],
  };
}

export function groupOperations(store: AutoScalingStore, fleet: Fleet): Record<string, Operation> {
  return {
    // Groups that do not exist are left out, without an error (AWS's behaviour).
    DescribeAutoScalingGroups: (input, ctx) => {
      const names = stringList(input, 'AutoScalingGroupNames');
      const matches = groupFilter(input);
      const groups = groupsIn(store, ctx.region).filter((g) => (names === undefined || names.length === 0 || names.includes(g.name)) && matches(g));
      const { page, nextToken } = paginate(groups, input, 'DescribeAutoScalingGroups', { defaultMax: 50, max: 100 });
      return { AutoScalingGroups: page.map((g) => groupOutput(store, g)), NextToken: nextToken };
    },

    UpdateAutoScalingGroup: (input, ctx) => {
      const group = requireGroup(store, ctx.region, requiredString(input, 'AutoScalingGroupName'));
      const minSize = optionalInt(input, 'MinSize') ?? group.minSize;
      const maxSize = optionalInt(input, 'MaxSize') ?? group.maxSize;
      const desired = optionalInt(input, 'DesiredCapacity');
      if (minSize > maxSize) throw new AwsError('ValidationError', `Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`);
      if (desired !== undefined && (desired < minSize || desired > maxSize)) {
        throw new AwsError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`);
      }
      // Without DesiredCapacity, a new MinSize above it raises it and a new MaxSize below it lowers it (AWS's documented rule).
      const newDesired = desired ?? Math.min(Math.max(group.desiredCapacity, minSize), maxSize);
      const before = group.desiredCapacity;
      group.minSize = minSize;
      group.maxSize = maxSize;
      group.desiredCapacity = newDesired;
      group.newInstancesProtectedFromScaleIn = optionalBool(input, 'NewInstancesProtectedFromScaleIn') ?? group.newInstancesProtectedFromScaleIn;
      group.defaultCooldown = optionalInt(input, 'DefaultCooldown') ?? group.defaultCooldown;
      group.healthCheckGracePeriod = optionalInt(input, 'HealthCheckGracePeriod') ?? group.healthCheckGracePeriod;
      if (newDesired !== before) {
        fleet.desiredChanged(group, `a user request update of AutoScalingGroup constraints to min: ${minSize}, max: ${maxSize}, desired: ${newDesired} changing the desired capacity from ${before} to ${newDesired}`);
      } else fleet.scheduleReconcile(group);
      return undefined;
    },

    // HonorCooldown is accepted; the simulator has no scaling policies, so nothing is ever cooling down.
    SetDesiredCapacity: (input, ctx) => {
      const group = requireGroup(store, ctx.region, requiredString(input, 'AutoScalingGroupName'));
      const desired = requiredInt(input, 'DesiredCapacity');
      optionalBool(input, 'HonorCooldown');
      if (desired > group.maxSize) throw new AwsError('ValidationError', `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`);
      if (desired < group.minSize) throw new AwsError('ValidationError', `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`);
      const before = group.desiredCapacity;
      group.desiredCapacity = desired;
      if (desired !== before) fleet.desiredChanged(group, `a user request explicitly set group desired capacity changing the desired capacity from ${before} to ${desired}`);
      return undefined;
    },
  };
}
