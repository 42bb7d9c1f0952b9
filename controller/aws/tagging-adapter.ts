/**
 * The `TaggingPort` over the SDK's `ResourceGroupsTaggingAPIClient`: one paginated GetResources
 * finds everything this Berth tagged in a region, where the services' own APIs would need a call per
 * resource (DescribeAlarms returns no tags; ListTagsForResource takes one ARN).
 */
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { classified } from './adapter-support.ts';
import type { TaggedResource, TaggingPort } from './ports.ts';

/** GetResources returns at most 100 resources a page. */
export const GET_RESOURCES_PAGE = 100;

export class TaggingAdapter implements TaggingPort {
  readonly region: string;
  private readonly client: ResourceGroupsTaggingAPIClient;

  constructor(client: ResourceGroupsTaggingAPIClient, region: string) {
    this.client = client;
    this.region = region;
  }

  async resourcesTagged(key: string, value: string, resourceTypes: readonly string[]): Promise<TaggedResource[]> {
    const found: TaggedResource[] = [];
    let token: string | undefined;
    do {
      const out = await classified('tagging:GetResources', () =>
        this.client.send(
          new GetResourcesCommand({
            TagFilters: [{ Key: key, Values: [value] }],
            ResourceTypeFilters: [...resourceTypes],
            ResourcesPerPage: GET_RESOURCES_PAGE,
            ...(token !== undefined && { PaginationToken: token }),
          }),
        ),
      );
      for (const mapping of out.ResourceTagMappingList ?? []) {
        if (mapping.ResourceARN === undefined) continue;
        found.push({ arn: mapping.ResourceARN, tags: new Map((mapping.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) });
      }
      token = out.PaginationToken;
    } while (token !== undefined && token !== '');
    return found;
  }
}
