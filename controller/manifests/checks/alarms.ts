/** An alarm watches exactly one thing, over periods CloudWatch supports. */
import type { PathSegment } from '../diagnostics.ts';
import type { AlarmManifest, ManifestEntry } from '../types.ts';
import type { Check, CheckContext } from './context.ts';

type AlarmEntry = ManifestEntry<AlarmManifest>;

/** Either one metric with one statistic, or metric math in `metrics`, as PutMetricAlarm requires. */
export const alarmMetric: Check = (ctx) => {
  for (const entry of ctx.of('Alarm')) {
    const spec = entry.manifest.spec;
    if (spec.metrics !== undefined) {
      checkMetricMath(ctx, entry);
      continue;
    }
    const missing = (['namespace', 'metricName', 'period'] as const).filter((f) => spec[f] === undefined);
    if (missing.length > 0) {
      ctx.report(entry, {
        rule: 'alarm/metric-required',
        path: ['spec'],
        at: 'key',
        message: `the alarm watches no metric: \`${missing.join('`, `')}\` missing`,
        expected: 'namespace, metricName, period and a statistic, or `metrics` for metric math',
        found: `no ${missing.join(', ')}`,
        fix: `add \`${missing.join('`, `')}\` under \`spec\``,
      });
    }
    if ((spec.statistic === undefined) === (spec.extendedStatistic === undefined)) {
      const both = spec.statistic !== undefined;
      ctx.report(entry, {
        rule: 'alarm/statistic',
        path: both ? ['spec', 'extendedStatistic'] : ['spec'],
        at: 'key',
        message: both
          ? 'an alarm takes `statistic` or `extendedStatistic`, not both'
          : 'the alarm has no statistic',
        expected: '`statistic` (e.g. Average) or `extendedStatistic` (a percentile such as p95)',
        found: both ? 'both' : 'neither',
        fix: both ? 'remove one of them' : 'add `statistic: Average` (or Sum, Maximum …) or `extendedStatistic: p95`',
      });
    }
    checkPeriod(ctx, entry, spec.period, ['spec', 'period']);
  }
};

function checkMetricMath(ctx: CheckContext, entry: AlarmEntry): void {
  const spec = entry.manifest.spec;
  const metrics = spec.metrics ?? [];
  for (const field of ['namespace', 'metricName', 'dimensions', 'period', 'unit', 'statistic', 'extendedStatistic'] as const) {
    if (spec[field] === undefined) continue;
    ctx.report(entry, {
      rule: 'alarm/metrics-exclusive',
      path: ['spec', field],
      at: 'key',
      message: `\`${field}\` cannot be set together with \`metrics\`; with metric math each metric is described inside \`metrics\``,
      expected: `no \`${field}\` beside \`metrics\``,
      found: `\`${field}\``,
      fix: `remove \`${field}\`, or describe the metric inside \`metrics[].metricStat\``,
    });
  }
  const ids = new Set<string>();
  metrics.forEach((query, i) => {
    if (ids.has(query.id)) {
      ctx.report(entry, {
        rule: 'alarm/metric-id',
        path: ['spec', 'metrics', i, 'id'],
        message: `metric id ${query.id} is used twice`,
        expected: 'unique ids',
        found: JSON.stringify(query.id),
        fix: 'rename one of them',
      });
    }
    ids.add(query.id);
    if ((query.expression === undefined) === (query.metricStat === undefined)) {
      ctx.report(entry, {
        rule: 'alarm/metric-query',
        path: ['spec', 'metrics', i],
        message: `metric ${query.id} needs exactly one of \`expression\` and \`metricStat\``,
        expected: 'one of them',
        found: query.expression === undefined ? 'neither' : 'both',
        fix: 'give it an `expression` (metric math) or a `metricStat` (a metric), not both',
      });
    }
    if (query.metricStat) checkPeriod(ctx, entry, query.metricStat.period, ['spec', 'metrics', i, 'metricStat', 'period']);
  });
  // ReturnData defaults to true, and exactly one query may return data: the one the alarm watches.
  const returning = metrics.filter((q) => q.returnData !== false);
  if (metrics.length > 0 && returning.length !== 1) {
    ctx.report(entry, {
      rule: 'alarm/return-data',
      path: ['spec', 'metrics'],
      at: 'key',
      message: `exactly one of \`metrics\` must return data (the series the alarm compares); ${returning.length} do`,
      expected: '1',
      found: String(returning.length),
      fix: 'set `returnData: false` on every query but the one the alarm watches',
    });
  }
}

/** CloudWatch alarms take periods of 10, 20 or 30 seconds, or a multiple of 60. */
function checkPeriod(ctx: CheckContext, entry: AlarmEntry, period: number | undefined, path: readonly PathSegment[]): void {
  if (period === undefined || [10, 20, 30].includes(period) || period % 60 === 0) return;
  const up = Math.ceil(period / 60) * 60;
  ctx.report(entry, {
    rule: 'alarm/period',
    path,
    message: `an alarm period of ${period} s is not one CloudWatch supports`,
    expected: '10, 20, 30, or a multiple of 60 seconds',
    found: `${period}`,
    fix: `use ${period < 60 ? '10, 20, 30 or 60' : `${up - 60 > 0 ? `${up - 60} or ` : ''}${up}`}`,
  });
}

/** datapointsToAlarm (M of N) cannot exceed evaluationPeriods (N). */
export const alarmDatapoints: Check = (ctx) => {
  for (const entry of ctx.of('Alarm')) {
    const { datapointsToAlarm, evaluationPeriods } = entry.manifest.spec;
    if (datapointsToAlarm === undefined || datapointsToAlarm <= evaluationPeriods) continue;
    ctx.report(entry, {
      rule: 'alarm/datapoints',
      path: ['spec', 'datapointsToAlarm'],
      message: `datapointsToAlarm ${datapointsToAlarm} is more than evaluationPeriods ${evaluationPeriods}`,
      expected: `at most ${evaluationPeriods}`,
      found: String(datapointsToAlarm),
      fix: `lower datapointsToAlarm to ${evaluationPeriods} or less, or raise evaluationPeriods`,
    });
  }
};
