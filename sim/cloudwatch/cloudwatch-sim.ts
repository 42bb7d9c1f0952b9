/**
 * Simulated Amazon CloudWatch (AWS JSON 1.0 in query-compatible mode, and the older AWS Query
 * form): metric alarms evaluated on the simulated clock, and a metric store with statistics,
 * percentiles and a subset of metric math. One set of alarms and metrics per region.
 */
import { AwsError } from '../errors.ts';
import type { Operation, OperationContext, SimService, TaggedResource, TagSource, World } from '../world.ts';
import { ALARM_STATES, evaluateAlarm, stateReasonData } from './alarm-evaluation.ts';
import type { AlarmState } from './alarm-evaluation.ts';
import { alarmArn, AlarmStore, checkSingleSeries, checkTags, describeAlarm, evaluationRange, MAX_ALARMS, parseAlarmArn, parsePutMetricAlarm, PUT_METRIC_ALARM, TAG } from './alarms.ts';
import type { Alarm } from './alarms.ts';
import { GET_METRIC_DATA, GET_METRIC_STATISTICS, getMetricData, getMetricStatistics, LIST_METRICS, listMetrics, PUT_METRIC_DATA, putMetricData } from './metric-data.ts';
import { MetricStore } from './metric-store.ts';
import type { Dimension } from './metric-store.ts';
import { checkEnum, checkLength, checkRange, decodeToken, encodeToken, int, list, missing, normalize, str, structure } from './normalize-input.ts';
import type { Infer, Shape } from './normalize-input.ts';
import { aggregateValues, isLowSampleCount } from './statistics.ts';

const ALARM_NAMES = structure({ AlarmNames: list(str) });
const DESCRIBE_ALARMS = structure({
  AlarmNames: list(str),
  AlarmNamePrefix: str,
  AlarmTypes: list(str),
  ChildrenOfAlarmName: str,
  ParentsOfAlarmName: str,
  StateValue: str,
  ActionPrefix: str,
  MaxRecords: int,
  NextToken: str,
});
const SET_ALARM_STATE = structure({ AlarmName: str, StateValue: str, StateReason: str, StateReasonData: str });
const TAG_RESOURCE = structure({ ResourceARN: str, Tags: list(TAG) });
const UNTAG_RESOURCE = structure({ ResourceARN: str, TagKeys: list(str) });
const LIST_TAGS = structure({ ResourceARN: str });

/** DescribeAlarms returns 50 alarms a page unless MaxRecords (1–100) says otherwise. */
const DEFAULT_MAX_RECORDS = 50;
/** Alarms on periods of a minute or more are evaluated every minute; 10/20/30 s alarms every period. */
const STANDARD_EVALUATION_MS = 60_000;

interface Region {
  readonly alarms: AlarmStore;
  readonly metrics: MetricStore;
}

export class CloudWatchSim implements SimService, TagSource {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly world: World;
  private readonly regions = new Map<string, Region>();
  /** When the next evaluation tick runs; undefined while no alarm exists. */
  private nextTickAt: number | undefined;
  /** Milliseconds between ticks: the gcd of the alarms' evaluation intervals. */
  private step: number | undefined;
  private lastPruneAt = 0;

  constructor(world: World) {
    this.world = world;
    // Every operation normalizes its input (JSON or Query) through its shape first.
    const op =
      <S extends Shape>(shape: S, handler: (input: Infer<S>, region: Region, ctx: OperationContext) => unknown): Operation =>
      (input, ctx) =>
        handler(normalize(shape, input), this.region(ctx.region), ctx);
    this.operations = {
      PutMetricAlarm: op(PUT_METRIC_ALARM, (input, region, ctx) => this.putMetricAlarm(input, region, ctx.region)),
      DescribeAlarms: op(DESCRIBE_ALARMS, (input, region) => this.describeAlarms(input, region)),
      DeleteAlarms: op(ALARM_NAMES, (input, region) => this.deleteAlarms(input, region)),
      SetAlarmState: op(SET_ALARM_STATE, (input, region) => this.setAlarmState(input, region)),
      EnableAlarmActions: op(ALARM_NAMES, (input, region) => this.setActionsEnabled(input, region, true)),
      DisableAlarmActions: op(ALARM_NAMES, (input, region) => this.setActionsEnabled(input, region, false)),
      PutMetricData: op(PUT_METRIC_DATA, (input, region) => {
        putMetricData(region.metrics, input, this.now);
        this.pruneIfDue();
        return undefined;
      }),
      GetMetricStatistics: op(GET_METRIC_STATISTICS, (input, region) => getMetricStatistics(region.metrics, input)),
      GetMetricData: op(GET_METRIC_DATA, (input, region) => getMetricData(region.metrics, input)),
      ListMetrics: op(LIST_METRICS, (input, region) => listMetrics(region.metrics, input, this.now)),
      TagResource: op(TAG_RESOURCE, (input, _region, ctx) => this.tagResource(input, ctx.region)),
      UntagResource: op(UNTAG_RESOURCE, (input, _region, ctx) => this.untagResource(input, ctx.region)),
      ListTagsForResource: op(LIST_TAGS, (input, _region, ctx) => ({ Tags: [...this.taggedAlarm(input.ResourceARN, ctx.region).tags].map(([Key, Value]) => ({ Key, Value })) })),
    };
  }

