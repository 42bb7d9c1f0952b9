import type { Activity, AutoScalingGroup, Instance } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import type { Health } from '../../engine/plan-types.ts';
import { groupHealth } from './health.ts';

const NOW = new Date('2025-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

function instance(id: string, state: string): Instance {
  return { InstanceId: id, LifecycleState: state as Instance['LifecycleState'], AvailabilityZone: 'ap-southeast-2a', HealthStatus: 'Healthy', ProtectedFromScaleIn: false };
}

function group(desired: number, ...states: string[]): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'web-asg',
    MinSize: 0,
    MaxSize: 6,
    DesiredCapacity: desired,
    DefaultCooldown: 300,
    AvailabilityZones: ['ap-southeast-2a'],
    HealthCheckType: 'EC2',
    CreatedTime: ago(86_400),
    Instances: states.map((s, i) => instance(`i-${i}`, s)),
  };
}

function activity(status: string, startedSecondsAgo: number, extra: Partial<Activity> = {}): Activity {
  const finished = ['Successful', 'Failed', 'Cancelled'].includes(status);
  return {
    ActivityId: `a-${startedSecondsAgo}`,
    AutoScalingGroupName: 'web-asg',
    Cause: 'a user request update of AutoScalingGroup constraints',
    Description: 'Launching a new EC2 instance',
    StartTime: ago(startedSecondsAgo),
    ...(finished && { EndTime: ago(Math.max(0, startedSecondsAgo - 30)) }),
    StatusCode: status as Activity['StatusCode'],
    Progress: finished ? 100 : 30,
    ...extra,
  };
}

const FAILED_LAUNCH = activity('Failed', 120, {
  Description: 'Launching a new EC2 instance. Status Reason: We currently do not have sufficient g5.xlarge capacity',
  StatusMessage: 'We currently do not have sufficient g5.xlarge capacity in the Availability Zone you requested (ap-southeast-2a).',
});

describe('groupHealth', () => {
  it.each<[string, AutoScalingGroup | undefined, Activity[] | undefined, Health]>([
    ['no group', undefined, undefined, { status: 'Missing', message: 'the Auto Scaling group does not exist' }],
    ['every instance InService', group(2, 'InService', 'InService'), undefined, { status: 'Healthy', message: '2 of 2 instances InService' }],
    ['an empty group at zero', group(0), [], { status: 'Healthy', message: '0 of 0 instances InService' }],
    ['an instance launching', group(2, 'InService', 'Pending'), [activity('InProgress', 60)], { status: 'Progressing', message: '1 of 2 instances InService' }],
    ['an instance launching, no activities read', group(2, 'InService', 'Pending'), undefined, { status: 'Progressing', message: '1 of 2 instances InService' }],
    ['an instance terminating', group(1, 'InService', 'Terminating'), [activity('InProgress', 10)], { status: 'Progressing', message: '1 of 1 instances InService' }],
    ['a lifecycle hook holding a launch', group(1, 'Pending:Wait'), [activity('MidLifecycleAction', 100)], { status: 'Progressing', message: '0 of 1 instances InService' }],
    ['an old failure, then success', group(2, 'InService', 'Pending'), [activity('Failed', 3_000), activity('Successful', 200)], { status: 'Progressing', message: '1 of 2 instances InService' }],
    ['a recent failed launch', group(2, 'InService'), [activity('Successful', 500), FAILED_LAUNCH], { status: 'Degraded', message: `1 of 2 instances InService: ${FAILED_LAUNCH.StatusMessage}` }],
    [
      'a recent failed launch without a status message',
      group(1),
      [activity('Failed', 60, { Description: 'Launching a new EC2 instance. Status Reason: no capacity' })],
      { status: 'Degraded', message: '0 of 1 instances InService: Launching a new EC2 instance. Status Reason: no capacity' },
    ],
    ['a failure older than the threshold', group(2, 'InService', 'Pending'), [activity('Failed', 3_000), activity('InProgress', 30)], { status: 'Progressing', message: '1 of 2 instances InService' }],
    [
      'a launch in progress past the threshold',
      group(2, 'InService', 'Pending'),
      [activity('InProgress', 900)],
      { status: 'Degraded', message: '1 of 2 instances InService: Launching a new EC2 instance in progress for more than 600s' },
    ],
    ['short with nothing happening for long', group(2, 'InService'), [activity('Successful', 7_200)], { status: 'Degraded', message: '1 of 2 instances InService: short of the desired capacity for more than 600s' }],
    ['short, nothing happening yet, no activities read', group(2, 'InService'), undefined, { status: 'Progressing', message: '1 of 2 instances InService' }],
    ['short, the last activity recent', group(2, 'InService'), [activity('Successful', 100)], { status: 'Progressing', message: '1 of 2 instances InService' }],
  ])('%s', (_, observed, activities, health) => {
    expect(groupHealth(observed, activities, NOW)).toEqual(health);
  });

  it('takes the threshold it is given', () => {
    expect(groupHealth(group(2, 'InService', 'Pending'), [activity('InProgress', 120)], NOW, 60).status).toBe('Degraded');
    expect(groupHealth(group(2, 'InService', 'Pending'), [activity('InProgress', 120)], NOW, 300).status).toBe('Progressing');
  });
});
