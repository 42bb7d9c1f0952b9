import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import type { AutoScalingGroupManifest } from '../../manifests/types.ts';
import { desiredGroup, diffGroup } from './auto-scaling-group.ts';
import type { DesiredGroup } from './auto-scaling-group.ts';

const manifest: AutoScalingGroupManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'AutoScalingGroup',
  metadata: { name: 'gpu' },
  spec: { autoScalingGroupName: 'filot-ocr-gpu-asg', minSize: 0, maxSize: 4, desiredCapacity: 1 },
};

function observed(minSize: number, maxSize: number, desiredCapacity: number): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'filot-ocr-gpu-asg',
    MinSize: minSize,
    MaxSize: maxSize,
    DesiredCapacity: desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: ['ap-southeast-2a'],
    HealthCheckType: 'EC2',
    CreatedTime: new Date(0),
    Instances: [],
  };
}

describe('desiredGroup', () => {
  it('takes the sizes and the group name of the spec', () => {
    expect(desiredGroup(manifest, { desiredCapacityOwnedElsewhere: false })).toEqual({ name: 'filot-ocr-gpu-asg', minSize: 0, maxSize: 4, desiredCapacity: 1 });
  });

  it('names the group after metadata.name when the spec does not', () => {
    const m: AutoScalingGroupManifest = { ...manifest, spec: { minSize: 1, maxSize: 2 } };
    expect(desiredGroup(m, { desiredCapacityOwnedElsewhere: false })).toEqual({ name: 'gpu', minSize: 1, maxSize: 2 });
  });

  it('leaves desiredCapacity out when a QueueScaler owns it', () => {
    expect(desiredGroup(manifest, { desiredCapacityOwnedElsewhere: true })).toEqual({ name: 'filot-ocr-gpu-asg', minSize: 0, maxSize: 4 });
  });
});

describe('diffGroup', () => {
  const full: DesiredGroup = { name: 'filot-ocr-gpu-asg', minSize: 0, maxSize: 4, desiredCapacity: 1 };
  const noDesired: DesiredGroup = { name: 'filot-ocr-gpu-asg', minSize: 0, maxSize: 4 };

  it.each([
    ['the same sizes', full, observed(0, 4, 1), []],
    ['a desired capacity changed elsewhere', full, observed(0, 4, 3), [{ path: 'desiredCapacity', from: 3, to: 1 }]],
    ['a desired capacity not managed', noDesired, observed(0, 4, 3), []],
    [
      'every size',
      full,
      observed(1, 8, 2),
      [
        { path: 'minSize', from: 1, to: 0 },
        { path: 'maxSize', from: 8, to: 4 },
        { path: 'desiredCapacity', from: 2, to: 1 },
      ],
    ],
    ['a min size only', noDesired, observed(2, 4, 2), [{ path: 'minSize', from: 2, to: 0 }]],
    ['sizes AWS left out', full, { AutoScalingGroupName: 'filot-ocr-gpu-asg' } as AutoScalingGroup, [
      { path: 'minSize', from: undefined, to: 0 },
      { path: 'maxSize', from: undefined, to: 4 },
      { path: 'desiredCapacity', from: undefined, to: 1 },
    ]],
  ] as const)('%s', (_, desired, group, changes) => {
    expect(diffGroup(desired, group)).toEqual(changes);
  });
});