  private get now(): number {
    return this.world.scheduler.now;
  }

  private region(name: string): Region {
    let region = this.regions.get(name);
    if (!region) {
      region = { alarms: new AlarmStore(), metrics: new MetricStore() };
      this.regions.set(name, region);
    }
    return region;
  }

  // -------------------------------------------------------------------------------------------
  // Ports for the other simulated services and the admin API
  // -------------------------------------------------------------------------------------------

  /**
   * Publishes a datapoint the way an AWS service does (so `AWS/…` namespaces are allowed, unlike
   * PutMetricData): for simulated ECS or load balancers feeding the alarms Berth manages.
   */
  publish(region: string, datum: { readonly namespace: string; readonly metricName: string; readonly dimensions?: readonly Dimension[]; readonly value: number; readonly unit?: string; readonly at?: number }): void {
    this.region(region).metrics.put({
      namespace: datum.namespace,
      metricName: datum.metricName,
      dimensions: datum.dimensions ?? [],
      at: datum.at ?? this.now,
      highResolution: false,
      unit: datum.unit ?? 'None',
      aggregate: aggregateValues([{ value: datum.value, count: 1 }]),
      receivedAt: this.now,
    });
  }

  /** An alarm's current state, or undefined when it does not exist (e.g. for ECS deployment alarms). */
  alarmState(region: string, name: string): AlarmState | undefined {
    return this.regions.get(region)?.alarms.get(name)?.state;
  }

  /** For the Resource Groups Tagging API: the region's metric alarms. */
  *taggedResources(region: string): Generator<TaggedResource> {
    for (const alarm of this.regions.get(region)?.alarms.values() ?? []) {
      yield { arn: alarm.arn, tags: [...alarm.tags].map(([key, value]) => ({ key, value })) };
    }
  }

