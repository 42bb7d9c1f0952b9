/** Simulated Amazon CloudWatch (AWS JSON 1.0, query-compatible, and AWS Query). */
import { AwsError } from '../errors.ts';
import type { Operation, SimService, World } from '../world.ts';

export class CloudWatchSim implements SimService {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly world: World;

  constructor(world: World) {
    this.world = world;
    this.operations = {
      DescribeAlarms: () => ({ MetricAlarms: [], CompositeAlarms: [] }),
      DeleteAlarms: (input) => {
        throw new AwsError('ResourceNotFound', `Alarm ${String((input.AlarmNames as string[] | undefined)?.[0])} not found`, 404);
      },
    };
  }

  dump(): unknown {
    return { at: this.world.scheduler.now };
  }
}
