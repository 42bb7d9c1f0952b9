/** Simulated EC2 Auto Scaling (AWS Query). */
import { AwsError } from '../errors.ts';
import type { Operation, SimService, World } from '../world.ts';

/** An Auto Scaling group that exists before Berth runs (infrastructure Berth adopts). */
export interface AutoScalingGroupSeed {
  readonly name: string;
  readonly region?: string;
  readonly instanceType: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredCapacity: number;
  /** The ECS cluster its instances join. */
  readonly cluster: string;
  /** @defaultValue the behaviour's instanceBootSeconds */
  readonly bootSeconds?: number;
  readonly availabilityZones?: readonly string[];
  readonly tags?: readonly { readonly key: string; readonly value: string; readonly propagateAtLaunch?: boolean }[];
}

export class AutoScalingSim implements SimService {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly world: World;
  private readonly groups = new Map<string, AutoScalingGroupSeed>();

  constructor(world: World) {
    this.world = world;
    this.operations = {
      DescribeAutoScalingGroups: (input) => {
        const names = (input.AutoScalingGroupNames as string[] | undefined) ?? [...this.groups.keys()];
        return {
          AutoScalingGroups: names.flatMap((n) => {
            const g = this.groups.get(n);
            return g ? [{ AutoScalingGroupName: g.name, MinSize: g.minSize, MaxSize: g.maxSize, DesiredCapacity: g.desiredCapacity, Instances: [], CreatedTime: new Date(0) }] : [];
          }),
        };
      },
      SetDesiredCapacity: (input) => {
        const g = this.groups.get(String(input.AutoScalingGroupName));
        if (!g) throw new AwsError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup ${String(input.AutoScalingGroupName)} not found`);
        return undefined;
      },
    };
  }

  seedGroup(group: AutoScalingGroupSeed): void {
    this.groups.set(group.name, group);
  }

  dump(): unknown {
    return { groups: [...this.groups.values()], at: this.world.scheduler.now };
  }
}
