/**
 * One input form for both CloudWatch protocols. AWS JSON 1.0 sends numbers, booleans and epoch
 * seconds; the older AWS Query form sends every leaf as a string (`"60"`, `"true"`, ISO 8601 times)
 * and an empty list as `""`. Each operation declares its input shape once and {@link normalize}
 * turns either form into the same typed object, timestamps as epoch milliseconds.
 */
import { AwsError } from '../errors.ts';

export type Shape =
  | { readonly kind: 'string' }
  | { readonly kind: 'number' }
  | { readonly kind: 'integer' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'any' }
  | { readonly kind: 'list'; readonly member: Shape }
  | { readonly kind: 'structure'; readonly members: Readonly<Record<string, Shape>> };

export const str = { kind: 'string' } as const;
export const num = { kind: 'number' } as const;
export const int = { kind: 'integer' } as const;
export const bool = { kind: 'boolean' } as const;
/** Epoch milliseconds once normalized. */
export const timestamp = { kind: 'timestamp' } as const;
/** Kept as sent: members the simulator only detects (to reject them), never reads. */
export const any = { kind: 'any' } as const;

export function list<M extends Shape>(member: M): { readonly kind: 'list'; readonly member: M } {
  return { kind: 'list', member };
}

export function structure<M extends Readonly<Record<string, Shape>>>(members: M): { readonly kind: 'structure'; readonly members: M } {
  return { kind: 'structure', members };
}

/** The normalized value of a shape: every structure member optional, as on the wire. */
export type Infer<S> = S extends { readonly kind: 'string' }
  ? string
  : S extends { readonly kind: 'number' | 'integer' | 'timestamp' }
    ? number
    : S extends { readonly kind: 'boolean' }
      ? boolean
      : S extends { readonly kind: 'any' }
        ? unknown
        : S extends { readonly kind: 'list'; readonly member: infer M }
          ? Infer<M>[]
          : S extends { readonly kind: 'structure'; readonly members: infer M }
            ? { [K in keyof M]?: Infer<M[K]> }
            : never;

/** Normalizes `input` (either protocol) to `shape`; members the shape does not name are dropped. */
export function normalize<S extends Shape>(shape: S, input: unknown): Infer<S> {
  return convert(shape, input, '') as Infer<S>;
}

/** `The value x for parameter P is invalid.`: CloudWatch's answer to a value of the wrong type. */
function invalid(value: unknown, path: string): AwsError {
  return new AwsError('InvalidParameterValue', `The value ${String(value)} for parameter ${path || 'input'} is invalid.`);
}

function convert(shape: Shape, value: unknown, path: string): unknown {
  if (value === undefined || value === null) return undefined;
  switch (shape.kind) {
    case 'any':
      return value;
    case 'string':
      if (typeof value === 'string') return value;
      throw invalid(JSON.stringify(value), path);
    case 'number':
    case 'integer': {
      const n = toNumber(value);
      if (n === undefined || (shape.kind === 'integer' && !Number.isInteger(n))) throw invalid(typeof value === 'string' ? value : JSON.stringify(value), path);
      return n;
    }
    case 'boolean':
      // Query sends booleans as text.
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw invalid(value, path);
    case 'timestamp':
      return toEpochMs(value, path);
    case 'list': {
      // Query sends an empty list as `Name=` (an empty string).
      if (value === '') return [];
      if (!Array.isArray(value)) throw invalid(JSON.stringify(value), path);
      return value.filter((v) => v !== undefined && v !== null).map((v: unknown, i) => convert(shape.member, v, `${path}.member.${i + 1}`));
    }
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(JSON.stringify(value), path);
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const converted = convert(member, (value as Record<string, unknown>)[name], path ? `${path}.${name}` : name);
        if (converted !== undefined) out[name] = converted;
      }
      return out;
    }
  }
}

/** JSON numbers as they are; Query text, and the `"NaN"`/`"Infinity"` strings both protocols use. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  const n = Number(value);
  return Number.isNaN(n) ? undefined : n;
}

/** JSON: epoch seconds (fractional allowed). Query: ISO 8601 text, or epoch seconds as text. */
function toEpochMs(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw invalid(typeof value === 'string' ? value : JSON.stringify(value), path);
}

/**
 * CloudWatch's model-constraint error, e.g. `1 validation error detected: Value '30' at 'period'
 * failed to satisfy constraint: Member must have value greater than or equal to 60`. `path` is in
 * Query form (`MetricData.member.1.Value`); AWS reports it camel-cased (`metricData.1.member.value`).
 */
export function constraintError(value: unknown, path: string, constraint: string): AwsError {
  const text = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  const shown = value === undefined ? 'null' : `'${Array.isArray(value) ? `[${value.map(text).join(', ')}]` : text(value)}'`;
  return new AwsError('ValidationError', `1 validation error detected: Value ${shown} at '${awsPath(path)}' failed to satisfy constraint: ${constraint}`);
}

function awsPath(path: string): string {
  const parts = path.split('.');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    // `member.N` reads `N.member` in these messages.
    if (part === 'member' && /^\d+$/.test(parts[i + 1] ?? '')) {
      out.push(parts[i + 1] as string, 'member');
      i++;
    } else {
      out.push(part.charAt(0).toLowerCase() + part.slice(1));
    }
  }
  return out.join('.');
}

/** `The parameter X is required.` (MissingParameter), as CloudWatch words it. */
export function missing(path: string): AwsError {
  return new AwsError('MissingParameter', `The parameter ${path} is required.`);
}

/** Throws when `value` is absent. */
export function required<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw missing(path);
  return value;
}

/** Length of a string or list within [min, max], as the model constrains it. */
export function checkLength(value: string | readonly unknown[] | undefined, path: string, min: number, max: number): void {
  if (value === undefined) return;
  if (value.length < min) throw constraintError(value, path, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw constraintError(value, path, `Member must have length less than or equal to ${max}`);
}

/** A number within [min, max], as the model constrains it. */
export function checkRange(value: number | undefined, path: string, min: number, max = Infinity): void {
  if (value === undefined) return;
  if (value < min) throw constraintError(value, path, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw constraintError(value, path, `Member must have value less than or equal to ${max}`);
}

/** One of an enum's values. */
export function checkEnum<T extends string>(value: string | undefined, path: string, values: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) throw constraintError(value, path, `Member must satisfy enum value set: [${values.join(', ')}]`);
  return value as T;
}

/** Opaque pagination tokens: base64url JSON, rejected with InvalidNextToken when not ours. */
export function encodeToken(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeToken(token: string | undefined): Record<string, unknown> | undefined {
  if (token === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Falls through to the error below.
  }
  throw new AwsError('InvalidNextToken', 'The value of NextToken is invalid.');
}
