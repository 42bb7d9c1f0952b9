import { describe, expect, it } from 'vitest';
import { breaches, evaluateAlarm, evaluationRangeLength, isoTime, javaDouble, reasonTime, stateReasonData } from './alarm-evaluation.ts';
import type { AlarmRule, MissingDataTreatment, PeriodDatapoint } from './alarm-evaluation.ts';

const T0 = Date.UTC(2026, 0, 1);

/** `0 - X - X` (oldest first): 0 not breaching (5), X breaching (25), - missing; threshold 20, `>`. */
function range(pattern: string): PeriodDatapoint[] {
  return pattern.split(' ').map((c, i) => ({ timestamp: T0 + i * 60_000, value: c === '-' ? undefined : c === 'X' ? 25 : 5 }));
}

function stateFor(pattern: string, m: number, treatMissingData: MissingDataTreatment): string {
  const rule: AlarmRule = { evaluationPeriods: 3, datapointsToAlarm: m, threshold: 20, comparisonOperator: 'GreaterThanThreshold', treatMissingData };
  return evaluateAlarm(range(pattern), rule)?.state ?? 'Retain current state';
}

describe('alarm evaluation', () => {
  it('retrieves N + 2 periods (5 for 3 evaluation periods, as the user guide example)', () => {
    expect(evaluationRangeLength(3)).toBe(5);
  });

  // The user guide's table for Datapoints to Alarm = Evaluation Periods = 3.
  it.each([
    ['0 - X - X', 'OK', 'OK', 'OK', 'OK'],
    ['0 - - - -', 'OK', 'OK', 'OK', 'OK'],
    ['- - - - -', 'INSUFFICIENT_DATA', 'Retain current state', 'ALARM', 'OK'],
    ['0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['- - - - X', 'INSUFFICIENT_DATA', 'Retain current state', 'ALARM', 'OK'],
    ['X - - - -', 'ALARM', 'Retain current state', 'ALARM', 'OK'],
  ])('3 of 3: %s → missing %s, ignore %s, breaching %s, notBreaching %s', (pattern, missing, ignore, breaching, notBreaching) => {
    expect(stateFor(pattern, 3, 'missing')).toBe(missing);
    expect(stateFor(pattern, 3, 'ignore')).toBe(ignore);
    expect(stateFor(pattern, 3, 'breaching')).toBe(breaching);
    expect(stateFor(pattern, 3, 'notBreaching')).toBe(notBreaching);
  });

  // The user guide's table for a 2 out of 3 alarm.
  it.each([
    ['0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - X', 'INSUFFICIENT_DATA', 'Retain current state', 'ALARM', 'OK'],
  ])('2 of 3: %s → missing %s, ignore %s, breaching %s, notBreaching %s', (pattern, missing, ignore, breaching, notBreaching) => {
    expect(stateFor(pattern, 2, 'missing')).toBe(missing);
    expect(stateFor(pattern, 2, 'ignore')).toBe(ignore);
    expect(stateFor(pattern, 2, 'breaching')).toBe(breaching);
    expect(stateFor(pattern, 2, 'notBreaching')).toBe(notBreaching);
  });

  it('writes the Threshold Crossed reason with the datapoints, newest first', () => {
    const rule: AlarmRule = { evaluationPeriods: 3, datapointsToAlarm: 3, threshold: 20, comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'missing' };
    const alarm = evaluateAlarm(range('- - X X X'), rule);
    expect(alarm?.state).toBe('ALARM');
    expect(alarm?.reason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [25.0 (01/01/26 00:04:00), 25.0 (01/01/26 00:03:00), 25.0 (01/01/26 00:02:00)] were greater than the threshold (20.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    const ok = evaluateAlarm(range('X X X 0 X'), rule);
    expect(ok?.reason).toBe('Threshold Crossed: 1 out of the last 3 datapoints [5.0 (01/01/26 00:03:00)] was not greater than the threshold (20.0) (minimum 1 datapoint for ALARM -> OK transition).');
    const missing = evaluateAlarm(range('- - - - -'), rule);
    expect(missing?.reason).toBe('Insufficient Data: 5 datapoints were unknown.');
    const breaching = evaluateAlarm(range('- - - - -'), { ...rule, treatMissingData: 'breaching' });
    expect(breaching?.reason).toBe('Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].');
    const fewer = evaluateAlarm(range('- - - X X'), { ...rule, treatMissingData: 'breaching' });
    expect(fewer?.reason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [25.0 (01/01/26 00:04:00), 25.0 (01/01/26 00:03:00)] were greater than the threshold (20.0) and 1 missing datapoint was treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).',
    );
    const notBreaching = evaluateAlarm(range('- - - - -'), { ...rule, datapointsToAlarm: 1, evaluationPeriods: 1, treatMissingData: 'notBreaching' });
    expect(notBreaching?.reason).toBe('Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].');
  });

  it('compares with each operator', () => {
    expect(breaches('GreaterThanThreshold', 20, 20)).toBe(false);
    expect(breaches('GreaterThanOrEqualToThreshold', 20, 20)).toBe(true);
    expect(breaches('LessThanThreshold', 20, 20)).toBe(false);
    expect(breaches('LessThanOrEqualToThreshold', 20, 20)).toBe(true);
    expect(breaches('LessThanThreshold', 0, 1)).toBe(true);
  });

  it('formats numbers and times as CloudWatch does', () => {
    expect(javaDouble(25)).toBe('25.0');
    expect(javaDouble(0.5)).toBe('0.5');
    expect(javaDouble(-3)).toBe('-3.0');
    expect(javaDouble(1e7)).toBe('1.0E7');
    expect(javaDouble(12345678.5)).toBe('1.23456785E7');
    expect(javaDouble(0.00015)).toBe('1.5E-4');
    expect(javaDouble(0)).toBe('0.0');
    expect(reasonTime(Date.UTC(2026, 10, 22, 10, 0, 5))).toBe('22/11/26 10:00:05');
    expect(isoTime(Date.UTC(2026, 0, 1, 0, 3))).toBe('2026-01-01T00:03:00.000+0000');
  });

  it('builds StateReasonData as JSON in CloudWatch layout', () => {
    const data = stateReasonData({
      queryDate: T0 + 300_000,
      startDate: T0,
      statistic: 'Maximum',
      unit: 'Count',
      period: 60,
      range: [{ timestamp: T0, value: undefined }, { timestamp: T0 + 60_000, value: 25, sampleCount: 6 }],
      threshold: 20,
      evaluated: [{ timestamp: T0 + 60_000, value: 25, sampleCount: 6 }],
    });
    expect(data).toBe(
      '{"version":"1.0","queryDate":"2026-01-01T00:05:00.000+0000","startDate":"2026-01-01T00:00:00.000+0000","statistic":"Maximum","unit":"Count","period":60,"recentDatapoints":[25.0],"threshold":20.0,"evaluatedDatapoints":[{"timestamp":"2026-01-01T00:01:00.000+0000","sampleCount":6.0,"value":25.0}]}',
    );
    expect(JSON.parse(data)).toMatchObject({ version: '1.0', threshold: 20, recentDatapoints: [25] });
  });
});
