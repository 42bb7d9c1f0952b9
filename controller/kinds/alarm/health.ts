/** The health of a CloudWatch metric alarm, a pure function of DescribeAlarms' answer. */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { Health } from '../../engine/plan-types.ts';

/**
 * OK → Healthy; ALARM → Degraded with CloudWatch's StateReason; INSUFFICIENT_DATA → Progressing
 * (the alarm has not got enough data to judge yet); absent → Missing. Suspended wins over the
 * state of an existing alarm. Actions that are disabled are noted in the message.
 */
export function alarmHealth(observed: MetricAlarm | undefined, suspended: boolean): Health {
  if (!observed) return { status: suspended ? 'Suspended' : 'Missing', message: 'the alarm does not exist' };
  if (suspended) return { status: 'Suspended', message: 'suspended by berth.dev/suspend' };
  const reason = observed.StateReason ?? '';
  const muted = observed.ActionsEnabled === false ? ' (actions disabled)' : '';
  switch (observed.StateValue) {
    case 'OK':
      return { status: 'Healthy', message: `OK${muted}` };
    case 'ALARM':
      return { status: 'Degraded', message: `ALARM${muted}: ${reason || 'no reason given'}` };
    case 'INSUFFICIENT_DATA':
      return { status: 'Progressing', message: `INSUFFICIENT_DATA${muted}${reason ? `: ${reason}` : ''}` };
    default:
      return { status: 'Unknown', message: `alarm state ${observed.StateValue ?? 'unknown'}` };
  }
}
