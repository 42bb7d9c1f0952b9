/**
 * Small pure helpers the per-kind normalizers are built from. Each returns new values and never
 * mutates its input.
 */
import { isPlainObject } from './field-diff.ts';
import type { PlainObject } from './field-diff.ts';

/**
 * The value without what carries no meaning: undefined and null properties, empty lists and empty
 * objects, recursively (an object left empty by pruning is itself removed). Dates are kept.
 * Object keys come out sorted, so that canonical values (and the order of their changes) do not
 * depend on the order a manifest or an API response wrote them in. Returns undefined when nothing
 * is left.
 */
export function prune(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((v) => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      const pruned = prune(v);
      if (pruned !== undefined) out[key] = pruned;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

/** A copy of `list` sorted by the string form of `keys` of each item, in order; stable. */
export function sortByKeys<T>(list: readonly T[] | undefined, ...keys: readonly ((item: T) => unknown)[]): T[] | undefined {
  if (list === undefined) return undefined;
  const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'number' ? v.toString().padStart(12, '0') : JSON.stringify(v));
  return [...list].sort((a, b) => {
    for (const key of keys) {
      const x = text(key(a));
      const y = text(key(b));
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

/** A copy of a list of scalars, sorted. */
export function sorted<T extends string | number>(list: readonly T[] | undefined): T[] | undefined {
  if (list === undefined) return undefined;
  return [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `value` unless it equals `implied` (what AWS means when the field is absent): then undefined. */
export function unlessDefault<T>(value: T | undefined | null, implied: T): T | undefined {
  return value === undefined || value === null || value === implied ? undefined : value;
}

/** The object viewed as a plain record (for normalizers that read AWS shapes field by field). */
export function record(value: unknown): PlainObject {
  return isPlainObject(value) ? value : {};
}

/** The list viewed as a list of plain records; undefined when it is not a list. */
export function records(value: unknown): PlainObject[] | undefined {
  return Array.isArray(value) ? value.filter(isPlainObject) : undefined;
}

/** A field as a string, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A field as a number, or undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** A list field of strings, or undefined. */
export function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** The resource name at the end of an ARN (`arn:…:cluster/web` → `web`); a plain name unchanged. */
export function nameFromArn(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('arn:')) return value;
  const slash = value.lastIndexOf('/');
  return slash >= 0 ? value.slice(slash + 1) : value;
}

/** A capacity provider strategy with ECS's defaults (weight 0, base 0), sorted by provider. */
export function normalizeCapacityProviderStrategy(value: unknown): PlainObject[] | undefined {
  return sortByKeys(
    records(value)?.map((item): PlainObject => ({
      capacityProvider: str(item['capacityProvider']),
      weight: num(item['weight']) ?? 0,
      base: num(item['base']) ?? 0,
    })),
    (item) => item['capacityProvider'],
  );
}
