import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { alarmHealth } from './health.ts';

const REASON = 'Threshold Crossed: 3 out of the last 3 datapoints [25.0 (01/01/25 00:02:00), …] were greater than the threshold (20.0)';

describe('alarmHealth', () => {
  it.each<[string, MetricAlarm | undefined, boolean, string, string]>([
    ['absent', undefined, false, 'Missing', 'the alarm does not exist'],
    ['absent, suspended', undefined, true, 'Suspended', 'the alarm does not exist'],
    ['OK', { StateValue: 'OK', StateReason: 'fine' }, false, 'Healthy', 'OK'],
    ['OK, actions disabled', { StateValue: 'OK', ActionsEnabled: false }, false, 'Healthy', 'OK (actions disabled)'],
    ['ALARM', { StateValue: 'ALARM', StateReason: REASON }, false, 'Degraded', `ALARM: ${REASON}`],
    ['ALARM without reason', { StateValue: 'ALARM' }, false, 'Degraded', 'ALARM: no reason given'],
    ['INSUFFICIENT_DATA', { StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation' }, false, 'Progressing', 'INSUFFICIENT_DATA: Unchecked: Initial alarm creation'],
    ['INSUFFICIENT_DATA without reason', { StateValue: 'INSUFFICIENT_DATA' }, false, 'Progressing', 'INSUFFICIENT_DATA'],
    ['ALARM, suspended', { StateValue: 'ALARM', StateReason: REASON }, true, 'Suspended', 'suspended by berth.dev/suspend'],
    ['no state', {}, false, 'Unknown', 'alarm state unknown'],
  ])('%s', (_name, observed, suspended, status, message) => {
    expect(alarmHealth(observed, suspended)).toEqual({ status, message });
  });
});
