/**
 * Checks and pagination shared by the ECS operations. Inputs arrive as the SDK serialised them (the
 * request shapes of `@aws-sdk/client-ecs`), so members have the right JSON types; what AWS checks
 * beyond types (required members, list sizes, ranges) is checked here with AWS's error codes.
 */
import type { Failure } from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import { isArn } from './arns.ts';

export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

/** A list member of at most `max` items: `service names can have at most 10 items.` as AWS words it. */
export function checkMaxItems(list: readonly unknown[], max: number, what: string): void {
  if (list.length > max) throw invalidParameter(`${what} can have at most ${max} items.`);
}

/** A required, non-empty list member. */
export function requireList<T>(list: readonly T[] | undefined, message: string): readonly T[] {
  if (!list || list.length === 0) throw invalidParameter(message);
  return list;
}

/** A required string member. */
export function requireString(value: string | undefined, message: string, code = 'InvalidParameterException'): string {
  if (value === undefined || value === '') throw new AwsError(code, message);
  return value;
}

export interface PageLimits {
  /** The page size when the request names none (ListServices: 10, most others: 100). */
  readonly defaultSize: number;
  readonly maxSize: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
}

/** An opaque token for the position after the page (AWS's tokens are opaque too). */
function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof decoded.o === 'number' && Number.isInteger(decoded.o) && decoded.o >= 0) return decoded.o;
  } catch {
    // Falls through to the error below.
  }
  throw invalidParameter('Invalid token');
}

/** One page of `items` after `nextToken`, of `maxResults` (checked against the operation's limits). */
export function paginate<T>(items: readonly T[], request: { maxResults?: number; nextToken?: string }, limits: PageLimits): Page<T> {
  const size = request.maxResults ?? limits.defaultSize;
  if (!Number.isInteger(size) || size < 1 || size > limits.maxSize) {
    throw invalidParameter(`maxResults must be between 1 and ${limits.maxSize}.`);
  }
  const start = request.nextToken === undefined || request.nextToken === '' ? 0 : decodeToken(request.nextToken);
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? encodeToken(end) : undefined };
}

/**
 * The input as the SDK request shape it was serialised from. Every member may be missing: the SDK
 * does not enforce required members, AWS does (and so do the operations).
 */
export function asRequest<T>(input: Record<string, unknown>): Partial<T> {
  return input as Partial<T>;
}

/**
 * A Describe* call by names or ARNs: the items found, in the order asked, and the rest as
 * `failures` with reason MISSING (ECS answers missing resources that way, not with an error).
 */
export function describeEach<T, V>(
  refs: readonly string[],
  find: (ref: string) => T | undefined,
  view: (item: T) => V,
  arnOf: (name: string) => string,
): { found: V[]; failures: Failure[] } {
  const found: V[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const item = find(ref);
    if (item) found.push(view(item));
    else failures.push({ arn: isArn(ref) ? ref : arnOf(ref), reason: 'MISSING' });
  }
  return { found, failures };
}
