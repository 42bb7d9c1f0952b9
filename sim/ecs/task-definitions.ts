/**
 * Task definitions: immutable revisions per family from 1, ACTIVE until deregistered, registered
 * with the defaults AWS fills in and checked as AWS checks them.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
 */
import type {
  Attribute,
  Compatibility,
  ContainerDefinition,
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionFamiliesResponse,
  ListTaskDefinitionsRequest,
  ListTaskDefinitionsResponse,
  PortMapping,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  TaskDefinition,
  TaskDefinitionPlacementConstraint,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { isArn, taskDefinitionArn } from './arns.ts';
import { ExpressionError, parseExpression } from './expressions.ts';
import type { TaskDefinitionRecord, TaskDemand } from './model.ts';
import { asRequest, invalidParameter, paginate, requireString } from './requests.ts';
import type { EcsContext, FamilyRecord } from './store.ts';
import { findTaskDefinition, now, scopeOf } from './store.ts';
import { readTags, tagsView } from './tags.ts';
import { isFargateSize, parseCpu, parseMemory } from './task-sizes.ts';

type NetworkMode = TaskDefinitionRecord['networkMode'];

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const NETWORK_MODES: ReadonlySet<string> = new Set(['bridge', 'host', 'awsvpc', 'none']);
const TROUBLESHOOTING = 'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

function clientError(message: string): AwsError {
  return new AwsError('ClientException', message);
}

/** The task definition as DescribeTaskDefinition returns it. */
export function taskDefinitionView(td: TaskDefinitionRecord): TaskDefinition {
  return { ...td.body, status: td.status, ...(td.deregisteredAt !== undefined && { deregisteredAt: new Date(td.deregisteredAt) }) };
}

/** Step 1: the family and the container list, which AWS requires first. */
function checkRequired(req: Partial<RegisterTaskDefinitionRequest>): { family: string; containers: ContainerDefinition[] } {
  const family = req.family ?? '';
  if (family === '') throw clientError('Family must be specified.');
  if (!NAME.test(family)) throw clientError('Family name can contain up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.');
  const containers = req.containerDefinitions ?? [];
  if (containers.length === 0) throw clientError('Container list cannot be empty.');
  const names = new Set<string>();
  for (const c of containers) {
    if (!c.name) throw clientError('Container.name should not be null or empty.');
    if (!NAME.test(c.name)) throw clientError(`Invalid container name '${c.name}': up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.`);
    if (names.has(c.name)) throw clientError(`Duplicate container name: ${c.name}.`);
    names.add(c.name);
    if (!c.image) throw clientError('Container.image should not be null or empty.');
  }
  return { family, containers };
}

/** Step 2: task-level CPU and memory, as strings of units ("0.5 vCPU" → "512", "2 GB" → "2048"). */
function readTaskSize(req: Partial<RegisterTaskDefinitionRequest>): { cpu?: number; memory?: number } {
  const out: { cpu?: number; memory?: number } = {};
  if (req.cpu !== undefined && req.cpu !== '') {
    const cpu = parseCpu(String(req.cpu));
    if (cpu === undefined) throw clientError(`Invalid 'cpu' setting for task. ${TROUBLESHOOTING}`);
    out.cpu = cpu;
  }
  if (req.memory !== undefined && req.memory !== '') {
    const memory = parseMemory(String(req.memory));
    if (memory === undefined) throw clientError(`Invalid 'memory' setting for task. ${TROUBLESHOOTING}`);
    out.memory = memory;
  }
  return out;
}

/** Step 3: what Fargate demands (awsvpc, a task size, and one of its CPU/memory pairs). */
function checkFargate(networkMode: NetworkMode, size: { cpu?: number; memory?: number }): void {
  if (networkMode !== 'awsvpc') throw clientError('Fargate only supports network mode ‘awsvpc’.');
  if (size.cpu === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
  if (size.memory === undefined) throw clientError("Fargate requires that 'memory' be defined at the task level.");
  if (!isFargateSize(size.cpu, size.memory)) {
    throw clientError(`No Fargate configuration exists for given values: ${size.cpu} CPU, ${size.memory} memory. See the Amazon ECS documentation for the valid values.`);
  }
}

/** Step 4: container memory against the task's, and port mappings against the network mode. */
function checkContainers(containers: readonly ContainerDefinition[], networkMode: NetworkMode, taskMemory: number | undefined): void {
  for (const c of containers) {
    const name = c.name ?? '';
    if (taskMemory === undefined && c.memory === undefined && c.memoryReservation === undefined) {
      throw clientError(`Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
    }
    if (taskMemory !== undefined && c.memory !== undefined && c.memory > taskMemory) {
      throw clientError(`The 'memory' setting for container '${name}' is greater than for the task.`);
    }
    for (const pm of c.portMappings ?? []) {
      if ((networkMode === 'awsvpc' || networkMode === 'host') && pm.hostPort !== undefined && pm.hostPort !== 0 && pm.hostPort !== pm.containerPort) {
        throw clientError(`When networkMode=${networkMode}, the host ports and container ports in port mappings must match.`);
      }
    }
    if (networkMode === 'none' && (c.portMappings?.length ?? 0) > 0) throw clientError('Port mappings are not allowed with networkMode=none.');
  }
}

/** Step 5: a task definition's placement constraints are memberOf with a valid expression. */
function checkPlacementConstraints(constraints: readonly TaskDefinitionPlacementConstraint[]): void {
  if (constraints.length > 10) throw clientError('A task definition can have at most 10 placement constraints.');
  for (const constraint of constraints) {
    if (constraint.type !== 'memberOf') throw clientError(`Invalid placement constraint type '${String(constraint.type)}': task definitions accept memberOf only.`);
    try {
      parseExpression(requireString(constraint.expression, 'A memberOf placement constraint requires an expression.', 'ClientException'));
    } catch (err) {
      if (err instanceof ExpressionError) throw clientError(`Invalid placement constraint expression '${constraint.expression ?? ''}': ${err.message}`);
      throw err;
    }
  }
}

/** A port mapping as AWS returns it: protocol tcp by default; awsvpc and host map host port = container port. */
function normalizePortMapping(pm: PortMapping, networkMode: NetworkMode): PortMapping {
  const hostPort = networkMode === 'awsvpc' || networkMode === 'host' ? pm.containerPort : (pm.hostPort ?? 0);
  return { ...pm, hostPort, protocol: pm.protocol ?? 'tcp' };
}

/** A container definition with the defaults AWS fills in on register. */
function normalizeContainer(c: ContainerDefinition, networkMode: NetworkMode): ContainerDefinition {
  return {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: (c.portMappings ?? []).map((pm) => normalizePortMapping(pm, networkMode)),
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
  };
}

function isEcrImage(image: string | undefined): boolean {
  return /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(image ?? '');
}

/**
 * The container instance attributes the task needs, as AWS derives them from what the task
 * definition uses (plausible, not exhaustive).
 */
function requiresAttributes(req: Partial<RegisterTaskDefinitionRequest>, containers: readonly ContainerDefinition[], networkMode: NetworkMode): Attribute[] {
  const names = new Set<string>();
  if (req.networkMode !== undefined) names.add('com.amazonaws.ecs.capability.docker-remote-api.1.18');
  if (networkMode === 'awsvpc') names.add('ecs.capability.task-eni');
  if (req.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role');
  for (const c of containers) {
    if (c.logConfiguration?.logDriver === 'awslogs') {
      names.add('com.amazonaws.ecs.capability.logging-driver.awslogs');
      names.add('com.amazonaws.ecs.capability.docker-remote-api.1.19');
      if (req.executionRoleArn) names.add('ecs.capability.execution-role-awslogs');
    }
    if (isEcrImage(c.image)) {
      names.add('com.amazonaws.ecs.capability.ecr-auth');
      if (req.executionRoleArn) names.add('ecs.capability.execution-role-ecr-pull');
    }
    if (c.healthCheck) {
      names.add('ecs.capability.container-health-check');
      names.add('com.amazonaws.ecs.capability.docker-remote-api.1.24');
    }
    if (c.secrets?.some((s) => s.valueFrom?.includes(':secretsmanager:'))) names.add('ecs.capability.secrets.asm.environment-variables');
    if (c.secrets?.some((s) => !s.valueFrom?.includes(':secretsmanager:'))) names.add('ecs.capability.secrets.ssm.environment-variables');
  }
  return [...names].map((name) => ({ name }));
}

/** What one task takes from a container instance: task-level size, else the containers' sums. */
function demandOf(containers: readonly ContainerDefinition[], size: { cpu?: number; memory?: number }, networkMode: NetworkMode): TaskDemand {
  let cpu = 0;
  let memory = 0;
  let gpus = 0;
  const hostPorts: string[] = [];
  for (const c of containers) {
    cpu += c.cpu ?? 0;
    // Placement reserves the soft limit when there is one, as ECS does.
    memory += c.memoryReservation ?? c.memory ?? 0;
    for (const r of c.resourceRequirements ?? []) if (r.type === 'GPU') gpus += Number(r.value ?? 0);
    for (const pm of c.portMappings ?? []) {
      const port = networkMode === 'host' ? pm.containerPort : pm.hostPort;
      if ((networkMode === 'bridge' || networkMode === 'host') && port) hostPorts.push(`${pm.protocol ?? 'tcp'}:${port}`);
    }
  }
  return { cpu: size.cpu ?? cpu, memory: size.memory ?? memory, gpus, hostPorts };
}

/** RegisterTaskDefinition: checks, fills in defaults, and stores the family's next revision. */
export function registerTaskDefinition(ctx: EcsContext, region: string, req: Partial<RegisterTaskDefinitionRequest>): TaskDefinitionRecord {
  const { family, containers } = checkRequired(req);
  if (req.networkMode !== undefined && !NETWORK_MODES.has(req.networkMode)) throw clientError(`Invalid networkMode '${req.networkMode}'.`);
  const networkMode: NetworkMode = req.networkMode ?? 'bridge';
  const size = readTaskSize(req);
  const requires = req.requiresCompatibilities ?? [];
  if (requires.includes('FARGATE')) checkFargate(networkMode, size);
  checkContainers(containers, networkMode, size.memory);
  checkPlacementConstraints(req.placementConstraints ?? []);
  const tags = readTags(req.tags);
  // Everything checked: take the family's next revision.
  const key = `${region}/${family}`;
  const familyRecord: FamilyRecord = ctx.store.families.get(key) ?? { name: family, region, revisions: [] };
  ctx.store.families.set(key, familyRecord);
  const revision = familyRecord.revisions.length + 1;
  const arn = taskDefinitionArn(scopeOf(ctx, region), family, revision);
  const normalized = containers.map((c) => normalizeContainer(c, networkMode));
  const compatibilities: Compatibility[] = ['EC2', ...requires.filter((c) => c !== 'EC2')];
  const body: TaskDefinition = {
    taskDefinitionArn: arn,
    containerDefinitions: normalized,
    family,
    ...(req.taskRoleArn !== undefined && { taskRoleArn: req.taskRoleArn }),
    ...(req.executionRoleArn !== undefined && { executionRoleArn: req.executionRoleArn }),
    // AWS returns networkMode only when the request gave one (the default bridge is left out).
    ...(req.networkMode !== undefined && { networkMode: req.networkMode }),
    revision,
    volumes: req.volumes ?? [],
    requiresAttributes: requiresAttributes(req, normalized, networkMode),
    placementConstraints: req.placementConstraints ?? [],
    compatibilities,
    ...(req.runtimePlatform !== undefined && { runtimePlatform: req.runtimePlatform }),
    ...(req.requiresCompatibilities !== undefined && { requiresCompatibilities: req.requiresCompatibilities }),
    ...(size.cpu !== undefined && { cpu: String(size.cpu) }),
    ...(size.memory !== undefined && { memory: String(size.memory) }),
    ...(req.pidMode !== undefined && { pidMode: req.pidMode }),
    ...(req.ipcMode !== undefined && { ipcMode: req.ipcMode }),
    ...(req.proxyConfiguration !== undefined && { proxyConfiguration: req.proxyConfiguration }),
    ...(req.inferenceAccelerators !== undefined && { inferenceAccelerators: req.inferenceAccelerators }),
    ...(req.ephemeralStorage !== undefined && { ephemeralStorage: req.ephemeralStorage }),
    registeredAt: new Date(now(ctx)),
    // Returned on every task definition, false unless asked for (AWS started returning it in 2025).
    enableFaultInjection: req.enableFaultInjection ?? false,
    registeredBy: `arn:aws:iam::${ctx.world.accountId}:root`,
  };
  const record: TaskDefinitionRecord = {
    arn,
    family,
    revision,
    region,
    status: 'ACTIVE',
    deregisteredAt: undefined,
    body,
    tags,
    demand: demandOf(normalized, size, networkMode),
    hasHealthCheck: normalized.some((c) => c.healthCheck !== undefined),
    networkMode,
  };
  familyRecord.revisions.push(record);
  ctx.store.taskDefinitions.set(arn, record);
  return record;
}

/** Task definitions of a region matching ListTaskDefinitions' filters, in its order. */
function listTaskDefinitionArns(ctx: EcsContext, region: string, req: Partial<ListTaskDefinitionsRequest>): string[] {
  const status = req.status ?? 'ACTIVE';
  const families = [...ctx.store.families.values()]
    .filter((f) => f.region === region && (req.familyPrefix === undefined || f.name === req.familyPrefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // ASC: family names lexicographically, revisions ascending (newest last); DESC reverses both.
  const arns = families.flatMap((f) => f.revisions.filter((td) => td.status === status).map((td) => td.arn));
  return req.sort === 'DESC' ? arns.reverse() : arns;
}

/** Family names of a region matching ListTaskDefinitionFamilies' filters, sorted. */
function listFamilies(ctx: EcsContext, region: string, req: Partial<ListTaskDefinitionFamiliesRequest>): string[] {
  const status = req.status ?? 'ACTIVE';
  return [...ctx.store.families.values()]
    .filter((f) => f.region === region && f.name.startsWith(req.familyPrefix ?? ''))
    .filter((f) => status === 'ALL' || f.revisions.some((td) => td.status === status))
    .map((f) => f.name)
    .sort();
}

export function taskDefinitionOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    RegisterTaskDefinition: (input, { region }): RegisterTaskDefinitionResponse => {
      const td = registerTaskDefinition(ctx, region, asRequest<RegisterTaskDefinitionRequest>(input));
      return { taskDefinition: taskDefinitionView(td), tags: tagsView(td.tags) };
    },
    DescribeTaskDefinition: (input, { region }): DescribeTaskDefinitionResponse => {
      const req = asRequest<DescribeTaskDefinitionRequest>(input);
      const ref = requireString(req.taskDefinition, 'taskDefinition can not be blank.', 'ClientException');
      const td = findTaskDefinition(ctx, region, ref);
      if (!td) throw clientError('Unable to describe task definition.');
      return { taskDefinition: taskDefinitionView(td), ...(req.include?.includes('TAGS') && { tags: tagsView(td.tags) }) };
    },
    ListTaskDefinitions: (input, { region }): ListTaskDefinitionsResponse => {
      const req = asRequest<ListTaskDefinitionsRequest>(input);
      const page = paginate(listTaskDefinitionArns(ctx, region, req), req, { defaultSize: 100, maxSize: 100 });
      return { taskDefinitionArns: page.items, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },
    ListTaskDefinitionFamilies: (input, { region }): ListTaskDefinitionFamiliesResponse => {
      const req = asRequest<ListTaskDefinitionFamiliesRequest>(input);
      const page = paginate(listFamilies(ctx, region, req), req, { defaultSize: 100, maxSize: 100 });
      return { families: page.items, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },
    DeregisterTaskDefinition: (input, { region }): DeregisterTaskDefinitionResponse => {
      const req = asRequest<DeregisterTaskDefinitionRequest>(input);
      const ref = requireString(req.taskDefinition, 'taskDefinition can not be blank.', 'ClientException');
      // A revision is required: a family alone does not name one.
      if (!isArn(ref) && !ref.includes(':')) throw invalidParameter('Invalid revision number.');
      const td = findTaskDefinition(ctx, region, ref);
      if (!td) throw clientError('The specified task definition does not exist.');
      if (td.status === 'ACTIVE') {
        td.status = 'INACTIVE';
        td.deregisteredAt = now(ctx);
      }
      return { taskDefinition: taskDefinitionView(td) };
    },
  };
}
