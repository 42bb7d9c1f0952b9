/**
 * The three AWS wire protocols the simulator speaks, as the installed SDK v3 clients use them:
 * ECS and the Resource Groups Tagging API over AWS JSON 1.1, CloudWatch over AWS JSON 1.0 in
 * query-compatible mode (and the older AWS Query form), Auto Scaling over AWS Query with XML responses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from './errors.ts';

export type ServiceName = 'ecs' | 'autoscaling' | 'cloudwatch' | 'tagging';
export type Protocol = 'json' | 'query';

export interface AwsRequest {
  readonly service: ServiceName;
  readonly operation: string;
  readonly protocol: Protocol;
  /**
   * The input. JSON protocols give the JSON body as is; the Query protocol gives the form decoded
   * into the same nesting (`Tags.member.1.Key` → `{ Tags: [{ Key }] }`), with every leaf a string.
   */
  readonly input: Record<string, unknown>;
  /** From the signature's credential scope; the SDK always signs. */
  readonly region: string;
  /** The access key ID that signed the request: who called, in the simulator's call log. */
  readonly caller?: string;
}

const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113.';
const CLOUDWATCH_TARGET = 'GraniteServiceVersion20100801.';
const TAGGING_TARGET = 'ResourceGroupsTaggingAPI_20170126.';
const JSON_TARGETS: readonly (readonly [string, ServiceName])[] = [
  [ECS_TARGET, 'ecs'],
  [CLOUDWATCH_TARGET, 'cloudwatch'],
  [TAGGING_TARGET, 'tagging'],
];
const QUERY_VERSIONS: Readonly<Record<string, ServiceName>> = { '2011-01-01': 'autoscaling', '2010-08-01': 'cloudwatch' };
export const XML_NAMESPACES: Readonly<Record<ServiceName, string>> = {
  ecs: 'http://ecs.amazonaws.com/doc/2014-11-13/',
  autoscaling: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  cloudwatch: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
  // JSON only: never answered in XML.
  tagging: 'http://tagging.amazonaws.com/doc/2017-01-26/',
};

/**
 * CloudWatch's JSON error shapes by their Query error code (the `awsQueryError` traits in the
 * client's model): JSON carries the shape name in `__type`, the Query code in `x-amzn-query-error`.
 */
const CLOUDWATCH_ERROR_SHAPES: Readonly<Record<string, string>> = {
  InternalServiceError: 'InternalServiceFault',
  InvalidFormat: 'InvalidFormatFault',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InvalidParameterValue: 'InvalidParameterValueException',
  LimitExceeded: 'LimitExceededFault',
  MissingParameter: 'MissingRequiredParameterException',
  ValidationError: 'ValidationException',
};

/** `Credential=AKID/20260101/ap-southeast-2/ecs/aws4_request` → access key ID, region and signing name. */
function credentialScope(headers: IncomingHttpHeaders): { region?: string; service?: string; caller?: string } {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(headers.authorization ?? '');
  return match ? { caller: match[1], region: match[2], service: match[3] } : {};
}

/** Recognises the service, operation and protocol of a request and decodes its input. */
export function parseRequest(headers: IncomingHttpHeaders, body: string, defaultRegion: string): AwsRequest {
  const scope = credentialScope(headers);
  const region = scope.region ?? defaultRegion;
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const service = JSON_TARGETS.find(([prefix]) => target.startsWith(prefix))?.[1];
    if (!service) throw new AwsError('UnknownOperationException', `Unknown target ${target}`);
    let input: unknown;
    try {
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      throw new AwsError('SerializationException', 'The request body is not valid JSON');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new AwsError('SerializationException', 'The request body must be a JSON object');
    }
    return { service, operation: target.slice(target.indexOf('.') + 1), protocol: 'json', input: input as Record<string, unknown>, region, ...(scope.caller !== undefined && { caller: scope.caller }) };
  }
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (!action) throw new AwsError('MissingAction', 'The request has no X-Amz-Target header and no Action parameter');
  const version = form.get('Version') ?? '';
  const service = QUERY_VERSIONS[version] ?? (scope.service === 'monitoring' ? 'cloudwatch' : scope.service === 'autoscaling' ? 'autoscaling' : undefined);
  if (!service) throw new AwsError('InvalidAction', `Unknown API version ${version} for action ${action}`);
  form.delete('Action');
  form.delete('Version');
  return { service, operation: action, protocol: 'query', input: decodeQueryForm(form), region, ...(scope.caller !== undefined && { caller: scope.caller }) };
}