  dump(): unknown {
    return {
      regions: Object.fromEntries(
        [...this.regions].map(([name, region]) => [
          name,
          {
            alarms: [...region.alarms.inOrder(undefined)].map((a) => ({
              name: a.name,
              state: a.state,
              reason: a.stateReason,
              actionsEnabled: a.actionsEnabled,
              periodSeconds: a.periodSeconds,
              stateUpdatedAt: new Date(a.stateUpdatedAt).toISOString(),
            })),
            metrics: region.metrics.all().map((s) => ({
              namespace: s.namespace,
              metricName: s.metricName,
              dimensions: s.dimensions,
              points: s.points.length,
              last: s.points.length ? new Date((s.points[s.points.length - 1] as { at: number }).at).toISOString() : undefined,
            })),
          },
        ]),
      ),
      nextEvaluation: this.nextTickAt === undefined ? undefined : new Date(this.nextTickAt).toISOString(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Alarms
  // -------------------------------------------------------------------------------------------

  private putMetricAlarm(input: Infer<typeof PUT_METRIC_ALARM>, region: Region, regionName: string): undefined {
    const { config, watch, periodSeconds } = parsePutMetricAlarm(input, regionName);
    checkSingleSeries(watch, region.metrics, this.now, periodSeconds);
    const existing = region.alarms.get(config.AlarmName);
    const now = this.now;
    if (existing) {
      // An update replaces the configuration and keeps the state; its Tags are ignored (use TagResource).
      existing.config = config;
      existing.watch = watch;
      existing.periodSeconds = periodSeconds;
      existing.actionsEnabled = input.ActionsEnabled ?? true;
      existing.configUpdatedAt = now;
      this.ensureTick(existing);
    } else {
      if (region.alarms.size >= MAX_ALARMS) throw new AwsError('LimitExceeded', 'The quota for alarms for this customer has already been reached.');
      // A new alarm starts in INSUFFICIENT_DATA until its first evaluation.
      region.alarms.add({
        name: config.AlarmName,
        arn: alarmArn(regionName, this.world.accountId, config.AlarmName),
        region: regionName,
        config,
        watch,
        periodSeconds,
        actionsEnabled: input.ActionsEnabled ?? true,
        state: 'INSUFFICIENT_DATA',
        stateReason: 'Unchecked: Initial alarm creation',
        stateReasonData: undefined,
        stateUpdatedAt: now,
        stateTransitionedAt: now,
        configUpdatedAt: now,
        tags: new Map((input.Tags ?? []).map((t) => [t.Key as string, t.Value as string])),
      });
      this.ensureTick(region.alarms.get(config.AlarmName));
    }
    return undefined;
  }

  private describeAlarms(input: Infer<typeof DESCRIBE_ALARMS>, region: Region): unknown {
    // Limits and enums of the request.
    checkLength(input.AlarmNames, 'AlarmNames', 0, 100);
    input.AlarmNames?.forEach((n, i) => checkLength(n, `AlarmNames.member.${i + 1}`, 1, 255));
    checkLength(input.AlarmNamePrefix, 'AlarmNamePrefix', 1, 255);
    checkLength(input.ActionPrefix, 'ActionPrefix', 1, 1024);
    checkRange(input.MaxRecords, 'MaxRecords', 1, 100);
    const stateValue = checkEnum(input.StateValue, 'StateValue', ALARM_STATES);
    input.AlarmTypes?.forEach((t, i) => checkEnum(t, `AlarmTypes.member.${i + 1}`, ['CompositeAlarm', 'MetricAlarm', 'LogAlarm'] as const));
    if (input.AlarmNames !== undefined && input.AlarmNames.length > 0 && input.AlarmNamePrefix !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'AlarmNamePrefix and AlarmNames cannot be specified together.');
    }
    // Composite alarms are not simulated: their children and parents are always none.
    if (input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) {
      const others = (['AlarmNames', 'AlarmNamePrefix', 'AlarmTypes', 'StateValue', 'ActionPrefix'] as const).filter((f) => input[f] !== undefined);
      if (others.length > 0) throw new AwsError('ValidationError', `ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with ${others.join(', ')}.`);
      return { MetricAlarms: [], CompositeAlarms: [] };
    }
    const token = decodeToken(input.NextToken);
    const after = typeof token?.after === 'string' ? token.after : undefined;
    if (token !== undefined && after === undefined) throw new AwsError('InvalidNextToken', 'The value of NextToken is invalid.');
    const wantMetric = input.AlarmTypes === undefined || input.AlarmTypes.length === 0 || input.AlarmTypes.includes('MetricAlarm');
    if (!wantMetric) return { MetricAlarms: [], CompositeAlarms: [] };

    // Candidates in name order: the named ones (by index), or every name from the prefix on.
    const candidates: Iterable<Alarm> =
      input.AlarmNames !== undefined && input.AlarmNames.length > 0
        ? [...new Set(input.AlarmNames)]
            .filter((n) => after === undefined || n > after)
            .sort()
            .flatMap((n) => region.alarms.get(n) ?? [])
        : region.alarms.inOrder(after, input.AlarmNamePrefix ?? '');
    const actionPrefix = input.ActionPrefix;
    const matches = (a: Alarm): boolean =>
      (stateValue === undefined || a.state === stateValue) &&
      (actionPrefix === undefined || [...a.config.OKActions, ...a.config.AlarmActions, ...a.config.InsufficientDataActions].some((x) => x.startsWith(actionPrefix)));
    const max = input.MaxRecords ?? DEFAULT_MAX_RECORDS;
    const page: Alarm[] = [];
    let more = false;
    for (const alarm of candidates) {
      if (!matches(alarm)) continue;
      if (page.length === max) {
        more = true;
        break;
      }
      page.push(alarm);
    }
    const last = page[page.length - 1];
    return { MetricAlarms: page.map(describeAlarm), CompositeAlarms: [], ...(more && last ? { NextToken: encodeToken({ after: last.name }) } : {}) };
  }

  private deleteAlarms(input: Infer<typeof ALARM_NAMES>, region: Region): undefined {
    if (input.AlarmNames === undefined) throw missing('AlarmNames');
    checkLength(input.AlarmNames, 'AlarmNames', 0, 100);
    // Any unknown name fails the call and deletes nothing (ResourceNotFound, 404).
    const unknown = input.AlarmNames.filter((n) => !region.alarms.get(n));
    if (unknown.length > 0) throw new AwsError('ResourceNotFound', `${unknown.length} of the alarms in the request were not found: ${unknown.join(', ')}`, 404);
    for (const name of input.AlarmNames) region.alarms.delete(name);
    return undefined;
  }

  private setAlarmState(input: Infer<typeof SET_ALARM_STATE>, region: Region): undefined {
    if (input.AlarmName === undefined) throw missing('AlarmName');
    if (input.StateValue === undefined) throw missing('StateValue');
    if (input.StateReason === undefined) throw missing('StateReason');
    checkLength(input.AlarmName, 'AlarmName', 1, 255);
    checkLength(input.StateReason, 'StateReason', 0, 1023);
    checkLength(input.StateReasonData, 'StateReasonData', 0, 4000);
    const state = checkEnum(input.StateValue, 'StateValue', ALARM_STATES) as AlarmState;
    // StateReasonData must be JSON (InvalidFormat).
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw new AwsError('InvalidFormat', 'StateReasonData is not valid JSON.');
      }
    }
    const alarm = region.alarms.get(input.AlarmName);
    if (!alarm) throw new AwsError('ResourceNotFound', `Alarm ${input.AlarmName} not found`, 404);
    // The state holds until the next evaluation, which may change it back.
    if (alarm.state === state) {
      alarm.stateReason = input.StateReason;
      alarm.stateReasonData = input.StateReasonData;
    } else {
      this.transition(alarm, state, input.StateReason, input.StateReasonData, this.now);
    }
    return undefined;
  }

