/**
 * The `CloudWatchPort` over the SDK's `CloudWatchClient`. DescribeAlarms is asked by name, 100
 * names a call (the API's limit), batches in parallel, each following NextToken. Every call goes
 * through `call()`, which types whatever AWS throws with `classifyAwsError`.
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, MetricAlarm, PutMetricAlarmCommandInput, Tag } from '@aws-sdk/client-cloudwatch';
import { chunks, classified, unique } from './adapter-support.ts';
import type { CloudWatchPort } from './ports.ts';

/** DescribeAlarms takes at most 100 AlarmNames a call. */
export const DESCRIBE_ALARMS_BATCH = 100;


export class CloudWatchAdapter implements CloudWatchPort {
  readonly region: string;
  private readonly client: CloudWatchClient;

  constructor(client: CloudWatchClient, region: string) {
    this.client = client;
    this.region = region;
  }

  /** Runs one SDK call; anything it throws leaves as a classified `ReconcileError`. */
  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return classified(`cloudwatch:${operation}`, run);
  }

  private async describeBatch(names: readonly string[]): Promise<MetricAlarm[]> {
    const alarms: MetricAlarm[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call('DescribeAlarms', () =>
        this.client.send(
          new DescribeAlarmsCommand({ AlarmNames: [...names], AlarmTypes: ['MetricAlarm'], MaxRecords: DESCRIBE_ALARMS_BATCH, ...(nextToken !== undefined && { NextToken: nextToken }) }),
        ),
      );
      alarms.push(...(out.MetricAlarms ?? []));
      nextToken = out.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    return alarms;
  }

  async describeAlarms(names: readonly string[]): Promise<{ alarms: MetricAlarm[]; missing: string[] }> {
    const wanted = unique(names);
    const found = (await Promise.all(chunks(wanted, DESCRIBE_ALARMS_BATCH).map((batch) => this.describeBatch(batch)))).flat();
    const alarms: MetricAlarm[] = [];
    const missing: string[] = [];
    for (const name of wanted) {
      const alarm = found.find((a) => a.AlarmName === name);
      if (alarm) alarms.push(alarm);
      else missing.push(name);
    }
    return { alarms, missing };
  }

  async putMetricAlarm(input: PutMetricAlarmCommandInput): Promise<void> {
    await this.call('PutMetricAlarm', () => this.client.send(new PutMetricAlarmCommand(input)));
  }

  async setActionsEnabled(names: readonly string[], enabled: boolean): Promise<void> {
    if (names.length === 0) return;
    const AlarmNames = unique(names);
    if (enabled) await this.call('EnableAlarmActions', () => this.client.send(new EnableAlarmActionsCommand({ AlarmNames })));
    else await this.call('DisableAlarmActions', () => this.client.send(new DisableAlarmActionsCommand({ AlarmNames })));
  }

  async tagResource(arn: string, tags: readonly Tag[]): Promise<void> {
    if (tags.length === 0) return;
    await this.call('TagResource', () => this.client.send(new TagResourceCommand({ ResourceARN: arn, Tags: [...tags] })));
  }

  async listTags(arn: string): Promise<Tag[]> {
    const out = await this.call('ListTagsForResource', () => this.client.send(new ListTagsForResourceCommand({ ResourceARN: arn })));
    return out.Tags ?? [];
  }

  async deleteAlarms(names: readonly string[]): Promise<void> {
    await Promise.all(
      chunks(unique(names), DESCRIBE_ALARMS_BATCH).map((AlarmNames) => this.call('DeleteAlarms', () => this.client.send(new DeleteAlarmsCommand({ AlarmNames })))),
    );
  }

  async putMetricValue(input: { readonly namespace: string; readonly metricName: string; readonly dimensions: Readonly<Record<string, string>>; readonly value: number; readonly timestamp: Date }): Promise<void> {
    await this.call('PutMetricData', () =>
      this.client.send(
        new PutMetricDataCommand({
          Namespace: input.namespace,
          MetricData: [{ MetricName: input.metricName, Dimensions: Object.entries(input.dimensions).map(([Name, Value]) => ({ Name, Value })), Value: input.value, Timestamp: input.timestamp, Unit: 'Count' }],
        }),
      ),
    );
  }
}
