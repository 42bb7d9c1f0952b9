/** The Resource Groups Tagging API's GetResources over the tags ECS, CloudWatch and Auto Scaling hold. */
import { CreateOrUpdateTagsCommand, DeleteTagsCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, DeleteClusterCommand, DeleteServiceCommand, DeregisterTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UntagResourceCommand } from '@aws-sdk/client-ecs';
import type { Tag as EcsTag } from '@aws-sdk/client-ecs';
import {
  GetResourcesCommand,
  GetTagKeysCommand,
  InternalServiceException,
  InvalidParameterException,
  paginateGetResources,
  ResourceGroupsTaggingAPIClient,
  ResourceGroupsTaggingAPIServiceException,
  ThrottledException,
} from '@aws-sdk/client-resource-groups-tagging-api';
import type { GetResourcesCommandInput, ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simWithClients } from './helpers.ts';
import type { SimClients } from './helpers.ts';

const ACCOUNT = '070017891928';
const REGION = 'ap-southeast-2';
const MANAGED_BY = 'berth.dev/managed-by';
const PROD = { Key: MANAGED_BY, Values: ['prod'] };
const ecsArn = (resource: string, region = REGION): string => `arn:aws:ecs:${region}:${ACCOUNT}:${resource}`;
const alarmArn = (name: string, region = REGION): string => `arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${name}`;
const ecsTags = (tags: Readonly<Record<string, string>>): EcsTag[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

const ALARM: PutMetricAlarmCommandInput = {
  AlarmName: 'filot-ocr-gpu-queue-depth-high',
  Namespace: 'Filot/OCR',
  MetricName: 'QueueDepth',
  Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }],
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 3,
  Threshold: 20,
  ComparisonOperator: 'GreaterThanThreshold',
};

let c: SimClients;
let asgArn: string;
beforeEach(async () => {
  // The default seed: account 070017891928, the filot-ocr-gpu-asg group in ap-southeast-2.
  c = await simWithClients({ maxAttempts: 1 });
  const groups = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['filot-ocr-gpu-asg'] }));
  asgArn = groups.AutoScalingGroups?.[0]?.AutoScalingGroupARN ?? '';
});
afterEach(async () => c.close());

async function getAll(client: ResourceGroupsTaggingAPIClient, input: GetResourcesCommandInput): Promise<ResourceTagMapping[]> {
  const out: ResourceTagMapping[] = [];
  for await (const page of paginateGetResources({ client }, input)) out.push(...(page.ResourceTagMappingList ?? []));
  return out;
}

async function arns(input: GetResourcesCommandInput, client: ResourceGroupsTaggingAPIClient = c.tagging): Promise<string[]> {
  return (await getAll(client, input)).map((m) => m.ResourceARN ?? '');
}

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the call to fail'),
    (err: unknown) => err,
  );
}

/** Berth's resources tagged `prod`, one `staging`, and untagged ones of every kind. */
async function createResources(): Promise<void> {
  await c.ecs.send(new CreateClusterCommand({ clusterName: 'filot-ocr-gpu-cluster', tags: ecsTags({ [MANAGED_BY]: 'prod', team: 'ocr' }) }));
  await c.ecs.send(new CreateClusterCommand({ clusterName: 'staging', tags: ecsTags({ [MANAGED_BY]: 'staging' }) }));
  await c.ecs.send(new CreateClusterCommand({ clusterName: 'scratch' }));
  const td = {
    networkMode: 'awsvpc' as const,
    requiresCompatibilities: ['FARGATE' as const],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'app', image: 'nginx:1.27' }],
  };
  await c.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ocr', ...td, tags: ecsTags({ [MANAGED_BY]: 'prod', revision: '1' }) }));
  await c.ecs.send(new RegisterTaskDefinitionCommand({ family: 'ocr', ...td, tags: ecsTags({ [MANAGED_BY]: 'prod', revision: '2' }) }));
  await c.ecs.send(new RegisterTaskDefinitionCommand({ family: 'adhoc', ...td }));
  const service = { cluster: 'filot-ocr-gpu-cluster', desiredCount: 0, launchType: 'FARGATE' as const, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } } };
  await c.ecs.send(new CreateServiceCommand({ ...service, serviceName: 'ocr-worker', taskDefinition: 'ocr:2', tags: ecsTags({ [MANAGED_BY]: 'prod' }) }));
  await c.ecs.send(new CreateServiceCommand({ ...service, serviceName: 'adhoc', taskDefinition: 'adhoc' }));
  await c.cloudwatch.send(new PutMetricAlarmCommand({ ...ALARM, Tags: [{ Key: MANAGED_BY, Value: 'prod' }] }));
  await c.cloudwatch.send(new PutMetricAlarmCommand({ ...ALARM, AlarmName: 'hand-made' }));
  await c.autoscaling.send(
    new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: 'filot-ocr-gpu-asg', ResourceType: 'auto-scaling-group', Key: MANAGED_BY, Value: 'prod', PropagateAtLaunch: false }] }),
  );
}