  private setActionsEnabled(input: Infer<typeof ALARM_NAMES>, region: Region, enabled: boolean): undefined {
    if (input.AlarmNames === undefined) throw missing('AlarmNames');
    checkLength(input.AlarmNames, 'AlarmNames', 0, 100);
    // Unknown names are ignored.
    for (const name of input.AlarmNames) {
      const alarm = region.alarms.get(name);
      if (alarm) alarm.actionsEnabled = enabled;
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Tags
  // -------------------------------------------------------------------------------------------

  /** The alarm an ARN names in this region; ResourceNotFoundException when there is none. */
  private taggedAlarm(arn: string | undefined, regionName: string): Alarm {
    if (arn === undefined) throw missing('ResourceARN');
    checkLength(arn, 'ResourceARN', 1, 1024);
    if (!arn.startsWith('arn:')) throw new AwsError('InvalidParameterValue', `The value ${arn} for parameter ResourceARN is invalid.`);
    const parsed = parseAlarmArn(arn);
    const alarm = parsed && parsed.region === regionName && parsed.accountId === this.world.accountId ? this.regions.get(regionName)?.alarms.get(parsed.name) : undefined;
    if (!alarm) throw new AwsError('ResourceNotFoundException', `The specified resource does not exist: ${arn}`, 404);
    return alarm;
  }

  private tagResource(input: Infer<typeof TAG_RESOURCE>, regionName: string): undefined {
    if (input.Tags === undefined) throw missing('Tags');
    checkTags(input.Tags, 'Tags');
    const alarm = this.taggedAlarm(input.ResourceARN, regionName);
    // New keys are added, existing keys take the new value; 50 tags at most in all.
    const merged = new Map(alarm.tags);
    for (const tag of input.Tags) merged.set(tag.Key as string, tag.Value as string);
    if (merged.size > 50) throw new AwsError('InvalidParameterValue', `A resource can have at most 50 tags; this request would give it ${merged.size}.`);
    for (const [key, value] of merged) alarm.tags.set(key, value);
    return undefined;
  }

  private untagResource(input: Infer<typeof UNTAG_RESOURCE>, regionName: string): undefined {
    if (input.TagKeys === undefined) throw missing('TagKeys');
    checkLength(input.TagKeys, 'TagKeys', 0, 50);
    const alarm = this.taggedAlarm(input.ResourceARN, regionName);
    // Keys the alarm does not have are ignored.
    for (const key of input.TagKeys) alarm.tags.delete(key);
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Evaluation on the simulated clock
  // -------------------------------------------------------------------------------------------

  /** How often an alarm is evaluated: every minute, or every period for 10/20/30 s alarms. */
  private static interval(alarm: Alarm): number {
    return alarm.periodSeconds < 60 ? alarm.periodSeconds * 1000 : STANDARD_EVALUATION_MS;
  }

  /**
   * Schedules the next evaluation tick, aligned on the step every alarm's interval is a multiple
   * of. A new alarm narrows the step at once; each tick recomputes it from the remaining alarms.
   */
  private ensureTick(added?: Alarm): void {
    if (added) this.step = gcd(this.step ?? CloudWatchSim.interval(added), CloudWatchSim.interval(added));
    if (this.step === undefined) return;
    const at = Math.floor(this.now / this.step) * this.step + this.step;
    if (this.nextTickAt !== undefined && this.nextTickAt <= at) return;
    this.nextTickAt = at;
    this.world.scheduler.at(at, 'cloudwatch:evaluate-alarms', () => this.tick(at));
  }

  private tick(at: number): void {
    // A tick superseded by an earlier one (a high-resolution alarm arrived) does nothing.
    if (this.nextTickAt !== at) return;
    this.nextTickAt = undefined;
    let step: number | undefined;
    for (const region of this.regions.values()) {
      for (const alarm of region.alarms.values()) {
        const interval = CloudWatchSim.interval(alarm);
        step = gcd(step ?? interval, interval);
        if (at % interval === 0) this.evaluate(alarm, region, at);
      }
    }
    this.step = step;
    this.pruneIfDue();
    this.ensureTick();
  }

  /** Evaluates one alarm at `at` and applies a state change. */
  private evaluate(alarm: Alarm, region: Region, at: number): void {
    const c = alarm.config;
    let range;
    try {
      range = evaluationRange(alarm, region.metrics, at);
    } catch {
      // An expression that cannot be evaluated on the current data leaves the state as it is.
      return;
    }
    const outcome = evaluateAlarm(range, {
      evaluationPeriods: c.EvaluationPeriods,
      datapointsToAlarm: c.DatapointsToAlarm ?? c.EvaluationPeriods,
      threshold: c.Threshold,
      comparisonOperator: c.ComparisonOperator,
      treatMissingData: c.TreatMissingData ?? 'missing',
    });
    if (!outcome || outcome.state === alarm.state) return;
    // EvaluateLowSampleCountPercentile=ignore: no change while a percentile has too few samples.
    const stat = alarm.watch.kind === 'metric' ? alarm.watch.query.stat : undefined;
    if (c.EvaluateLowSampleCountPercentile === 'ignore' && stat?.kind === 'percentile' && outcome.evaluated.some((p) => isLowSampleCount(stat.p, p.sampleCount ?? 0))) return;
    const data = stateReasonData({
      queryDate: at,
      startDate: range[0]?.timestamp ?? at,
      statistic: c.Statistic ?? c.ExtendedStatistic,
      unit: c.Unit,
      period: alarm.periodSeconds,
      range,
      threshold: c.Threshold,
      evaluated: outcome.evaluated,
    });
    this.transition(alarm, outcome.state, outcome.reason, data, at);
  }

  /** A state change: the alarm's fields, and an `alarm-state` history event. */
  private transition(alarm: Alarm, to: AlarmState, reason: string, reasonData: string | undefined, at: number): void {
    const from = alarm.state;
    alarm.state = to;
    alarm.stateReason = reason;
    alarm.stateReasonData = reasonData;
    alarm.stateUpdatedAt = at;
    alarm.stateTransitionedAt = at;
    this.world.record({ service: 'cloudwatch', type: 'alarm-state', detail: { alarm: alarm.name, region: alarm.region, from, to, reason } });
  }

  /** Drops data past retention, at most once a simulated minute. */
  private pruneIfDue(): void {
    if (this.now - this.lastPruneAt < 60_000) return;
    this.lastPruneAt = this.now;
    for (const region of this.regions.values()) region.metrics.prune(this.now);
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
