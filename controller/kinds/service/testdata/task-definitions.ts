/**
 * DescribeTaskDefinition outputs in the shape real AWS returns them (read-only fields, defaults
 * filled in, lists reordered), one per observed state, for the normalization and diff tests.
 */
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { TaskDefinitionSpec } from '../../../manifests/types.ts';

const ACCOUNT = '111122223333';

/** A one-container Fargate task definition as a manifest writes it. */
export const fargateSpec: TaskDefinitionSpec = {
  family: 'api',
  cpu: '512',
  memory: '1024',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
  containerDefinitions: [
    {
      name: 'api',
      image: `${ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/api:1.0.0`,
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
      secrets: [
        { name: 'JWT_SECRET', valueFrom: `arn:aws:secretsmanager:ap-southeast-2:${ACCOUNT}:secret:jwt` },
        { name: 'DATABASE_URL', valueFrom: `arn:aws:secretsmanager:ap-southeast-2:${ACCOUNT}:secret:db` },
      ],
      healthCheck: { command: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/health || exit 1'] },
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'ap-southeast-2', 'awslogs-stream-prefix': 'ecs' } },
    },
  ],
};

/** {@link fargateSpec} registered, as DescribeTaskDefinition returns it. */
export const fargateObserved: TaskDefinition = {
  taskDefinitionArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:task-definition/api:7`,
  containerDefinitions: [
    {
      name: 'api',
      image: `${ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/api:1.0.0`,
      cpu: 0,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      essential: true,
      environment: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'NODE_ENV', value: 'production' },
      ],
      mountPoints: [],
      volumesFrom: [],
      secrets: [
        { name: 'DATABASE_URL', valueFrom: `arn:aws:secretsmanager:ap-southeast-2:${ACCOUNT}:secret:db` },
        { name: 'JWT_SECRET', valueFrom: `arn:aws:secretsmanager:ap-southeast-2:${ACCOUNT}:secret:jwt` },
      ],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'ap-southeast-2', 'awslogs-stream-prefix': 'ecs' }, secretOptions: [] },
      healthCheck: { command: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/health || exit 1'], interval: 30, timeout: 5, retries: 3 },
      systemControls: [],
    },
  ],
  family: 'api',
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
  networkMode: 'awsvpc',
  revision: 7,
  volumes: [],
  status: 'ACTIVE',
  requiresAttributes: [
    { name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' },
    { name: 'ecs.capability.execution-role-awslogs' },
    { name: 'com.amazonaws.ecs.capability.ecr-auth' },
    { name: 'ecs.capability.secrets.asm.environment-variables' },
    { name: 'ecs.capability.container-health-check' },
    { name: 'ecs.capability.task-eni' },
  ],
  placementConstraints: [],
  compatibilities: ['EC2', 'FARGATE'],
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  registeredAt: new Date('2026-01-01T00:00:00Z'),
  registeredBy: `arn:aws:iam::${ACCOUNT}:root`,
  enableFaultInjection: false,
};

/** An EC2 task definition that leaves networkMode out (bridge) with a dynamic host port. */
export const bridgeSpec: TaskDefinitionSpec = {
  family: 'worker',
  containerDefinitions: [{ name: 'worker', image: 'worker:1', memoryReservation: 256, portMappings: [{ containerPort: 9000 }] }],
};

/** {@link bridgeSpec} registered: no networkMode in the output, hostPort 0. */
export const bridgeObserved: TaskDefinition = {
  taskDefinitionArn: `arn:aws:ecs:ap-southeast-2:${ACCOUNT}:task-definition/worker:1`,
  containerDefinitions: [
    {
      name: 'worker',
      image: 'worker:1',
      cpu: 0,
      memoryReservation: 256,
      portMappings: [{ containerPort: 9000, hostPort: 0, protocol: 'tcp' }],
      essential: true,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
    },
  ],
  family: 'worker',
  revision: 1,
  volumes: [],
  status: 'ACTIVE',
  placementConstraints: [],
  compatibilities: ['EXTERNAL', 'EC2'],
  registeredAt: new Date('2026-01-01T00:00:00Z'),
  registeredBy: `arn:aws:iam::${ACCOUNT}:root`,
};
