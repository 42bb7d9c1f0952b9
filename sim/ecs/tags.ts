/**
 * Tags on clusters, services, task definitions, tasks and container instances: the `tags` members
 * of the create calls and TagResource, UntagResource and ListTagsForResource.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html#tag-restrictions
 */
import type { ListTagsForResourceRequest, ListTagsForResourceResponse, Tag, TagResourceRequest, UntagResourceRequest } from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { Operation } from '../world.ts';
import { clusterArn, parseArn } from './arns.ts';
import type { TagRecord, Taggable } from './model.ts';
import { asRequest, invalidParameter, requireString } from './requests.ts';
import type { EcsContext } from './store.ts';

const MAX_TAGS = 50;

/** Tags from a request, checked against ECS's tag restrictions. */
export function readTags(tags: readonly Tag[] | undefined): TagRecord[] {
  const out: TagRecord[] = [];
  for (const tag of tags ?? []) {
    const key = tag.key ?? '';
    const value = tag.value ?? '';
    if (key.length < 1 || key.length > 128) throw invalidParameter('Tag keys must be between 1 and 128 characters in length.');
    if (value.length > 256) throw invalidParameter('Tag values must be at most 256 characters in length.');
    if (key.toLowerCase().startsWith('aws:')) throw invalidParameter("Tag keys beginning with 'aws:' are reserved for AWS use.");
    out.push({ key, value });
  }
  return mergeTags([], out);
}

/** `existing` with `added` put in (a key already there takes the new value), at most 50 tags. */
export function mergeTags(existing: readonly TagRecord[], added: readonly TagRecord[]): TagRecord[] {
  const byKey = new Map(existing.map((t) => [t.key, t.value]));
  for (const tag of added) byKey.set(tag.key, tag.value);
  if (byKey.size > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags.`);
  return [...byKey].map(([key, value]) => ({ key, value }));
}

export function tagsView(tags: readonly TagRecord[]): Tag[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

/** The resource an ARN names, in the request's region and the simulator's account. */
function resolveTaggable(ctx: EcsContext, region: string, arn: string): Taggable {
  const parsed = parseArn(arn);
  if (!parsed) throw invalidParameter(`Invalid resource ARN: ${arn}`);
  if (parsed.account !== ctx.world.accountId) {
    throw new AwsError('AccessDeniedException', `User is not authorized to access resource ${arn} in account ${parsed.account}.`);
  }
  const notFound = new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
  if (parsed.region !== region) throw notFound;
  const { store } = ctx;
  if (parsed.type === 'task-definition') return store.taskDefinitions.get(arn) ?? throwError(notFound);
  const [clusterName = '', id = ''] = parsed.path;
  const cluster = store.clusters.get(clusterArn(parsed, clusterName));
  if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
  if (parsed.type === 'cluster') return cluster;
  if (cluster.status !== 'ACTIVE') throw invalidParameter('The specified cluster is inactive. Specify an active cluster and try again.');
  const found: Taggable | undefined =
    parsed.type === 'service' ? cluster.services.get(id) : parsed.type === 'task' ? cluster.tasks.get(id) : parsed.type === 'container-instance' ? cluster.instances.get(id) : undefined;
  return found ?? throwError(notFound);
}

function throwError(error: AwsError): never {
  throw error;
}

export function tagOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    TagResource: (input, { region }) => {
      const req = asRequest<TagResourceRequest>(input);
      const resource = resolveTaggable(ctx, region, requireString(req.resourceArn, 'resourceArn can not be blank.'));
      if (!req.tags || req.tags.length === 0) throw invalidParameter('tags can not be empty.');
      resource.tags = mergeTags(resource.tags, readTags(req.tags));
      return {};
    },
    UntagResource: (input, { region }) => {
      const req = asRequest<UntagResourceRequest>(input);
      const resource = resolveTaggable(ctx, region, requireString(req.resourceArn, 'resourceArn can not be blank.'));
      const keys = new Set(req.tagKeys ?? []);
      resource.tags = resource.tags.filter((t) => !keys.has(t.key));
      return {};
    },
    ListTagsForResource: (input, { region }): ListTagsForResourceResponse => {
      const req = asRequest<ListTagsForResourceRequest>(input);
      const resource = resolveTaggable(ctx, region, requireString(req.resourceArn, 'resourceArn can not be blank.'));
      return { tags: tagsView(resource.tags) };
    },
  };
}
