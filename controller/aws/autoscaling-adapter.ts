/**
 * The `AutoScalingPort` over the SDK's `AutoScalingClient`. Berth never creates or deletes groups:
 * it describes them and sets their sizes (and tags). Every call goes through `call()`, which types
 * whatever AWS throws with `classifyAwsError`.
 */
import {
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetInstanceProtectionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { Activity, AutoScalingClient, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { chunks, classified, unique } from './adapter-support.ts';
import type { AutoScalingPort } from './ports.ts';

/**
 * DescribeAutoScalingGroups takes at most 50 names a call unless MaxRecords is raised; 50 keeps
 * within the default, and each call still pages by NextToken.
 */
export const DESCRIBE_GROUPS_BATCH = 50;
/** SetInstanceProtection takes at most 50 instances a call. */
export const SET_INSTANCE_PROTECTION_BATCH = 50;
/** The largest page DescribeAutoScalingGroups returns. */
export const DESCRIBE_GROUPS_MAX_RECORDS = 100;


export class AutoScalingAdapter implements AutoScalingPort {
  readonly region: string;
  private readonly client: AutoScalingClient;

  constructor(client: AutoScalingClient, region: string) {
    this.client = client;
    this.region = region;
  }

  /** Runs one SDK call; anything it throws leaves as a classified `ReconcileError`. */
  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return classified(`autoscaling:${operation}`, run);
  }

  /** Every group of one batch of names, page after page. */
  private async describeBatch(names: string[]): Promise<AutoScalingGroup[]> {
    const groups: AutoScalingGroup[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call('DescribeAutoScalingGroups', () =>
        this.client.send(
          new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names, MaxRecords: DESCRIBE_GROUPS_MAX_RECORDS, ...(nextToken !== undefined && { NextToken: nextToken }) }),
        ),
      );
      groups.push(...(out.AutoScalingGroups ?? []));
      nextToken = out.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    return groups;
  }

  async describeGroups(names: readonly string[]): Promise<{ groups: AutoScalingGroup[]; missing: string[] }> {
    const wanted = unique(names);
    // Without names AWS describes every group in the region: never ask that.
    if (wanted.length === 0) return { groups: [], missing: [] };
    const found = (await Promise.all(chunks(wanted, DESCRIBE_GROUPS_BATCH).map((batch) => this.describeBatch(batch)))).flat();
    const groups: AutoScalingGroup[] = [];
    const missing: string[] = [];
    for (const name of wanted) {
      const group = found.find((g) => g.AutoScalingGroupName === name || g.AutoScalingGroupARN === name);
      if (group) groups.push(group);
      else missing.push(name);
    }
    return { groups, missing };
  }

  async updateCapacity(input: { readonly name: string; readonly minSize?: number; readonly maxSize?: number; readonly desiredCapacity?: number }): Promise<void> {
    await this.call('UpdateAutoScalingGroup', () =>
      this.client.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: input.name,
          ...(input.minSize !== undefined && { MinSize: input.minSize }),
          ...(input.maxSize !== undefined && { MaxSize: input.maxSize }),
          ...(input.desiredCapacity !== undefined && { DesiredCapacity: input.desiredCapacity }),
        }),
      ),
    );
  }

  async createOrUpdateTags(name: string, tags: readonly { readonly key: string; readonly value: string }[]): Promise<void> {
    if (tags.length === 0) return;
    await this.call('CreateOrUpdateTags', () =>
      this.client.send(
        new CreateOrUpdateTagsCommand({
          Tags: tags.map((t) => ({ ResourceId: name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: false })),
        }),
      ),
    );
  }

  async deleteTags(name: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.call('DeleteTags', () =>
      this.client.send(new DeleteTagsCommand({ Tags: keys.map((key) => ({ ResourceId: name, ResourceType: 'auto-scaling-group', Key: key })) })),
    );
  }

  async describeActivities(name: string, max = 10): Promise<Activity[]> {
    const out = await this.call('DescribeScalingActivities', () => this.client.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name, MaxRecords: max })));
    return out.Activities ?? [];
  }

  async setInstanceProtection(name: string, instanceIds: readonly string[], protectedFromScaleIn: boolean): Promise<void> {
    await Promise.all(
      chunks(unique(instanceIds), SET_INSTANCE_PROTECTION_BATCH).map((InstanceIds) =>
        this.call('SetInstanceProtection', () => this.client.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: name, InstanceIds, ProtectedFromScaleIn: protectedFromScaleIn }))),
      ),
    );
  }
}
