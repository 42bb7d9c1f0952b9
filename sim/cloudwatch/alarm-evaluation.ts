/**
 * How a CloudWatch metric alarm decides its state from the datapoints of its evaluation range,
 * and the StateReason / StateReasonData it writes. Pure functions.
 *
 * The rules follow the CloudWatch user guide ("How alarm state is evaluated when data is
 * missing"): CloudWatch retrieves more periods than EvaluationPeriods (N), the evaluation range
 * (the guide's example retrieves 5 for N = 3; the simulator uses N + 2). Then:
 * - at least N real datapoints in the range: the N most recent are evaluated, TreatMissingData
 *   plays no part;
 * - none: `missing` → INSUFFICIENT_DATA, `ignore` → the state is kept, `breaching` → ALARM,
 *   `notBreaching` → OK;
 * - some (fewer than N): with `breaching`/`notBreaching`, the real datapoints plus as few filled
 *   ones as make N are evaluated; with `missing`/`ignore`, M (DatapointsToAlarm) breaching real
 *   datapoints mean ALARM, any non-breaching one means OK, otherwise (only breaching ones, fewer
 *   than M) `missing` goes to ALARM when the oldest breaching datapoint is at least M periods old
 *   and to INSUFFICIENT_DATA when not, and `ignore` keeps the state.
 * In every evaluation, M or more breaching datapoints among the N evaluated mean ALARM, fewer OK.
 * Every row of the guide's two example tables (3 of 3 and 2 of 3) holds under these rules.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export const ALARM_STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export type MissingDataTreatment = 'missing' | 'ignore' | 'breaching' | 'notBreaching';
export const MISSING_DATA_TREATMENTS: readonly MissingDataTreatment[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

export type ThresholdOperator = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
export const THRESHOLD_OPERATORS: readonly ThresholdOperator[] = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'];

/** One period of the evaluation range; `value` undefined when the period has no data. */
export interface PeriodDatapoint {
  /** Start of the period, epoch ms. */
  readonly timestamp: number;
  readonly value: number | undefined;
  /** Samples behind the value (single-metric alarms). */
  readonly sampleCount?: number;
}

export interface AlarmRule {
  readonly evaluationPeriods: number;
  /** M; N when the alarm sets none. */
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: ThresholdOperator;
  readonly treatMissingData: MissingDataTreatment;
}

export interface Evaluation {
  readonly state: AlarmState;
  /** The StateReason CloudWatch writes for this outcome. */
  readonly reason: string;
  /** The real datapoints the decision rests on, newest first. */
  readonly evaluated: readonly PeriodDatapoint[];
}

/** Periods CloudWatch retrieves for an alarm of N evaluation periods. */
export function evaluationRangeLength(evaluationPeriods: number): number {
  return evaluationPeriods + 2;
}