/**
 * Turns flattened Query parameters into nested objects and lists:
 * `A.member.2.B=x` → `{ A: [ , { B: 'x' }] }`, `M.entry.1.key=k&M.entry.1.value=v` → `{ M: { k: 'v' } }`.
 */
export function decodeQueryForm(form: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const maps: [Record<string, unknown>, string][] = [];
  for (const [key, value] of form) {
    const parts = key.split('.');
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const last = i === parts.length - 1;
      if ((part === 'member' || part === 'entry') && i + 1 < parts.length && /^\d+$/.test(parts[i + 1] ?? '')) continue;
      if (/^\d+$/.test(part) && (parts[i - 1] === 'member' || parts[i - 1] === 'entry')) {
        const list = node as unknown[];
        const index = Number(part) - 1;
        if (last) list[index] = value;
        else node = (list[index] ??= {}) as Record<string, unknown>;
        continue;
      }
      const obj = node as Record<string, unknown>;
      if (last) {
        obj[part] = value;
      } else {
        const listNext = parts[i + 1] === 'member' || parts[i + 1] === 'entry';
        if (parts[i + 1] === 'entry') maps.push([obj, part]);
        node = (obj[part] ??= listNext ? [] : {}) as Record<string, unknown> | unknown[];
      }
    }
  }
  // Query maps arrive as lists of {key, value} entries.
  for (const [obj, name] of maps) {
    const entries = obj[name];
    if (Array.isArray(entries)) obj[name] = Object.fromEntries(entries.map((e: { key?: string; value?: unknown }) => [e.key ?? '', e.value]));
  }
  for (const [k, v] of Object.entries(root)) if (Array.isArray(v)) root[k] = v.filter((x) => x !== undefined);
  return root;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A successful response in the request's protocol. */
export function successResponse(request: AwsRequest, output: unknown, requestId: string): HttpResponse {
  if (request.protocol === 'json') {
    const contentType = request.service === 'cloudwatch' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    return { status: 200, headers: { 'content-type': contentType, 'x-amzn-requestid': requestId }, body: JSON.stringify(output ?? {}, jsonReplacer) };
  }
  const op = request.operation;
  const result = output === undefined || output === null ? '' : `<${op}Result>${toXml(output)}</${op}Result>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="${XML_NAMESPACES[request.service]}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`,
  };
}

/** An error response in the shape the SDK parses into its typed exceptions. */
export function errorResponse(request: Pick<AwsRequest, 'service' | 'protocol'> | undefined, error: AwsError, requestId: string): HttpResponse {
  if (!request || request.protocol === 'json') {
    const headers: Record<string, string> = {
      'content-type': request?.service === 'cloudwatch' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
    };
    // Query-compatible JSON (CloudWatch): the SDK takes the Query error code from this header.
    if (request?.service === 'cloudwatch') headers['x-amzn-query-error'] = `${error.code};${error.fault}`;
    const type = request?.service === 'cloudwatch' ? `com.amazonaws.cloudwatch#${CLOUDWATCH_ERROR_SHAPES[error.code] ?? error.code}` : error.code;
    return { status: error.status, headers, body: JSON.stringify({ __type: type, message: error.message }) };
  }
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XML_NAMESPACES[request.service]}"><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** JSON protocols send timestamps as epoch seconds. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

/** Serialises a value as Query XML: keys become elements, lists `<member>` elements, dates ISO 8601. */
export function toXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? escapeXml(String(value)) : '';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
