/**
 * Task placement on EC2 container instances: which ACTIVE instance of the cluster meets the task's
 * constraints (memberOf, distinctInstance) and has the CPU, memory, GPUs and host ports it needs,
 * ranked by the service's placement strategy; and the resources a placed task holds.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html
 */
import type { PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import { evaluate, parseExpression } from './expressions.ts';
import type { ExpressionTarget } from './expressions.ts';
import type { ClusterRecord, ContainerInstanceRecord, ServiceRecord, TaskDefinitionRecord, TaskRecord } from './model.ts';

/** The task group placement constraints and task affinity use: `service:NAME`, else `family:NAME`. */
export function taskGroup(task: TaskRecord): string {
  return task.service ? `service:${task.service.name}` : `family:${task.taskDefinition.family}`;
}

/** A container instance as the cluster query language sees it. */
export function instanceTarget(ci: ContainerInstanceRecord): ExpressionTarget {
  return {
    value(subject) {
      if (subject.startsWith('attribute:')) {
        const attribute = ci.attributes.find((a) => a.name === subject.slice('attribute:'.length));
        return attribute ? (attribute.value ?? '') : undefined;
      }
      switch (subject) {
        case 'ec2InstanceId':
          return ci.ec2InstanceId;
        case 'agentConnected':
          return String(ci.status !== 'INACTIVE');
        case 'runningTasksCount':
          return String(ci.tasks.size);
        case 'registeredAt':
          return new Date(ci.registeredAt).toISOString();
        default:
          return undefined;
      }
    },
    *taskGroups() {
      for (const task of ci.tasks) yield taskGroup(task);
    },
  };
}

/** The first `count` GPU IDs of the instance that no task holds. */
function freeGpus(ci: ContainerInstanceRecord, count: number): string[] {
  const free: string[] = [];
  for (const id of ci.gpuIds) {
    if (free.length >= count) break;
    if (!ci.usedGpus.has(id)) free.push(id);
  }
  return free;
}

/** Puts a placed task's CPU, memory, GPUs and host ports on its instance. */
export function reserve(ci: ContainerInstanceRecord, task: TaskRecord): void {
  const demand = task.taskDefinition.demand;
  ci.usedCpu += demand.cpu;
  ci.usedMemory += demand.memory;
  for (const id of task.gpuIds) ci.usedGpus.add(id);
  for (const port of demand.hostPorts) ci.usedPorts.add(port);
  ci.tasks.add(task);
  ci.version++;
}

/** Gives back what a stopped task held on its instance. */
export function release(task: TaskRecord): void {
  const ci = task.instance;
  if (!ci || !ci.tasks.delete(task)) return;
  const demand = task.taskDefinition.demand;
  ci.usedCpu -= demand.cpu;
  ci.usedMemory -= demand.memory;
  for (const id of task.gpuIds) ci.usedGpus.delete(id);
  for (const port of demand.hostPorts) ci.usedPorts.delete(port);
  ci.version++;
}

export type PlacementOutcome =
  | { readonly ok: true; readonly instance: ContainerInstanceRecord; readonly gpuIds: string[] }
  /** `reason` completes "The closest matching (container-instance ID) …"; no instance at all when `instanceId` is undefined. */
  | { readonly ok: false; readonly instanceId: string | undefined; readonly reason: string };

interface Check {
  readonly fails: (ci: ContainerInstanceRecord) => boolean;
  readonly reason: string;
}

/** The checks in the order ECS applies them; the instance that passes most is the "closest matching". */
function checks(service: ServiceRecord, td: TaskDefinitionRecord): Check[] {
  const constraints: PlacementConstraint[] = [...service.placementConstraints, ...(td.body.placementConstraints ?? [])];
  const memberOf = constraints.filter((c) => c.type === 'memberOf').map((c) => parseExpression(c.expression ?? ''));
  const distinct = constraints.some((c) => c.type === 'distinctInstance');
  const group = `service:${service.name}`;
  const demand = td.demand;
  return [
    { fails: (ci) => memberOf.some((expr) => !evaluate(expr, instanceTarget(ci))), reason: 'encountered error "MemberOf placement constraint unsatisfied."' },
    { fails: (ci) => distinct && [...ci.tasks].some((t) => taskGroup(t) === group), reason: 'encountered error "DistinctInstance placement constraint unsatisfied."' },
    { fails: (ci) => ci.cpu - ci.usedCpu < demand.cpu, reason: 'has insufficient CPU units available' },
    { fails: (ci) => ci.memory - ci.usedMemory < demand.memory, reason: 'has insufficient memory available' },
    { fails: (ci) => freeGpus(ci, demand.gpus).length < demand.gpus, reason: 'has insufficient GPU available' },
    { fails: (ci) => demand.hostPorts.some((p) => ci.usedPorts.has(p)), reason: 'is already using a port required by your task' },
  ];
}

/** Tasks of `group` on each instance, and on the instances sharing each value of an attribute. */
function groupCounts(cluster: ClusterRecord, group: string): Map<ContainerInstanceRecord, number> {
  const counts = new Map<ContainerInstanceRecord, number>();
  for (const ci of cluster.instances.values()) {
    let n = 0;
    for (const t of ci.tasks) if (taskGroup(t) === group) n++;
    counts.set(ci, n);
  }
  return counts;
}

/** A sort key per candidate for one strategy (lower places first). */
function strategyKey(strategy: PlacementStrategy, cluster: ClusterRecord, counts: Map<ContainerInstanceRecord, number>, random: () => number): (ci: ContainerInstanceRecord) => number {
  const field = strategy.field ?? '';
  if (strategy.type === 'binpack') return field.toLowerCase() === 'cpu' ? (ci) => ci.cpu - ci.usedCpu : (ci) => ci.memory - ci.usedMemory;
  if (strategy.type === 'random') {
    const keys = new Map<ContainerInstanceRecord, number>();
    return (ci) => keys.get(ci) ?? keys.set(ci, random()).get(ci) ?? 0;
  }
  if (field === 'instanceId' || field === 'host' || !field.startsWith('attribute:')) return (ci) => counts.get(ci) ?? 0;
  // spread on an attribute: fewest of the group's tasks among the instances with the same value.
  const target = (ci: ContainerInstanceRecord) => instanceTarget(ci).value(field) ?? '';
  const perValue = new Map<string, number>();
  for (const ci of cluster.instances.values()) perValue.set(target(ci), (perValue.get(target(ci)) ?? 0) + (counts.get(ci) ?? 0));
  return (ci) => perValue.get(target(ci)) ?? 0;
}

/** A service's default strategy: spread across Availability Zones, then across instances. */
const DEFAULT_STRATEGY: readonly PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' },
];

