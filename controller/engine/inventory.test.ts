import { describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../manifests/types.ts';
import { claimedCount, claimedIdentities, findOrphans, parseOwnedArn } from './inventory.ts';
import type { OwnedResource } from './inventory.ts';

describe('parseOwnedArn', () => {
  it.each([
    ['arn:aws:ecs:ap-southeast-2:070017891928:cluster/filot-ocr-gpu-cluster', { kind: 'Cluster', region: 'ap-southeast-2', id: 'filot-ocr-gpu-cluster' }],
    ['arn:aws:ecs:ap-southeast-2:070017891928:service/filot-backend-cluster/api', { kind: 'Service', region: 'ap-southeast-2', id: 'filot-backend-cluster/api' }],
    ['arn:aws:ecs:us-east-1:1:task-definition/api-task:12', { kind: 'TaskDefinition', region: 'us-east-1', id: 'api-task:12' }],
    ['arn:aws:cloudwatch:ap-southeast-2:1:alarm:api:5xx:high', { kind: 'Alarm', region: 'ap-southeast-2', id: 'api:5xx:high' }],
    [
      'arn:aws:autoscaling:ap-southeast-2:1:autoScalingGroup:8e1c2a9b-0000-4000-8000-000000000001:autoScalingGroupName/filot-ocr-gpu-asg',
      { kind: 'AutoScalingGroup', region: 'ap-southeast-2', id: 'filot-ocr-gpu-asg' },
    ],
  ])('%s', (arn, parsed) => {
    expect(parseOwnedArn(arn)).toEqual(parsed);
  });

  it.each([
    'arn:aws:ecs:ap-southeast-2:1:service/old-form-without-cluster',
    'arn:aws:ecs:ap-southeast-2:1:task/c/0123',
    'arn:aws:sns:ap-southeast-2:1:filot-alerts',
    'arn:aws:autoscaling:ap-southeast-2:1:launchConfiguration:x:launchConfigurationName/y',
    'not an arn',
  ])('%s is nothing Berth prunes', (arn) => {
    expect(parseOwnedArn(arn)).toBeUndefined();
  });
});

const owned = (arn: string, tags: Record<string, string> = {}): OwnedResource => {
  const parsed = parseOwnedArn(arn);
  if (!parsed) throw new Error(arn);
  return { ...parsed, arn, tags: new Map(Object.entries({ 'berth.dev/managed-by': 'berth', ...tags })) };
};

const manifest = (m: unknown): ManifestEntry => ({ manifest: m, source: undefined }) as unknown as ManifestEntry;

describe('findOrphans', () => {
  const manifests = [
    manifest({ kind: 'Cluster', metadata: { name: 'main' }, spec: {} }),
    manifest({ kind: 'Service', metadata: { name: 'api' }, spec: { cluster: 'arn:aws:ecs:r1:1:cluster/main', taskDefinition: { family: 'api-task' } } }),
    manifest({ kind: 'Alarm', metadata: { name: 'api-5xx' }, spec: { region: 'r2' } }),
    manifest({ kind: 'AutoScalingGroup', metadata: { name: 'gpu' }, spec: { autoScalingGroupName: 'gpu-asg' } }),
    manifest({ kind: 'QueueScaler', metadata: { name: 'q' }, spec: {} }),
  ];
  const claimed = claimedIdentities(manifests, (spec) => spec.region ?? 'r1');

  it('pairs owned resources with the manifests by AWS identity; old revisions of a declared family are history, not orphans', () => {
    const inventory = [
      owned('arn:aws:ecs:r1:1:cluster/main'),
      owned('arn:aws:ecs:r1:1:service/main/api'),
      owned('arn:aws:ecs:r1:1:task-definition/api-task:1'),
      owned('arn:aws:ecs:r1:1:task-definition/api-task:2'),
      owned('arn:aws:cloudwatch:r2:1:alarm:api-5xx'),
      owned('arn:aws:autoscaling:r1:1:autoScalingGroup:u:autoScalingGroupName/gpu-asg'),
    ];
    expect(findOrphans(inventory, claimed)).toEqual([]);
    expect(claimedCount(inventory, claimed)).toBe(6);
  });

  it('reports what git no longer declares, grouping task definition revisions by family, with the manifest it came from and its protection', () => {
    const inventory = [
      owned('arn:aws:ecs:r1:1:service/main/worker', { 'berth.dev/manifest': 'Service/worker' }),
      owned('arn:aws:ecs:r1:1:task-definition/worker-task:1', { 'berth.dev/manifest': 'Service/worker' }),
      owned('arn:aws:ecs:r1:1:task-definition/worker-task:2', { 'berth.dev/manifest': 'Service/worker', 'berth.dev/prune': 'false' }),
      // Same name, other region: the manifest's alarm is in r2.
      owned('arn:aws:cloudwatch:r1:1:alarm:api-5xx'),
      // Renamed in git (serviceName changed): the old service is an orphan under the same manifest key.
      owned('arn:aws:ecs:r1:1:service/main/api-old', { 'berth.dev/manifest': 'Service/api' }),
    ];
    expect(findOrphans(inventory, claimed)).toEqual([
      { kind: 'Service', region: 'r1', id: 'main/worker', arns: ['arn:aws:ecs:r1:1:service/main/worker'], manifest: 'Service/worker', protected: false },
      {
        kind: 'TaskDefinition',
        region: 'r1',
        id: 'worker-task',
        arns: ['arn:aws:ecs:r1:1:task-definition/worker-task:1', 'arn:aws:ecs:r1:1:task-definition/worker-task:2'],
        manifest: 'Service/worker',
        protected: true,
      },
      { kind: 'Alarm', region: 'r1', id: 'api-5xx', arns: ['arn:aws:cloudwatch:r1:1:alarm:api-5xx'], manifest: undefined, protected: false },
      { kind: 'Service', region: 'r1', id: 'main/api-old', arns: ['arn:aws:ecs:r1:1:service/main/api-old'], manifest: 'Service/api', protected: false },
    ]);
    expect(claimedCount(inventory, claimed)).toBe(0);
  });
});
