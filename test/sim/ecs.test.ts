/**
 * The simulated ECS through the real @aws-sdk/client-ecs: clusters, task definitions, tags, and the
 * SDK's retries against injected throttling. Services, tasks and placement have their own files.
 */
import {
  ClientException,
  ClusterContainsServicesException,
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  ResourceNotFoundException,
  AccessDeniedException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, arn, createFargateService, ecsSim, registerFargate, rejection, serviceTasks } from './ecs-helpers.ts';
import type { SimClients } from './helpers.ts';

let s: SimClients;
beforeEach(async () => {
  s = await ecsSim();
});
afterEach(async () => s.close());

describe('ECS clusters', () => {
  it('creates clusters idempotently, with settings and tags on request', async () => {
    const created = await s.ecs.send(new CreateClusterCommand({ clusterName: 'batch', tags: [{ key: 'team', value: 'ocr' }], settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    expect(created.cluster).toMatchObject({ clusterArn: arn('cluster/batch'), clusterName: 'batch', status: 'ACTIVE', activeServicesCount: 0, runningTasksCount: 0 });
    const again = await s.ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
    expect(again.cluster?.clusterArn).toBe(arn('cluster/batch'));

    const plain = await s.ecs.send(new DescribeClustersCommand({ clusters: ['batch'] }));
    expect(plain.clusters?.[0]?.settings).toBeUndefined();
    expect(plain.clusters?.[0]?.tags).toBeUndefined();
    const full = await s.ecs.send(new DescribeClustersCommand({ clusters: [arn('cluster/batch')], include: ['SETTINGS', 'TAGS'] }));
    expect(full.clusters?.[0]?.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    expect(full.clusters?.[0]?.tags).toEqual([{ key: 'team', value: 'ocr' }]);
  });

  it('reports missing clusters as MISSING failures, and ClusterNotFoundException where one is required', async () => {
    const out = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web', 'nope'] }));
    expect(out.clusters?.map((c) => c.clusterName)).toEqual(['web']);
    expect(out.failures).toEqual([{ arn: arn('cluster/nope'), reason: 'MISSING' }]);
    const err = await rejection(s.ecs.send(new ListServicesCommand({ cluster: 'nope' })), ClusterNotFoundException);
    expect(err.message).toBe('Cluster not found.');
    expect(err.$metadata.httpStatusCode).toBe(400);
    // No cluster named means `default`, which this account does not have.
    await rejection(s.ecs.send(new ListServicesCommand({})), ClusterNotFoundException);
  });

  it('lists clusters with pagination and deletes only empty ones', async () => {
    await s.ecs.send(new CreateClusterCommand({ clusterName: 'a' }));
    await s.ecs.send(new CreateClusterCommand({ clusterName: 'b' }));
    const first = await s.ecs.send(new ListClustersCommand({ maxResults: 2 }));
    expect(first.clusterArns).toEqual([arn('cluster/web'), arn('cluster/a')]);
    const second = await s.ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: first.nextToken }));
    expect(second).toMatchObject({ clusterArns: [arn('cluster/b')] });
    expect(second.nextToken).toBeUndefined();

    await createFargateService(s.ecs, 'api', await registerFargate(s.ecs, 'api'), 0);
    await rejection(s.ecs.send(new DeleteClusterCommand({ cluster: 'web' })), ClusterContainsServicesException);
    const deleted = await s.ecs.send(new DeleteClusterCommand({ cluster: 'a' }));
    expect(deleted.cluster?.status).toBe('INACTIVE');
    const listed = await s.ecs.send(new ListClustersCommand({}));
    expect(listed.clusterArns).not.toContain(arn('cluster/a'));
    const described = await s.ecs.send(new DescribeClustersCommand({ clusters: ['a'] }));
    expect(described.clusters?.[0]?.status).toBe('INACTIVE');
    await rejection(s.ecs.send(new ListServicesCommand({ cluster: 'a' })), ClusterNotFoundException);
  });

  it('counts services and tasks on the cluster', async () => {
    await createFargateService(s.ecs, 'api', await registerFargate(s.ecs, 'api'), 2);
    s.sim.advance(1);
    const pending = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] }));
    expect(pending.clusters?.[0]).toMatchObject({ activeServicesCount: 1, pendingTasksCount: 2, runningTasksCount: 0 });
    s.sim.advance(20);
    const running = await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] }));
    expect(running.clusters?.[0]).toMatchObject({ pendingTasksCount: 0, runningTasksCount: 2 });
  });
});

