/**
 * Reading AWS Query input (every leaf a string) and paging output, with the ValidationError texts
 * AWS's request validation uses (`1 validation error detected: Value … at 'member' failed to
 * satisfy constraint: …`, members named in camelCase).
 */
import { AwsError } from '../errors.ts';

type Input = Readonly<Record<string, unknown>>;

function memberName(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function invalid(key: string, value: string | number | undefined, constraint: string): AwsError {
  const shown = value === undefined ? 'null' : `'${value}'`;
  return new AwsError('ValidationError', `1 validation error detected: Value ${shown} at '${memberName(key)}' failed to satisfy constraint: ${constraint}`);
}

export function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(key, '[object]', 'Member must be a string');
  return value;
}

export function requiredString(input: Input, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined) throw invalid(key, undefined, 'Member must not be null');
  if (value.length === 0) throw invalid(key, value, 'Member must have length greater than or equal to 1');
  return value;
}

export function optionalInt(input: Input, key: string): number | undefined {
  const value = optionalString(input, key);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw invalid(key, value, 'Member must be an integer');
  return Number(value);
}

export function requiredInt(input: Input, key: string): number {
  const value = optionalInt(input, key);
  if (value === undefined) throw invalid(key, undefined, 'Member must not be null');
  return value;
}

export function optionalBool(input: Input, key: string): boolean | undefined {
  const value = optionalString(input, key);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalid(key, value, 'Member must be a boolean');
  return value === 'true';
}

export function requiredBool(input: Input, key: string): boolean {
  const value = optionalBool(input, key);
  if (value === undefined) throw invalid(key, undefined, 'Member must not be null');
  return value;
}

/** A Query list (`K.member.N`); the SDK sends an empty list as `K=`. */
function list(input: Input, key: string): unknown[] | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (value === '') return [];
  if (!Array.isArray(value)) throw invalid(key, typeof value === 'string' ? value : '[object]', 'Member must be a list');
  return (value as unknown[]).filter((v) => v !== undefined);
}

export function stringList(input: Input, key: string): string[] | undefined {
  const items = list(input, key);
  if (items === undefined) return undefined;
  return items.map((v) => {
    if (typeof v !== 'string') throw invalid(key, '[object]', 'Member must be a list of strings');
    return v;
  });
}

export function structList(input: Input, key: string): Record<string, unknown>[] | undefined {
  const items = list(input, key);
  if (items === undefined) return undefined;
  return items.map((v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(key, typeof v === 'string' ? v : '[value]', 'Member must be a list of structures');
    return v as Record<string, unknown>;
  });
}

/** A `Filters` list: name and values, as DescribeAutoScalingGroups and DescribeTags take it. */
export function filters(input: Input): { name: string; values: string[] }[] {
  return (structList(input, 'Filters') ?? []).map((f) => ({ name: requiredString(f, 'Name'), values: stringList(f, 'Values') ?? [] }));
}

/**
 * One page of `items` after the position in `NextToken`, at most `MaxRecords` long.
 * Tokens are opaque to callers (an offset and the operation, base64-encoded); a token from another
 * operation or one that does not decode is InvalidNextToken, as AWS answers a forged token.
 */
export function paginate<T>(items: readonly T[], input: Input, operation: string, limits: { readonly defaultMax: number; readonly max: number }): { page: T[]; nextToken: string | undefined } {
  const maxRecords = optionalInt(input, 'MaxRecords') ?? limits.defaultMax;
  if (maxRecords < 1) throw invalid('MaxRecords', maxRecords, 'Member must have value greater than or equal to 1');
  if (maxRecords > limits.max) throw invalid('MaxRecords', maxRecords, `Member must have value less than or equal to ${limits.max}`);
  const token = optionalString(input, 'NextToken');
  let start = 0;
  if (token !== undefined) {
    const match = /^(\w+):(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
    if (!match || match[1] !== operation) throw new AwsError('InvalidNextToken', 'The NextToken value is not valid.');
    start = Number(match[2]);
  }
  const page = items.slice(start, start + maxRecords);
  const end = start + page.length;
  return { page, nextToken: end < items.length ? Buffer.from(`${operation}:${end}`, 'utf8').toString('base64') : undefined };
}