/** Where a new task of the service goes, or why none fits (worded for the service event). */
export function choosePlacement(service: ServiceRecord, td: TaskDefinitionRecord, random: () => number): PlacementOutcome {
  const instances = [...service.cluster.instances.values()].filter((ci) => ci.status === 'ACTIVE');
  if (instances.length === 0) return { ok: false, instanceId: undefined, reason: 'No Container Instances were found in your cluster.' };
  const steps = checks(service, td);
  let closest: { ci: ContainerInstanceRecord; passed: number } | undefined;
  const fits: ContainerInstanceRecord[] = [];
  // Step 1: every check on every instance, remembering the one that got furthest.
  for (const ci of instances) {
    const failed = steps.findIndex((check) => check.fails(ci));
    if (failed === -1) fits.push(ci);
    else if (!closest || failed > closest.passed) closest = { ci, passed: failed };
  }
  if (fits.length === 0) {
    const { ci, passed } = closest as { ci: ContainerInstanceRecord; passed: number };
    return { ok: false, instanceId: ci.id, reason: steps[passed]?.reason ?? 'is missing an attribute required by your task' };
  }
  // Step 2: rank the instances that fit by the strategy, in order; registration order breaks ties.
  const counts = groupCounts(service.cluster, `service:${service.name}`);
  const strategies = service.placementStrategy.length > 0 ? service.placementStrategy : DEFAULT_STRATEGY;
  const keys = strategies.map((s) => strategyKey(s, service.cluster, counts, random));
  const ranked = fits.map((ci, index) => ({ ci, index, key: keys.map((k) => k(ci)) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const diff = (a.key[i] ?? 0) - (b.key[i] ?? 0);
      if (diff !== 0) return diff;
    }
    return a.index - b.index;
  });
  const chosen = (ranked[0] as { ci: ContainerInstanceRecord }).ci;
  return { ok: true, instance: chosen, gpuIds: freeGpus(chosen, td.demand.gpus) };
}
