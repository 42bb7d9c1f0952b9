/** Real AWS SDK v3 clients pointed at an in-process simulator on a free port. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { startSimulator } from '../../sim/simulator.ts';
import type { Simulator, SimulatorOptions } from '../../sim/simulator.ts';

export interface SimClients {
  readonly sim: Simulator;
  readonly endpoint: string;
  readonly ecs: ECSClient;
  readonly autoscaling: AutoScalingClient;
  readonly cloudwatch: CloudWatchClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  close(): Promise<void>;
}

/** Static credentials: the simulator accepts any signature, and tests must not read ~/.aws. */
const credentials = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };

export async function simWithClients(options: SimulatorOptions & { readonly region?: string; readonly maxAttempts?: number } = {}): Promise<SimClients> {
  const { sim, endpoint, close } = await startSimulator(options);
  const config = { endpoint, region: options.region ?? 'ap-southeast-2', credentials, maxAttempts: options.maxAttempts ?? 3 };
  const ecs = new ECSClient(config);
  const autoscaling = new AutoScalingClient(config);
  const cloudwatch = new CloudWatchClient(config);
  const tagging = new ResourceGroupsTaggingAPIClient(config);
  return {
    sim,
    endpoint,
    ecs,
    autoscaling,
    cloudwatch,
    tagging,
    async close() {
      ecs.destroy();
      autoscaling.destroy();
      cloudwatch.destroy();
      tagging.destroy();
      await close();
    },
  };
}