/** Whether a value breaches the threshold under the operator. */
export function breaches(operator: ThresholdOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const PHRASE: Readonly<Record<ThresholdOperator, string>> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/**
 * Decides the state for an evaluation range (oldest period first). Undefined means the alarm
 * keeps its current state (TreatMissingData `ignore` without enough data).
 */
export function evaluateAlarm(range: readonly PeriodDatapoint[], rule: AlarmRule): Evaluation | undefined {
  const n = rule.evaluationPeriods;
  const m = rule.datapointsToAlarm;
  const isBreaching = (p: PeriodDatapoint): boolean => breaches(rule.comparisonOperator, p.value as number, rule.threshold);
  // Newest first, as CloudWatch lists them in the reason.
  const real = range.filter((p) => p.value !== undefined).reverse();

  // Enough real data: the N most recent real datapoints decide; missing data plays no part.
  if (real.length >= n) return decide(real.slice(0, n), 0, rule, isBreaching);

  // No data at all.
  if (real.length === 0) {
    switch (rule.treatMissingData) {
      case 'missing':
        return { state: 'INSUFFICIENT_DATA', reason: insufficient(range.length), evaluated: [] };
      case 'ignore':
        return undefined;
      case 'breaching':
      case 'notBreaching':
        return decide([], n, rule, isBreaching);
    }
  }

  // Some data: breaching/notBreaching fill the gap, as few times as possible.
  const fills = n - real.length;
  if (rule.treatMissingData === 'breaching' || rule.treatMissingData === 'notBreaching') return decide(real, fills, rule, isBreaching);

  // missing/ignore: the real datapoints decide when they can.
  const breachingCount = real.filter(isBreaching).length;
  if (breachingCount >= m || breachingCount < real.length) return decide(real, 0, rule, isBreaching, real.length);
  // Only breaching datapoints, fewer than M: ALARM once the oldest is M periods old (`missing`).
  if (rule.treatMissingData === 'ignore') return undefined;
  const oldest = real[real.length - 1] as PeriodDatapoint;
  const age = range.length - range.indexOf(oldest);
  if (age >= m) return { state: 'ALARM', reason: thresholdReason('ALARM', real, real.length, 0, rule), evaluated: real };
  return { state: 'INSUFFICIENT_DATA', reason: insufficient(range.length - real.length), evaluated: [] };
}

/** M of N over the real datapoints plus `fills` filled ones (breaching or not, per the rule). */
function decide(real: readonly PeriodDatapoint[], fills: number, rule: AlarmRule, isBreaching: (p: PeriodDatapoint) => boolean, outOf = rule.evaluationPeriods): Evaluation {
  const filledBreaching = rule.treatMissingData === 'breaching' ? fills : 0;
  const breachingCount = real.filter(isBreaching).length + filledBreaching;
  const state: AlarmState = breachingCount >= rule.datapointsToAlarm ? 'ALARM' : 'OK';
  // The filled datapoints count in the reason when they pushed toward the outcome.
  const countedFills = state === 'ALARM' ? filledBreaching : rule.treatMissingData === 'notBreaching' ? fills : 0;
  const listed = real.filter((p) => isBreaching(p) === (state === 'ALARM'));
  return { state, reason: thresholdReason(state, listed, outOf, countedFills, rule), evaluated: real };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `Insufficient Data: 5 datapoints were unknown.` */
function insufficient(unknown: number): string {
  return `Insufficient Data: ${plural(unknown, 'datapoint')} ${unknown === 1 ? 'was' : 'were'} unknown.`;
}

/**
 * `Threshold Crossed: 3 out of the last 3 datapoints [25.0 (01/01/26 00:02:00), …] were greater
 * than the threshold (20.0) (minimum 3 datapoints for OK -> ALARM transition).`
 */
function thresholdReason(state: 'ALARM' | 'OK', listed: readonly PeriodDatapoint[], outOf: number, fills: number, rule: AlarmRule): string {
  const kind = state === 'ALARM' ? 'Breaching' : 'NonBreaching';
  const fillText = `${plural(fills, 'missing datapoint')} ${fills === 1 ? 'was' : 'were'} treated as [${kind}]`;
  if (listed.length === 0) return `Threshold Crossed: no datapoints were received for ${plural(fills, 'period')} and ${fillText}.`;
  const points = listed.map((p) => `${javaDouble(p.value as number)} (${reasonTime(p.timestamp)})`).join(', ');
  const verb = listed.length === 1 ? 'was' : 'were';
  const comparison = `${state === 'OK' ? 'not ' : ''}${PHRASE[rule.comparisonOperator]}`;
  const minimum = state === 'ALARM' ? rule.datapointsToAlarm : rule.evaluationPeriods - rule.datapointsToAlarm + 1;
  const transition = state === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK';
  return (
    `Threshold Crossed: ${listed.length} out of the last ${outOf} datapoints [${points}] ${verb} ${comparison} the threshold (${javaDouble(rule.threshold)})` +
    (fills > 0 ? ` and ${fillText}` : '') +
    ` (minimum ${plural(minimum, 'datapoint')} for ${transition} transition).`
  );
}

/** The StateReasonData JSON of a threshold evaluation, in CloudWatch's layout. */
export function stateReasonData(input: {
  readonly queryDate: number;
  readonly startDate: number;
  /** Single-metric alarms: the Statistic or ExtendedStatistic. */
  readonly statistic?: string;
  readonly unit?: string;
  readonly period: number;
  readonly range: readonly PeriodDatapoint[];
  readonly threshold: number;
  readonly evaluated: readonly PeriodDatapoint[];
}): string {
  const parts = [`"version":"1.0"`, `"queryDate":${JSON.stringify(isoTime(input.queryDate))}`, `"startDate":${JSON.stringify(isoTime(input.startDate))}`];
  if (input.statistic !== undefined) parts.push(`"statistic":${JSON.stringify(input.statistic)}`);
  if (input.unit !== undefined) parts.push(`"unit":${JSON.stringify(input.unit)}`);
  parts.push(`"period":${input.period}`);
  const recent = input.range.filter((p) => p.value !== undefined).map((p) => javaDouble(p.value as number));
  parts.push(`"recentDatapoints":[${recent.join(',')}]`);
  parts.push(`"threshold":${javaDouble(input.threshold)}`);
  if (input.evaluated.length > 0) {
    const evaluated = input.evaluated.map((p) => {
      const fields = [`"timestamp":${JSON.stringify(isoTime(p.timestamp))}`];
      if (p.sampleCount !== undefined) fields.push(`"sampleCount":${javaDouble(p.sampleCount)}`);
      fields.push(`"value":${javaDouble(p.value as number)}`);
      return `{${fields.join(',')}}`;
    });
    parts.push(`"evaluatedDatapoints":[${evaluated.join(',')}]`);
  }
  return `{${parts.join(',')}}`;
}

/** A double as Java prints it (CloudWatch's reasons do): `25.0`, `0.5`, `1.0E7`, `1.5E-4`. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(x);
  if (abs === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(x) ? x.toFixed(1) : String(x);
  const [mantissa = '', exponent = ''] = x.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `dd/MM/yy HH:mm:ss` in UTC, as in StateReason. */
export function reasonTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `2026-01-01T00:03:00.000+0000`, as in StateReasonData. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