const PROD_ARNS = (): string[] =>
  [
    ecsArn('cluster/filot-ocr-gpu-cluster'),
    ecsArn('service/filot-ocr-gpu-cluster/ocr-worker'),
    ecsArn('task-definition/ocr:1'),
    ecsArn('task-definition/ocr:2'),
    alarmArn('filot-ocr-gpu-queue-depth-high'),
    asgArn,
  ].sort();

describe('GetResources', () => {
  it('returns exactly the resources with the tag, with all their tags, in one call', async () => {
    await createResources();
    const out = await c.tagging.send(new GetResourcesCommand({ TagFilters: [PROD] }));
    expect(out.PaginationToken).toBe('');
    const list = out.ResourceTagMappingList ?? [];
    expect(list.map((m) => m.ResourceARN)).toEqual(PROD_ARNS());
    const tagsOf = (arn: string) => list.find((m) => m.ResourceARN === arn)?.Tags;
    expect(tagsOf(ecsArn('cluster/filot-ocr-gpu-cluster'))).toEqual([
      { Key: MANAGED_BY, Value: 'prod' },
      { Key: 'team', Value: 'ocr' },
    ]);
    // Each revision is its own resource with its own tags.
    expect(tagsOf(ecsArn('task-definition/ocr:1'))).toContainEqual({ Key: 'revision', Value: '1' });
    expect(tagsOf(ecsArn('task-definition/ocr:2'))).toContainEqual({ Key: 'revision', Value: '2' });
    expect(tagsOf(alarmArn('filot-ocr-gpu-queue-depth-high'))).toEqual([{ Key: MANAGED_BY, Value: 'prod' }]);
    expect(tagsOf(asgArn)).toEqual([{ Key: MANAGED_BY, Value: 'prod' }]);
    expect(asgArn).toMatch(/^arn:aws:autoscaling:ap-southeast-2:070017891928:autoScalingGroup:[0-9a-f-]+:autoScalingGroupName\/filot-ocr-gpu-asg$/);
  });

  it('filters on values (any of a key’s values), on the key alone, and ANDs filters', async () => {
    await createResources();
    const staging = ecsArn('cluster/staging');
    expect(await arns({ TagFilters: [{ Key: MANAGED_BY, Values: ['staging'] }] })).toEqual([staging]);
    expect(await arns({ TagFilters: [{ Key: MANAGED_BY, Values: ['prod', 'staging'] }] })).toEqual([...PROD_ARNS(), staging].sort());
    expect(await arns({ TagFilters: [{ Key: MANAGED_BY }] })).toEqual([...PROD_ARNS(), staging].sort());
    expect(await arns({ TagFilters: [{ Key: MANAGED_BY, Values: [] }] })).toEqual([...PROD_ARNS(), staging].sort());
    expect(await arns({ TagFilters: [PROD, { Key: 'team', Values: ['ocr'] }] })).toEqual([ecsArn('cluster/filot-ocr-gpu-cluster')]);
    expect(await arns({ TagFilters: [{ Key: MANAGED_BY, Values: ['dev'] }] })).toEqual([]);
    // No tag filter: every tagged resource, untagged ones never.
    const all = await arns({});
    expect(all).toEqual([...PROD_ARNS(), staging].sort());
    expect(all).not.toContain(ecsArn('cluster/scratch'));
  });

  it('filters on resource types, a service name alone matching all its types', async () => {
    await createResources();
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['ecs:cluster'] })).toEqual([ecsArn('cluster/filot-ocr-gpu-cluster')]);
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['ecs:service', 'ecs:task-definition'] })).toEqual([
      ecsArn('service/filot-ocr-gpu-cluster/ocr-worker'),
      ecsArn('task-definition/ocr:1'),
      ecsArn('task-definition/ocr:2'),
    ]);
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['ecs'] })).toEqual([
      ecsArn('cluster/filot-ocr-gpu-cluster'),
      ecsArn('service/filot-ocr-gpu-cluster/ocr-worker'),
      ecsArn('task-definition/ocr:1'),
      ecsArn('task-definition/ocr:2'),
    ]);
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['cloudwatch:alarm', 'autoscaling:autoScalingGroup'] })).toEqual([alarmArn('filot-ocr-gpu-queue-depth-high'), asgArn].sort());
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['autoscaling'] })).toEqual([asgArn]);
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['s3'] })).toEqual([]);
  });

  it('forgets deleted services, deregistered revisions, deleted clusters and alarms, and removed tags', async () => {
    await createResources();
    await c.ecs.send(new DeleteServiceCommand({ cluster: 'filot-ocr-gpu-cluster', service: 'ocr-worker', force: true }));
    await c.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'ocr:1' }));
    await c.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['filot-ocr-gpu-queue-depth-high'] }));
    await c.autoscaling.send(new DeleteTagsCommand({ Tags: [{ ResourceId: 'filot-ocr-gpu-asg', ResourceType: 'auto-scaling-group', Key: MANAGED_BY }] }));
    expect(await arns({ TagFilters: [PROD] })).toEqual([ecsArn('cluster/filot-ocr-gpu-cluster'), ecsArn('task-definition/ocr:2')]);
    // Still gone once the service has drained to INACTIVE.
    c.sim.advance(60);
    expect(await arns({ TagFilters: [PROD], ResourceTypeFilters: ['ecs:service'] })).toEqual([]);

    // A resource whose tag is removed no longer matches; a deleted (INACTIVE) cluster is gone.
    await c.ecs.send(new UntagResourceCommand({ resourceArn: ecsArn('cluster/filot-ocr-gpu-cluster'), tagKeys: [MANAGED_BY] }));
    await c.ecs.send(new DeleteClusterCommand({ cluster: 'staging' }));
    expect(await arns({ TagFilters: [{ Key: MANAGED_BY }] })).toEqual([ecsArn('task-definition/ocr:2')]);
    expect(await arns({ TagFilters: [{ Key: 'team' }] })).toEqual([ecsArn('cluster/filot-ocr-gpu-cluster')]);
  });

  it('pages through 120 alarms in ARN order, each exactly once, the last page with an empty token', async () => {
    const names = Array.from({ length: 120 }, (_, i) => `berth-alarm-${String(i).padStart(3, '0')}`);
    for (const name of names) await c.cloudwatch.send(new PutMetricAlarmCommand({ ...ALARM, AlarmName: name, Tags: [{ Key: MANAGED_BY, Value: 'prod' }] }));
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const out = await c.tagging.send(new GetResourcesCommand({ TagFilters: [PROD], ResourcesPerPage: 50, ...(token ? { PaginationToken: token } : {}) }));
      pages.push((out.ResourceTagMappingList ?? []).map((m) => m.ResourceARN ?? ''));
      token = out.PaginationToken;
      expect(token).toBeDefined();
    } while (token);
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(pages.flat()).toEqual(names.map((n) => alarmArn(n)));
    // The SDK's paginator stops on the empty token; the default page size is 50.
    expect(await arns({ TagFilters: [PROD] })).toEqual(names.map((n) => alarmArn(n)));
    const first = await c.tagging.send(new GetResourcesCommand({ TagFilters: [PROD] }));
    expect(first.ResourceTagMappingList).toHaveLength(50);
    expect(first.PaginationToken).not.toBe('');
    // An empty token asks for the first page.
    const again = await c.tagging.send(new GetResourcesCommand({ TagFilters: [PROD], PaginationToken: '' }));
    expect(again.ResourceTagMappingList?.[0]?.ResourceARN).toBe(alarmArn(names[0] ?? ''));
  });

  it('refuses a page size outside 1–100, a foreign token and ResourceARNList with filters, as typed errors', async () => {
    for (const ResourcesPerPage of [0, 101]) {
      const err = await failure(c.tagging.send(new GetResourcesCommand({ TagFilters: [PROD], ResourcesPerPage })));
      expect(err).toBeInstanceOf(InvalidParameterException);
      expect((err as InvalidParameterException).$metadata.httpStatusCode).toBe(400);
    }
    expect(await failure(c.tagging.send(new GetResourcesCommand({ PaginationToken: 'not-a-token' })))).toBeInstanceOf(InvalidParameterException);
    expect(await failure(c.tagging.send(new GetResourcesCommand({ TagFilters: [PROD], ResourceARNList: [alarmArn('x')] })))).toBeInstanceOf(InvalidParameterException);
    expect(await failure(c.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: '' }] })))).toBeInstanceOf(InvalidParameterException);
  });

  it('looks up a ResourceARNList of tagged resources', async () => {
    await createResources();
    const out = await c.tagging.send(new GetResourcesCommand({ ResourceARNList: [asgArn, ecsArn('cluster/scratch'), ecsArn('cluster/nope')] }));
    expect(out.ResourceTagMappingList?.map((m) => m.ResourceARN)).toEqual([asgArn]);
  });

  it('answers with the resources of the request’s region only', async () => {
    await createResources();
    const config = { endpoint: c.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' }, maxAttempts: 1 };
    const ecs = new ECSClient(config);
    const tagging = new ResourceGroupsTaggingAPIClient(config);
    try {
      await ecs.send(new CreateClusterCommand({ clusterName: 'filot-ocr-gpu-cluster', tags: ecsTags({ [MANAGED_BY]: 'prod' }) }));
      expect(await arns({ TagFilters: [PROD] }, tagging)).toEqual([ecsArn('cluster/filot-ocr-gpu-cluster', 'us-east-1')]);
      expect(await arns({ TagFilters: [PROD] })).toEqual(PROD_ARNS());
    } finally {
      ecs.destroy();
      tagging.destroy();
    }
  });

  it('is counted and takes injected faults as the service `tagging`', async () => {
    c.sim.injectFault({ service: 'tagging', throttleRate: 1, count: 1 });
    const throttled = await failure(c.tagging.send(new GetResourcesCommand({})));
    expect(throttled).toBeInstanceOf(ThrottledException);
    c.sim.injectFault({ service: 'tagging', operation: 'GetResources', errorRate: 1, count: 1 });
    const failed = await failure(c.tagging.send(new GetResourcesCommand({})));
    expect(failed).toBeInstanceOf(InternalServiceException);
    expect((failed as InternalServiceException).$metadata.httpStatusCode).toBe(500);
    expect((await c.tagging.send(new GetResourcesCommand({}))).ResourceTagMappingList).toEqual([]);
    expect(c.sim.callCounts().tagging).toEqual({ GetResources: 3 });
    expect(c.sim.throttleCounts().tagging).toEqual({ GetResources: 1 });
    // Operations the simulator does not model are refused, not ignored.
    const unknown = await failure(c.tagging.send(new GetTagKeysCommand({})));
    expect(unknown).toBeInstanceOf(ResourceGroupsTaggingAPIServiceException);
    expect((unknown as Error).name).toBe('UnknownOperationException');
  });
});
