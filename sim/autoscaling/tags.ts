/** Group tags: CreateOrUpdateTags, DeleteTags, DescribeTags and the tag filters of DescribeAutoScalingGroups. */
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { filters, optionalBool, optionalString, paginate, requiredString, structList } from './input.ts';
import type { AutoScalingStore, Group, GroupTag } from './model.ts';
import { groupKey, groupsIn } from './model.ts';

const RESOURCE_TYPE = 'auto-scaling-group';

/** The API's TagDescription shape. */
export function tagOutput(group: Group, tag: GroupTag): Record<string, unknown> {
  return { ResourceId: group.name, ResourceType: RESOURCE_TYPE, Key: tag.key, Value: tag.value, PropagateAtLaunch: tag.propagateAtLaunch };
}

/** A group's tags sorted by key, as AWS lists them. */
export function sortedTags(group: Group): GroupTag[] {
  return [...group.tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * DescribeAutoScalingGroups' filters: `tag-key`, `tag-value`, `tag:<key>`. A group must match every
 * filter; within one filter any value will do (AWS's documented semantics).
 */
export function groupFilter(input: Readonly<Record<string, unknown>>): (group: Group) => boolean {
  const tests = filters(input).map(({ name, values }): ((g: Group) => boolean) => {
    if (name === 'tag-key') return (g) => g.tags.some((t) => values.includes(t.key));
    if (name === 'tag-value') return (g) => g.tags.some((t) => values.includes(t.value));
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      return (g) => g.tags.some((t) => t.key === key && values.includes(t.value));
    }
    throw new AwsError('ValidationError', `Filter type ${name} is not correct. Allowed Filter types are: tag-key tag-value tag:<key>`);
  });
  return (group) => tests.every((test) => test(group));
}

/** DescribeTags' filters: `auto-scaling-group`, `key`, `value`, `propagate-at-launch`. */
function tagFilter(input: Readonly<Record<string, unknown>>): (group: Group, tag: GroupTag) => boolean {
  const tests = filters(input).map(({ name, values }): ((g: Group, t: GroupTag) => boolean) => {
    switch (name) {
      case 'auto-scaling-group':
        return (g) => values.includes(g.name);
      case 'key':
        return (_, t) => values.includes(t.key);
      case 'value':
        return (_, t) => values.includes(t.value);
      case 'propagate-at-launch':
        return (_, t) => values.map((v) => v.toLowerCase()).includes(String(t.propagateAtLaunch));
      default:
        throw new AwsError('ValidationError', `Filter type ${name} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch`);
    }
  });
  return (group, tag) => tests.every((test) => test(group, tag));
}

/** The group a Tag names (ResourceId), checked as CreateOrUpdateTags and DeleteTags check it. */
function taggedGroup(store: AutoScalingStore, region: string, tag: Record<string, unknown>): Group {
  const resourceId = requiredString(tag, 'ResourceId');
  const resourceType = optionalString(tag, 'ResourceType') ?? RESOURCE_TYPE;
  if (resourceType !== RESOURCE_TYPE) throw new AwsError('ValidationError', `Invalid resource type ${resourceType}. Valid resource type is: ${RESOURCE_TYPE}`);
  const group = store.groups.get(groupKey(region, resourceId));
  // AWS's wording for tag calls differs from the other operations' not-found text.
  if (!group) throw new AwsError('ValidationError', `AutoScalingGroup not found - AutoScaling Group ${resourceId} not found`);
  return group;
}

export function tagOperations(store: AutoScalingStore): Record<string, Operation> {
  return {
    CreateOrUpdateTags: (input, ctx) => {
      const tags = structList(input, 'Tags') ?? [];
      // Validate every tag first: the call changes all of them or none.
      const changes = tags.map((t) => ({
        group: taggedGroup(store, ctx.region, t),
        key: requiredString(t, 'Key'),
        value: optionalString(t, 'Value') ?? '',
        propagateAtLaunch: optionalBool(t, 'PropagateAtLaunch') ?? false,
      }));
      for (const { group, key, value, propagateAtLaunch } of changes) {
        const existing = group.tags.find((t) => t.key === key);
        if (existing) {
          existing.value = value;
          existing.propagateAtLaunch = propagateAtLaunch;
        } else group.tags.push({ key, value, propagateAtLaunch });
      }
      return undefined;
    },
    DeleteTags: (input, ctx) => {
      const tags = structList(input, 'Tags') ?? [];
      const deletions = tags.map((t) => ({ group: taggedGroup(store, ctx.region, t), key: requiredString(t, 'Key') }));
      for (const { group, key } of deletions) group.tags = group.tags.filter((t) => t.key !== key);
      return undefined;
    },
    DescribeTags: (input, ctx) => {
      const matches = tagFilter(input);
      const all = groupsIn(store, ctx.region).flatMap((g) => sortedTags(g).filter((t) => matches(g, t)).map((t) => ({ g, t })));
      const { page, nextToken } = paginate(all, input, 'DescribeTags', { defaultMax: 50, max: 100 });
      return { Tags: page.map(({ g, t }) => tagOutput(g, t)), NextToken: nextToken };
    },
  };
}
