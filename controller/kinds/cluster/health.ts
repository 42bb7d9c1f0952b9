/** The health of an ECS cluster, a pure function of DescribeClusters' answer. */
import type { Cluster } from '@aws-sdk/client-ecs';
import type { Health } from '../../engine/plan-types.ts';

export function clusterHealth(cluster: Cluster | undefined, suspended: boolean): Health {
  if (!cluster || cluster.status === 'INACTIVE') return { status: suspended ? 'Suspended' : 'Missing', message: 'the cluster does not exist' };
  if (suspended) return { status: 'Suspended', message: 'suspended by berth.dev/suspend' };
  switch (cluster.status) {
    case 'ACTIVE':
      return { status: 'Healthy', message: `${cluster.activeServicesCount ?? 0} services, ${cluster.registeredContainerInstancesCount ?? 0} container instances` };
    case 'PROVISIONING':
      return { status: 'Progressing', message: 'the cluster is being created' };
    case 'DEPROVISIONING':
      return { status: 'Progressing', message: 'the cluster is being deleted' };
    case 'FAILED':
      return { status: 'Degraded', message: 'the cluster failed to provision' };
    default:
      return { status: 'Unknown', message: `cluster status ${cluster.status ?? 'unknown'}` };
  }
}
