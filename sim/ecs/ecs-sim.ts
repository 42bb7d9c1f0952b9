/** Simulated Amazon ECS (AWS JSON 1.1). */
import { AwsError } from '../errors.ts';
import type { EcsHooks, Operation, SimService, World } from '../world.ts';

export class EcsSim implements SimService, EcsHooks {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly world: World;
  private readonly clusters = new Map<string, { name: string; arn: string }>();

  constructor(world: World) {
    this.world = world;
    this.operations = {
      DescribeClusters: (input, ctx) => {
        const names = (input.clusters as string[] | undefined) ?? ['default'];
        const found = names.map((n) => this.clusters.get(`${ctx.region}/${n}`));
        return {
          clusters: found.filter((c) => c !== undefined).map((c) => ({ clusterName: c.name, clusterArn: c.arn, status: 'ACTIVE' })),
          failures: names.filter((_, i) => !found[i]).map((n) => ({ arn: `arn:aws:ecs:${ctx.region}:${this.world.accountId}:cluster/${n}`, reason: 'MISSING' })),
        };
      },
      ListServices: (input, ctx) => {
        const cluster = (input.cluster as string | undefined) ?? 'default';
        if (!this.clusters.has(`${ctx.region}/${cluster}`)) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
        return { serviceArns: [] };
      },
    };
  }

  seedCluster(region: string, name: string): void {
    this.clusters.set(`${region}/${name}`, { name, arn: `arn:aws:ecs:${region}:${this.world.accountId}:cluster/${name}` });
  }

  registerContainerInstance(): string | undefined {
    return undefined;
  }

  deregisterContainerInstance(): void {}

  tasksOnInstance(): number {
    return 0;
  }

  dump(): unknown {
    return { clusters: [...this.clusters.values()] };
  }
}