describe('ECS task definitions', () => {
  it('fills in the defaults AWS fills in on register', async () => {
    const out = await s.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '0.5 vCPU',
        memory: '2 GB',
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
        containerDefinitions: [
          {
            name: 'app',
            image: `${ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/api:1`,
            portMappings: [{ containerPort: 8080 }],
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } },
          },
          { name: 'sidecar', image: 'envoy:1', essential: false, environment: [{ name: 'A', value: '1' }] },
        ],
        tags: [{ key: 'app', value: 'api' }],
      }),
    );
    const td = out.taskDefinition;
    expect(td).toMatchObject({
      taskDefinitionArn: arn('task-definition/api:1'),
      family: 'api',
      revision: 1,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '2048',
      compatibilities: ['EC2', 'FARGATE'],
      requiresCompatibilities: ['FARGATE'],
      volumes: [],
      placementConstraints: [],
      registeredBy: `arn:aws:iam::${ACCOUNT}:root`,
    });
    expect(td?.registeredAt).toBeInstanceOf(Date);
    expect(td?.containerDefinitions?.[0]).toMatchObject({
      name: 'app',
      cpu: 0,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
    });
    expect(td?.containerDefinitions?.[1]).toMatchObject({ name: 'sidecar', essential: false, environment: [{ name: 'A', value: '1' }] });
    const attributes = td?.requiresAttributes?.map((a) => a.name);
    expect(attributes).toEqual(
      expect.arrayContaining([
        'com.amazonaws.ecs.capability.docker-remote-api.1.18',
        'ecs.capability.task-eni',
        'com.amazonaws.ecs.capability.logging-driver.awslogs',
        'ecs.capability.execution-role-awslogs',
        'com.amazonaws.ecs.capability.ecr-auth',
      ]),
    );
    expect(out.tags).toEqual([{ key: 'app', value: 'api' }]);
  });

  it('leaves networkMode out for the default bridge mode, with dynamic host ports', async () => {
    const out = await s.ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'worker', containerDefinitions: [{ name: 'w', image: 'busybox', memory: 128, portMappings: [{ containerPort: 80 }] }] }),
    );
    const td = out.taskDefinition;
    expect(td).not.toHaveProperty('networkMode');
    expect(td?.compatibilities).toEqual(['EC2']);
    expect(td).not.toHaveProperty('requiresCompatibilities');
    expect(td?.containerDefinitions?.[0]?.portMappings).toEqual([{ containerPort: 80, hostPort: 0, protocol: 'tcp' }]);
    expect(td?.requiresAttributes).toEqual([]);
    expect(td?.enableFaultInjection).toBe(false);
  });

  it('keeps every member of RegisterTaskDefinition, enableFaultInjection included, and DescribeTaskDefinition returns it', async () => {
    // Required<>: a member the SDK adds to RegisterTaskDefinition fails to compile here until the test covers it.
    const input: Required<RegisterTaskDefinitionCommandInput> = {
      family: 'everything',
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/task`,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
      networkMode: 'awsvpc',
      containerDefinitions: [
        { name: 'app', image: 'nginx:1.27', memory: 256, portMappings: [{ containerPort: 8080 }] },
        { name: 'envoy', image: 'envoy:1', memoryReservation: 64, essential: false },
      ],
      volumes: [{ name: 'scratch' }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g5.*' }],
      requiresCompatibilities: ['EC2'],
      cpu: '512',
      memory: '1024',
      tags: [{ key: 'app', value: 'everything' }],
      pidMode: 'task',
      ipcMode: 'task',
      proxyConfiguration: { type: 'APPMESH', containerName: 'envoy', properties: [{ name: 'IgnoredUID', value: '1337' }] },
      inferenceAccelerators: [{ deviceName: 'device1', deviceType: 'eia2.medium' }],
      ephemeralStorage: { sizeInGiB: 30 },
      runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
      enableFaultInjection: true,
    };
    const registered = await s.ecs.send(new RegisterTaskDefinitionCommand(input));
    const described = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'everything:1', include: ['TAGS'] }));
    for (const td of [registered.taskDefinition, described.taskDefinition]) {
      const { containerDefinitions: _containers, tags: _tags, ...rest } = input;
      // Every top-level member comes back as given (the defaults AWS fills in are on the containers).
      expect(td).toMatchObject(rest);
      expect(td?.containerDefinitions).toHaveLength(2);
      expect(td?.containerDefinitions?.[1]).toMatchObject({ name: 'envoy', memoryReservation: 64, essential: false });
    }
    expect(described.tags).toEqual([{ key: 'app', value: 'everything' }]);
    expect(described.taskDefinition?.enableFaultInjection).toBe(true);
  });

  it('rejects what AWS rejects, with ClientException and its messages', async () => {
    const register = (input: Record<string, unknown>) =>
      rejection(s.ecs.send(new RegisterTaskDefinitionCommand({ family: 'f', containerDefinitions: [{ name: 'c', image: 'i', memory: 128 }], ...input })), ClientException);
    expect((await register({ family: '' })).message).toBe('Family must be specified.');
    expect((await register({ containerDefinitions: [] })).message).toBe('Container list cannot be empty.');
    expect((await register({ containerDefinitions: [{ name: 'c' }] })).message).toBe('Container.image should not be null or empty.');
    expect((await register({ containerDefinitions: [{ name: 'c', image: 'i' }] })).message).toBe(
      "Invalid setting for container 'c'. At least one of 'memory' or 'memoryReservation' must be specified.",
    );
    expect((await register({ requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512' })).message).toBe('Fargate only supports network mode ‘awsvpc’.');
    expect((await register({ requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', memory: '512' })).message).toBe(
      "Fargate requires that 'cpu' be defined at the task level.",
    );
    expect((await register({ requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '1 vCPU', memory: '1 GB' })).message).toBe(
      'No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.',
    );
    expect((await register({ cpu: 'lots' })).message).toMatch(/^Invalid 'cpu' setting for task\./);
    expect((await register({ networkMode: 'awsvpc', containerDefinitions: [{ name: 'c', image: 'i', memory: 128, portMappings: [{ containerPort: 80, hostPort: 81 }] }] })).message).toBe(
      'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
    );
    // Nothing was registered by the failed calls.
    const listed = await s.ecs.send(new ListTaskDefinitionsCommand({}));
    expect(listed.taskDefinitionArns).toEqual([]);
  });

  it('numbers revisions per family and describes by family, family:revision or ARN', async () => {
    for (let i = 0; i < 3; i++) await registerFargate(s.ecs, 'api', `api:${i}`);
    await registerFargate(s.ecs, 'web');
    const latest = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
    expect(latest.taskDefinition?.revision).toBe(3);
    expect(latest.tags).toBeUndefined();
    const second = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api:2' }));
    expect(second.taskDefinition?.containerDefinitions?.[0]?.image).toBe('api:1');
    const byArn = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn('task-definition/web:1'), include: ['TAGS'] }));
    expect(byArn.taskDefinition?.family).toBe('web');
    expect(byArn.tags).toEqual([]);
    const missing = await rejection(s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api:9' })), ClientException);
    expect(missing.message).toBe('Unable to describe task definition.');
    await rejection(s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' })), ClientException);
  });

  it('deregisters revisions to INACTIVE: still describable, no longer the latest, listed by status', async () => {
    await registerFargate(s.ecs, 'api', 'api:1');
    await registerFargate(s.ecs, 'api', 'api:2');
    const out = await s.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'api:2' }));
    expect(out.taskDefinition).toMatchObject({ revision: 2, status: 'INACTIVE' });
    expect(out.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    const latest = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
    expect(latest.taskDefinition?.revision).toBe(1);
    const inactive = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api:2' }));
    expect(inactive.taskDefinition?.status).toBe('INACTIVE');
    const active = await s.ecs.send(new ListTaskDefinitionsCommand({}));
    expect(active.taskDefinitionArns).toEqual([arn('task-definition/api:1')]);
    const listedInactive = await s.ecs.send(new ListTaskDefinitionsCommand({ status: 'INACTIVE' }));
    expect(listedInactive.taskDefinitionArns).toEqual([arn('task-definition/api:2')]);
    // A new registration still takes the next revision number.
    expect(await registerFargate(s.ecs, 'api')).toBe(arn('task-definition/api:3'));
    await rejection(s.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'api' })), InvalidParameterException);
  });

  it('lists task definitions by family, sorted and paginated', async () => {
    for (const family of ['web', 'api', 'api', 'web', 'api']) await registerFargate(s.ecs, family);
    const all: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await s.ecs.send(new ListTaskDefinitionsCommand({ maxResults: 2, nextToken }));
      all.push(...(page.taskDefinitionArns ?? []));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(all).toEqual(['api:1', 'api:2', 'api:3', 'web:1', 'web:2'].map((r) => arn(`task-definition/${r}`)));
    const desc = await s.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'api', sort: 'DESC' }));
    expect(desc.taskDefinitionArns).toEqual(['api:3', 'api:2', 'api:1'].map((r) => arn(`task-definition/${r}`)));
    // familyPrefix of ListTaskDefinitions is the whole family name.
    const partial = await s.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'ap' }));
    expect(partial.taskDefinitionArns).toEqual([]);
    await rejection(s.ecs.send(new ListTaskDefinitionsCommand({ maxResults: 101 })), InvalidParameterException);
  });

  it('lists families by prefix and status, paginated', async () => {
    for (const family of ['api-a', 'api-b', 'web', 'api-c']) await registerFargate(s.ecs, family);
    await s.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'api-b:1' }));
    const active = await s.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'api' }));
    expect(active.families).toEqual(['api-a', 'api-c']);
    const inactive = await s.ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'INACTIVE' }));
    expect(inactive.families).toEqual(['api-b']);
    const first = await s.ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'ALL', maxResults: 3 }));
    expect(first.families).toEqual(['api-a', 'api-b', 'api-c']);
    const rest = await s.ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'ALL', maxResults: 3, nextToken: first.nextToken }));
    expect(rest.families).toEqual(['web']);
    expect(rest.nextToken).toBeUndefined();
  });
});

describe('ECS tags', () => {
  it('tags clusters, services, task definitions, tasks and container instances', async () => {
    const tdArn = await registerFargate(s.ecs, 'api');
    const service = await createFargateService(s.ecs, 'api', tdArn, 1, { tags: [{ key: 'app', value: 'api' }], propagateTags: 'SERVICE' });
    s.sim.advance(1);
    const [task] = await serviceTasks(s.ecs, 'api');
    expect(task?.tags).toBeUndefined();
    const ciArn = s.sim.ecs.registerContainerInstance({ region: 'ap-southeast-2', cluster: 'web', ec2InstanceId: 'i-0abc', instanceType: 't3.large', availabilityZone: 'ap-southeast-2a', cpu: 2048, memory: 7680, gpuIds: [] });
    const resources = [arn('cluster/web'), service.serviceArn ?? '', tdArn, task?.taskArn ?? '', ciArn ?? ''];
    for (const resourceArn of resources) {
      await s.ecs.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'owner', value: 'berth' }, { key: 'tier', value: '1' }] }));
      await s.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: ['tier'] }));
      const out = await s.ecs.send(new ListTagsForResourceCommand({ resourceArn }));
      expect(out.tags, resourceArn).toContainEqual({ key: 'owner', value: 'berth' });
      expect(out.tags, resourceArn).not.toContainEqual(expect.objectContaining({ key: 'tier' }));
    }
    // propagateTags SERVICE copied the service's tags to its task.
    const taskTags = await s.ecs.send(new ListTagsForResourceCommand({ resourceArn: task?.taskArn }));
    expect(taskTags.tags).toContainEqual({ key: 'app', value: 'api' });
    const tdTags = await s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: tdArn, include: ['TAGS'] }));
    expect(tdTags.tags).toEqual([{ key: 'owner', value: 'berth' }]);
  });

  it('rejects bad ARNs, missing resources, other accounts and reserved keys', async () => {
    await rejection(s.ecs.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' })), InvalidParameterException);
    await rejection(s.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn('service/web/nope') })), ResourceNotFoundException);
    await rejection(s.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn('task-definition/nope:1') })), ResourceNotFoundException);
    await rejection(s.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn('service/nocluster/x') })), ClusterNotFoundException);
    await rejection(s.ecs.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecs:ap-southeast-2:999999999999:cluster/web' })), AccessDeniedException);
    await rejection(s.ecs.send(new TagResourceCommand({ resourceArn: arn('cluster/web'), tags: [{ key: 'aws:owner', value: 'x' }] })), InvalidParameterException);
    const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await rejection(s.ecs.send(new TagResourceCommand({ resourceArn: arn('cluster/web'), tags: many })), InvalidParameterException);
  });
});

describe('ECS under injected throttling', () => {
  it('gets through with the SDK’s own retries', async () => {
    s.sim.injectFault({ service: 'ecs', throttleRate: 0.3 });
    const calls = 8;
    for (let i = 0; i < calls; i++) await s.ecs.send(new DescribeClustersCommand({ clusters: ['web'] }));
    const throttled = s.sim.throttleCounts().ecs?.DescribeClusters ?? 0;
    expect(throttled).toBeGreaterThan(0);
    // Every throttled call was retried: answered calls = the calls made + the throttled attempts.
    expect(s.sim.callCounts().ecs?.DescribeClusters).toBe(calls + throttled);
  });
});
