/**
 * Simulated Amazon ECS (AWS JSON 1.1): the operations by name, and the hooks the Auto Scaling
 * simulator calls as instances boot and terminate. Each concern lives in its own module:
 * clusters, task definitions, services and their scheduler, tasks, task protection, container
 * instances and placement, tags.
 */
import type { EcsHooks, Operation, SimService, TaggedResource, TagSource, World } from '../world.ts';
import { clusterOperations, createCluster } from './clusters.ts';
import { ContainerInstances } from './container-instances.ts';
import { ServiceScheduler } from './service-scheduler.ts';
import { serviceOperations } from './services.ts';
import type { EcsContext } from './store.ts';
import { createContext } from './store.ts';
import { tagOperations } from './tags.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { taskProtectionOperations } from './task-protection.ts';

export class EcsSim implements SimService, EcsHooks, TagSource {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly ctx: EcsContext;
  private readonly scheduler: ServiceScheduler;
  private readonly instances: ContainerInstances;

  constructor(world: World) {
    const ctx = createContext(world);
    const scheduler = new ServiceScheduler(ctx);
    const instances = new ContainerInstances(ctx, scheduler.tasks, (cluster) => scheduler.capacityAdded(cluster));
    this.ctx = ctx;
    this.scheduler = scheduler;
    this.instances = instances;
    this.operations = {
      ...clusterOperations(ctx),
      ...taskDefinitionOperations(ctx),
      ...serviceOperations(ctx, scheduler),
      ...scheduler.tasks.operations(),
      ...taskProtectionOperations(ctx, scheduler.tasks, (task) => scheduler.protectionChanged(task)),
      ...instances.operations(),
      ...tagOperations(ctx),
    };
  }

  /** A cluster that exists before Berth runs. */
  seedCluster(region: string, name: string): void {
    createCluster(this.ctx, region, { clusterName: name });
  }

  registerContainerInstance(instance: Parameters<EcsHooks['registerContainerInstance']>[0]): string | undefined {
    return this.instances.register(instance);
  }

  deregisterContainerInstance(region: string, ec2InstanceId: string): void {
    this.instances.deregister(region, ec2InstanceId);
  }

  tasksOnInstance(region: string, ec2InstanceId: string): number {
    return this.instances.tasksOn(region, ec2InstanceId);
  }

  /**
   * For the Resource Groups Tagging API: ACTIVE clusters, ACTIVE services (a deleted one, DRAINING
   * or INACTIVE, is gone) and ACTIVE task definition revisions of the region. Tasks and container
   * instances are not listed.
   */
  *taggedResources(region: string): Generator<TaggedResource> {
    for (const cluster of this.ctx.store.clusters.values()) {
      if (cluster.region !== region || cluster.status !== 'ACTIVE') continue;
      yield cluster;
      for (const service of cluster.services.values()) if (service.status === 'ACTIVE') yield service;
    }
    for (const td of this.ctx.store.taskDefinitions.values()) if (td.region === region && td.status === 'ACTIVE') yield td;
  }

  /** Everything, summarised as plain data (the admin API's state dump), one flat list per kind. */
  dump(): unknown {
    const { store } = this.ctx;
    const clusters = [...store.clusters.values()];
    return {
      clusters: clusters.map((c) => ({
        name: c.name,
        arn: c.arn,
        region: c.region,
        status: c.status,
        capacityProviders: c.capacityProviders,
        defaultCapacityProviderStrategy: c.defaultCapacityProviderStrategy,
      })),
      services: clusters.flatMap((c) =>
        [...c.services.values()].map((s) => ({
          cluster: c.name,
          name: s.name,
          status: s.status,
          launchType: s.runtime.capacityProviderStrategy ? undefined : s.runtime.launchType,
          capacityProviderStrategy: s.runtime.capacityProviderStrategy,
          platformVersion: s.runtime.platformVersion,
          desiredCount: s.desiredCount,
          taskDefinition: s.deployments[0]?.taskDefinition.arn,
          deployments: s.deployments.map((d) => ({ id: d.id, status: d.status, taskDefinition: d.taskDefinition.arn, rolloutState: d.rolloutState, failedTasks: d.failedTasks })),
          latestEvents: s.events.slice(0, 5).map((e) => e.message),
        })),
      ),
      containerInstances: clusters.flatMap((c) =>
        [...c.instances.values()].map((ci) => ({
          cluster: c.name,
          id: ci.id,
          ec2InstanceId: ci.ec2InstanceId,
          instanceType: ci.instanceType,
          status: ci.status,
          remaining: { cpu: ci.cpu - ci.usedCpu, memory: ci.memory - ci.usedMemory, gpus: ci.gpuIds.length - ci.usedGpus.size },
          tasks: ci.tasks.size,
        })),
      ),
      tasks: clusters.flatMap((c) =>
        [...c.tasks.values()].map((t) => ({
          cluster: c.name,
          id: t.id,
          service: t.service?.name,
          taskDefinition: `${t.taskDefinition.family}:${t.taskDefinition.revision}`,
          lastStatus: t.lastStatus,
          desiredStatus: t.desiredStatus,
          instance: t.instance?.ec2InstanceId,
          stoppedReason: t.stoppedReason,
        })),
      ),
      taskDefinitions: [...store.taskDefinitions.values()].map((td) => ({ arn: td.arn, status: td.status })),
    };
  }
}
