/**
 * Simulated Resource Groups Tagging API (AWS JSON 1.1): GetResources over the tags the other
 * simulated services hold (ECS clusters, services and task definitions, CloudWatch metric alarms,
 * Auto Scaling groups), read through their {@link TagSource} ports; nothing is stored here.
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 * Inputs arrive as the SDK serialised them (`GetResourcesInput`). Error codes are AWS's; the
 * messages are the simulator's own (AWS's wording could not be confirmed).
 */
import type { GetResourcesInput, GetResourcesOutput, TagFilter } from '@aws-sdk/client-resource-groups-tagging-api';
import { AwsError } from '../errors.ts';
import type { Operation, SimService, TaggedResource, TagSource } from '../world.ts';

const DEFAULT_RESOURCES_PER_PAGE = 50;
const MAX_RESOURCES_PER_PAGE = 100;

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

/** `arn:aws:ecs:R:A:task-definition/web:3` → `ecs` and `ecs:task-definition`, as ResourceTypeFilters name them. */
function resourceTypes(arn: string): readonly string[] {
  const parts = arn.split(':');
  const service = parts[2] ?? '';
  const type = /^[^/:]*/.exec(parts.slice(5).join(':'))?.[0] ?? '';
  return [service, `${service}:${type}`];
}

function matchesTags(resource: TaggedResource, filters: readonly TagFilter[]): boolean {
  return filters.every((f) => resource.tags.some((t) => t.key === f.Key && (!f.Values || f.Values.length === 0 || f.Values.includes(t.value))));
}

/** Tokens are opaque: base64url JSON of the last ARN returned (pages go in ARN order). */
function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof decoded.after === 'string') return decoded.after;
  } catch {
    // Falls through to the error below.
  }
  throw invalidParameter('The specified PaginationToken is not valid.');
}

/** AWS's request limits: 50 tag filters of up to 20 values, 100 resource types, 100 ARNs. */
function checkInput(req: GetResourcesInput): void {
  const filters = req.TagFilters ?? [];
  if (filters.length > 50) throw invalidParameter('TagFilters can have at most 50 items.');
  for (const f of filters) {
    if (f.Key === undefined || f.Key.length < 1 || f.Key.length > 128) throw invalidParameter('Each TagFilter must have a Key of 1 to 128 characters.');
    if ((f.Values ?? []).length > 20) throw invalidParameter('The Values of a TagFilter can have at most 20 items.');
  }
  const types = req.ResourceTypeFilters ?? [];
  if (types.length > 100) throw invalidParameter('ResourceTypeFilters can have at most 100 items.');
  if (types.some((t) => !/^[a-z0-9-]+(:[A-Za-z0-9-]+)?$/.test(t))) throw invalidParameter('Each resource type filter must be service or service:resourceType.');
  if (req.ResourceARNList !== undefined) {
    if (req.ResourceARNList.length < 1 || req.ResourceARNList.length > 100) throw invalidParameter('ResourceARNList must have 1 to 100 items.');
    const other = (['TagFilters', 'ResourceTypeFilters', 'ResourcesPerPage', 'TagsPerPage', 'PaginationToken'] as const).find((k) => req[k] !== undefined);
    if (other) throw invalidParameter(`ResourceARNList cannot be specified with ${other}.`);
  }
  if (req.IncludeComplianceDetails === true || req.ExcludeCompliantResources === true) {
    throw invalidParameter('Tag policy compliance details are not supported by the simulator.');
  }
}

export class TaggingSim implements SimService {
  readonly operations: Readonly<Record<string, Operation>>;
  private readonly sources: readonly TagSource[];

  constructor(sources: readonly TagSource[]) {
    this.sources = sources;
    this.operations = {
      GetResources: (input, { region }) => this.getResources(input, region),
    };
  }

  /**
   * Tagged resources of the region matching every tag filter (any of its values) and any resource
   * type filter, in ARN order. A resource whose tags were all removed is not listed (AWS may list
   * it with `Tags: []` when no tag filter is given).
   */
  private getResources(req: GetResourcesInput, region: string): GetResourcesOutput {
    checkInput(req);
    const size = req.ResourcesPerPage ?? DEFAULT_RESOURCES_PER_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_RESOURCES_PER_PAGE) {
      throw invalidParameter(`ResourcesPerPage must be between 1 and ${MAX_RESOURCES_PER_PAGE}, got ${size}.`);
    }
    const after = req.PaginationToken ? decodeToken(req.PaginationToken) : undefined;
    const types = req.ResourceTypeFilters ?? [];
    const arns = req.ResourceARNList ? new Set(req.ResourceARNList) : undefined;
    const matching = this.sources
      .flatMap((source) => [...source.taggedResources(region)])
      .filter(
        (r) =>
          r.tags.length > 0 &&
          (after === undefined || r.arn > after) &&
          (arns === undefined || arns.has(r.arn)) &&
          (types.length === 0 || resourceTypes(r.arn).some((t) => types.includes(t))) &&
          matchesTags(r, req.TagFilters ?? []),
      )
      .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
    const page = matching.slice(0, size);
    const last = page[page.length - 1];
    return {
      ResourceTagMappingList: page.map((r) => ({ ResourceARN: r.arn, Tags: r.tags.map((t) => ({ Key: t.key, Value: t.value })) })),
      // AWS answers the last page with an empty token rather than none.
      PaginationToken: last && matching.length > size ? encodeToken(last.arn) : '',
    };
  }

  dump(): unknown {
    return {};
  }
}
