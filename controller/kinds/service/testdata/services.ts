/**
 * Service manifests and DescribeServices outputs in the shape real AWS returns them (defaults
 * filled in, ARNs for names, lists in AWS's order), one per observed state.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { ServiceManifest } from '../../../manifests/types.ts';

const ACCOUNT = '111122223333';
const TG = `arn:aws:elasticloadbalancing:ap-southeast-2:${ACCOUNT}:targetgroup/api-tg/0123456789abcdef`;

/** A Fargate service behind a load balancer, with deployment alarms. */
export const fargateManifest: ServiceManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'Service',
  metadata: { name: 'api' },
  spec: {
    cluster: 'web',
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    desiredCount: 2,
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a', 'subnet-0b'], securityGroups: ['sg-01'], assignPublicIp: 'DISABLED' } },
    loadBalancers: [{ targetGroupArn: TG, containerName: 'api', containerPort: 8080 }],
    healthCheckGracePeriodSeconds: 60,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      alarms: { alarmNames: ['api-5xx-high'], enable: true, rollback: true },
    },
    propagateTags: 'SERVICE',
    enableExecuteCommand: false,
    tags: [{ key: 'app', value: 'filot' }],
    taskDefinition: { family: 'api', containerDefinitions: [{ name: 'api', image: 'api:1' }] },
  },
};

/** {@link fargateManifest} created and steady, as DescribeServices returns it. */
export const fargateObserved: Service = {
  serviceArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:service/web/api`,
  serviceName: 'api',
  clusterArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:cluster/web`,
  loadBalancers: [{ targetGroupArn: TG, containerName: 'api', containerPort: 8080 }],
  serviceRegistries: [],
  status: 'ACTIVE',
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  platformFamily: 'Linux',
  taskDefinition: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:task-definition/api:3`,
  deploymentConfiguration: {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    alarms: { alarmNames: ['api-5xx-high'], rollback: true, enable: true },
    strategy: 'ROLLING',
  },
  deployments: [
    {
      id: 'ecs-svc/1234567890123456789',
      status: 'PRIMARY',
      taskDefinition: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:task-definition/api:3`,
      desiredCount: 2,
      pendingCount: 0,
      runningCount: 2,
      failedTasks: 0,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0b', 'subnet-0a'], securityGroups: ['sg-01'], assignPublicIp: 'DISABLED' } },
      rolloutState: 'COMPLETED',
      rolloutStateReason: 'ECS deployment ecs-svc/1234567890123456789 completed.',
    },
  ],
  roleArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
  events: [{ id: 'e1', createdAt: new Date('2026-01-01T00:10:00Z'), message: '(service api) has reached a steady state.' }],
  createdAt: new Date('2026-01-01T00:00:00Z'),
  placementConstraints: [],
  placementStrategy: [],
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0b', 'subnet-0a'], securityGroups: ['sg-01'], assignPublicIp: 'DISABLED' } },
  healthCheckGracePeriodSeconds: 60,
  schedulingStrategy: 'REPLICA',
  deploymentController: { type: 'ECS' },
  createdBy: `arn:aws:iam::${ACCOUNT}:role/berth-controller-task-role`,
  enableECSManagedTags: false,
  propagateTags: 'SERVICE',
  enableExecuteCommand: false,
  availabilityZoneRebalancing: 'ENABLED',
  tags: [
    { key: 'app', value: 'filot' },
    { key: 'berth.dev/managed-by', value: 'berth' },
  ],
};

/** An EC2 GPU service scaled by a QueueScaler: no desiredCount, binpack placement. */
export const gpuManifest: ServiceManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'Service',
  metadata: { name: 'ocr-gpu' },
  spec: {
    cluster: 'gpu',
    launchType: 'EC2',
    placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g5.*' }],
    placementStrategy: [{ type: 'binpack', field: 'memory' }],
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 100, minimumHealthyPercent: 0 },
    propagateTags: 'SERVICE',
    taskDefinition: { family: 'ocr', containerDefinitions: [{ name: 'ocr', image: 'ocr:1' }] },
  },
};

/**
 * {@link gpuManifest} as DescribeServices returns it: the scaler has set 3 tasks; ECS turned AZ
 * rebalancing off because binpack is incompatible with it; "no alarms" spelled out.
 */
export const gpuObserved: Service = {
  serviceArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:service/gpu/ocr-gpu`,
  serviceName: 'ocr-gpu',
  clusterArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:cluster/gpu`,
  loadBalancers: [],
  serviceRegistries: [],
  status: 'ACTIVE',
  desiredCount: 3,
  runningCount: 3,
  pendingCount: 0,
  launchType: 'EC2',
  taskDefinition: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:task-definition/ocr:9`,
  deploymentConfiguration: {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    maximumPercent: 100,
    minimumHealthyPercent: 0,
    alarms: { alarmNames: [], rollback: false, enable: false },
    strategy: 'ROLLING',
  },
  deployments: [],
  events: [],
  createdAt: new Date('2026-01-01T00:00:00Z'),
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g5.*' }],
  placementStrategy: [{ type: 'binpack', field: 'memory' }],
  healthCheckGracePeriodSeconds: 0,
  schedulingStrategy: 'REPLICA',
  deploymentController: { type: 'ECS' },
  enableECSManagedTags: false,
  propagateTags: 'SERVICE',
  enableExecuteCommand: false,
  availabilityZoneRebalancing: 'DISABLED',
};

/** The least a manifest can say: everything else is ECS's default. */
export const minimalManifest: ServiceManifest = {
  apiVersion: 'berth.dev/v1',
  kind: 'Service',
  metadata: { name: 'min' },
  spec: {
    cluster: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:cluster/web`,
    desiredCount: 1,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a'] } },
    taskDefinition: { family: 'min', containerDefinitions: [{ name: 'min', image: 'min:1' }] },
  },
};

/** {@link minimalManifest} as DescribeServices returns it, every default filled in. */
export const minimalObserved: Service = {
  serviceName: 'min',
  clusterArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:cluster/web`,
  loadBalancers: [],
  serviceRegistries: [],
  status: 'ACTIVE',
  desiredCount: 1,
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100, strategy: 'ROLLING' },
  placementConstraints: [],
  placementStrategy: [],
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a'], securityGroups: [], assignPublicIp: 'DISABLED' } },
  healthCheckGracePeriodSeconds: 0,
  schedulingStrategy: 'REPLICA',
  deploymentController: { type: 'ECS' },
  enableECSManagedTags: false,
  propagateTags: 'NONE',
  enableExecuteCommand: false,
  availabilityZoneRebalancing: 'ENABLED',
};

/** A service that sets neither launchType nor a strategy, observed with the cluster's default strategy. */
export const clusterDefaultManifest: ServiceManifest = {
  ...minimalManifest,
  metadata: { name: 'min' },
  spec: { ...minimalManifest.spec, launchType: undefined },
};

export const clusterDefaultObserved: Service = {
  ...minimalObserved,
  launchType: undefined,
  capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
};

/** A CodeDeploy blue/green service. */
export const codeDeployObserved: Service = { ...fargateObserved, deploymentController: { type: 'CODE_DEPLOY' } };
