/**
 * An in-memory `ControllerView` (our own interface) with fixed status, recording the reconciles it
 * is asked for, and the status data the HTTP tests serve.
 */
import type { ControllerStatus, ControllerView, ResourceStatus } from '../../controller/engine/status.ts';

export interface ReconcileCall {
  readonly reason: 'api' | 'webhook';
  readonly at: Date;
}

export interface FakeView extends ControllerView {
  /** Every `reconcileNow` call, in order. */
  readonly calls: ReconcileCall[];
  /** Replaces the status the view answers with. */
  setStatus(status: ControllerStatus): void;
}

export function fakeView(initial: ControllerStatus): FakeView {
  let current = initial;
  const calls: ReconcileCall[] = [];
  return {
    calls,
    setStatus(status) {
      current = status;
    },
    status: () => current,
    resource: (kind, name) => current.resources.find((r) => r.kind === kind && r.name === name),
    reconcileNow(reason, at) {
      calls.push({ reason, at });
      return Promise.resolve();
    },
  };
}

export const REVISION = '3f5c2a9d8e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c';
export const REJECTED_REVISION = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';

/**
 * A leader's status as of `now`: a Healthy, Synced service; a Degraded, OutOfSync alarm with a
 * throttled apply; and a rejected newer revision with one problem.
 */
export function sampleStatus(now: Date): ControllerStatus {
  /** An ISO time `seconds` before now. */
  const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

  const apiService: ResourceStatus = {
    kind: 'Service',
    name: 'api',
    syncStatus: 'Synced',
    health: { status: 'Healthy', message: 'Rollout complete: 3 of 3 tasks running' },
    conditions: [
      { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision 3f5c2a9', lastTransitionTime: ago(600) },
    ],
    lastAttemptedRevision: REVISION,
    lastAppliedRevision: REVISION,
    events: [
      { time: ago(600), type: 'Normal', reason: 'Updated', message: 'containerDefinitions[api].image: api:1.4.1 → api:1.4.2' },
      { time: ago(900), type: 'Normal', reason: 'Created', message: 'Service created' },
    ],
    diff: [],
    lastReconciledAt: ago(30),
  };

  const cpuAlarm: ResourceStatus = {
    kind: 'Alarm',
    name: 'api-cpu-high',
    syncStatus: 'OutOfSync',
    health: {
      status: 'Degraded',
      message: 'ALARM: Threshold Crossed: 3 datapoints [91.2, 93.5, 95.0] were greater than the threshold (80.0)',
    },
    conditions: [
      { type: 'Drifted', status: 'True', reason: 'DriftDetected', message: 'threshold changed outside Berth', lastTransitionTime: ago(120) },
    ],
    lastAttemptedRevision: REVISION,
    lastAppliedRevision: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    lastError: { reason: 'Throttled', message: 'PutMetricAlarm was throttled; retrying in 8s', time: ago(60) },
    events: [
      { time: ago(60), type: 'Warning', reason: 'ApplyFailed', message: 'PutMetricAlarm was throttled' },
      { time: ago(120), type: 'Warning', reason: 'DriftDetected', message: 'threshold: 80 → 90 (changed outside Berth)' },
    ],
    diff: [{ path: 'threshold', from: 90, to: 80 }],
    lastReconciledAt: ago(60),
  };

  return {
    source: {
      description: 'git https://github.com/example/deploy.git#main:manifests',
      revision: REVISION,
      revisionCommittedAt: ago(180),
      lastFetchAt: ago(12),
      lastError: {
        revision: REJECTED_REVISION,
        reason: 'ValidationFailed',
        message: 'revision 9e8d7c6 was rejected: 1 problem in 1 file; 3f5c2a9 stays in force',
        time: ago(12),
        problems: [
          {
            file: 'manifests/api.yaml',
            line: 14,
            column: 7,
            rule: 'fargate-cpu-memory',
            message: 'cpu 256 does not allow memory 4096',
            fix: 'use memory 512, 1024 or 2048 with cpu 256',
          },
        ],
      },
    },
    role: 'leader',
    ready: true,
    resources: [apiService, cpuAlarm],
  };
}

/** `sampleStatus` at a fixed time, for tests that compare exact values. */
export const baseStatus: ControllerStatus = sampleStatus(new Date('2025-06-01T12:00:00Z'));
