/**
 * The stack the plan and controller benches generate: one cluster and N Fargate API services in
 * it, as YAML manifest text (what a repository would hold).
 */
export const ACCOUNT = '070017891928';
export const REGION = 'ap-southeast-2';
export const CLUSTER = 'bench-cluster';

export const clusterDocument = `apiVersion: berth.dev/v1
kind: Cluster
metadata:
  name: ${CLUSTER}
spec:
  region: ${REGION}
  settings:
    - { name: containerInsights, value: enhanced }
  tags:
    - { key: app, value: bench }
`;

/** A Fargate API service `name` of `desiredCount` tasks whose task definition is the family `family` (services may share one). */
export function fargateServiceDocument(name: string, family: string, desiredCount: number): string {
  return `apiVersion: berth.dev/v1
kind: Service
metadata:
  name: ${name}
  labels: { app: bench }
spec:
  region: ${REGION}
  cluster: ${CLUSTER}
  launchType: FARGATE
  desiredCount: ${desiredCount}
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
      securityGroups: [sg-0123456789abcdef0]
      assignPublicIp: DISABLED
  deploymentConfiguration:
    deploymentCircuitBreaker: { enable: true, rollback: true }
    maximumPercent: 200
    minimumHealthyPercent: 100
  tags:
    - { key: app, value: bench }
  taskDefinition:
    family: ${family}
    cpu: "512"
    memory: "2048"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    executionRoleArn: arn:aws:iam::${ACCOUNT}:role/bench-execution
    containerDefinitions:
      - name: app
        image: ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${family}:2024-12-01
        essential: true
        portMappings:
          - { containerPort: 8080, protocol: tcp }
        environment:
          - { name: NODE_ENV, value: production }
          - { name: PORT, value: "8080" }
        secrets:
          - name: DATABASE_URL
            valueFrom: arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${family}/database-url
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/${family}
            awslogs-region: ${REGION}
            awslogs-stream-prefix: ecs
`;
}
