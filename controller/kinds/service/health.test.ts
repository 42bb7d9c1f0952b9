import type { Deployment, Service, ServiceEvent } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { serviceHealth } from './health.ts';

const NOW = new Date('2026-01-01T01:00:00Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
const UNPLACEABLE = '(service w) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.';

function service(over: Partial<Service> & { deployments?: Deployment[]; events?: ServiceEvent[] }): Service {
  return { serviceName: 'w', status: 'ACTIVE', desiredCount: 3, runningCount: 3, pendingCount: 0, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: 'td:2' }], events: [], ...over };
}

describe('serviceHealth', () => {
  it.each([
    ['missing', undefined, false, 'Missing', 'the service does not exist'],
    ['inactive', service({ status: 'INACTIVE' }), false, 'Missing', 'the service does not exist'],
    ['suspended', service({}), true, 'Suspended', 'suspended by berth.dev/suspend; 3 of 3 tasks running'],
    ['steady', service({}), false, 'Healthy', '3 of 3 tasks running'],
    ['rolling out', service({ runningCount: 2, deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }, { status: 'ACTIVE', rolloutState: 'COMPLETED' }] }), false, 'Progressing', 'Waiting for rollout to finish: 2 of 3 tasks running'],
    ['scaling up', service({ runningCount: 1, pendingCount: 2 }), false, 'Progressing', 'Waiting for tasks: 1 of 3 tasks running'],
    ['draining', service({ status: 'DRAINING' }), false, 'Progressing', 'the service is being deleted; 3 of 3 tasks running'],
    [
      'failed, rolling back',
      service({
        runningCount: 1,
        deployments: [
          { status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: 'td:1' },
          { status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' },
        ],
        events: [{ message: '(service w) rolling back to deployment ecs-svc/1.', createdAt: ago(5) }],
      }),
      false,
      'Degraded',
      'ECS deployment circuit breaker: tasks failed to start. Rolling back to td:1. (service w) rolling back to deployment ecs-svc/1.',
    ],
    ['unplaceable for 10 minutes', service({ runningCount: 0, desiredCount: 1, events: [{ message: UNPLACEABLE, createdAt: ago(600) }] }), false, 'Degraded', `0 of 1 tasks running; ${UNPLACEABLE}`],
    ['unplaceable for a minute', service({ runningCount: 0, desiredCount: 1, events: [{ message: UNPLACEABLE, createdAt: ago(60) }] }), false, 'Progressing', 'Waiting for tasks: 0 of 1 tasks running'],
    ['placed since', service({ events: [{ message: '(service w) has reached a steady state.', createdAt: ago(10) }, { message: UNPLACEABLE, createdAt: ago(600) }] }), false, 'Healthy', '3 of 3 tasks running'],
  ] as const)('%s', (_name, observed, suspended, status, message) => {
    expect(serviceHealth({ service: observed, suspended, now: NOW })).toEqual({ status, message });
  });
});
