/**
 * A generic, pure field-level diff of two plain JSON-like values, as a list of `FieldChange`s with
 * readable paths. The per-kind modules normalize both sides first; this module only compares.
 *
 * How values are walked:
 * - Objects are compared key by key, keys in sorted order: `deploymentConfiguration.maximumPercent`.
 *   Keys that are not plain words (`com.example.label`) are quoted: `dockerLabels["com.example.label"]`.
 * - A list whose items are all objects with a string `name` that is unique within the list (or a
 *   key given by `listKeys` for that field) is compared item by item, keyed, in the desired
 *   list's order and then the items only the observed list has:
 *   `containerDefinitions[filot-backend].image`, `environment[LOG_LEVEL].value`.
 * - Any other list of objects of the same length on both sides is compared element-wise by index
 *   (`placementStrategy[0].field`): after normalization sorted lists line up, and a single changed
 *   field reads better than two whole lists.
 * - Everything else (lists of scalars such as subnets or a command line, lists whose length
 *   changed, scalars) is one change at its own path, holding both whole values: a reader sees the
 *   full before and after of `command` or `subnets` at once.
 * - Absent on one side (undefined or null) is a single change at that path with `from` or `to`
 *   undefined; the present side is not walked further.
 *
 * `from` is the observed value, `to` the desired one, as in `FieldChange`.
 */
import type { FieldChange } from '../engine/plan-types.ts';

export type PlainObject = Readonly<Record<string, unknown>>;

/** The key of one item of a list, or undefined when the item has none. */
export type ListItemKey = (item: PlainObject) => string | undefined;

export interface FieldDiffOptions {
  /** Prefix of every path (`taskDefinition`). @defaultValue none */
  readonly prefix?: string;
  /**
   * Keys for lists of objects without a `name`, by the list's field name (`mountPoints`: the
   * container path). Used only when every item on both sides has a key, unique within its list.
   * @defaultValue none: such lists are compared element-wise or whole
   */
  readonly listKeys?: Readonly<Record<string, ListItemKey>>;
}

export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** Deep equality of plain values; undefined and null properties count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isAbsent(a) || isAbsent(b)) return isAbsent(a) && isAbsent(b);
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!deepEqual(a[key], b[key])) return false;
    return true;
  }
  return Object.is(a, b);
}

const WORD = /^[A-Za-z0-9_$-]+$/;

function child(path: string, key: string): string {
  if (!WORD.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function item(path: string, key: string | number): string {
  return `${path}[${key}]`;
}

/** The last field name of a path (`containerDefinitions[api].environment` → `environment`). */
function fieldName(path: string): string {
  const match = /([A-Za-z0-9_$-]+)$/.exec(path);
  return match?.[1] ?? '';
}

const byName: ListItemKey = (entry) => (typeof entry['name'] === 'string' ? entry['name'] : undefined);

/** Every item keyed, keys unique per list: the map key → item for each side; else undefined. */
function keyedItems(from: readonly unknown[], to: readonly unknown[], keyOf: ListItemKey): [Map<string, unknown>, Map<string, unknown>] | undefined {
  if (from.length + to.length === 0) return undefined;
  const index = (list: readonly unknown[]): Map<string, unknown> | undefined => {
    const map = new Map<string, unknown>();
    for (const entry of list) {
      if (!isPlainObject(entry)) return undefined;
      const key = keyOf(entry);
      if (key === undefined || map.has(key)) return undefined;
      map.set(key, entry);
    }
    return map;
  };
  const a = index(from);
  const b = index(to);
  return a && b ? [a, b] : undefined;
}

function walk(from: unknown, to: unknown, path: string, options: FieldDiffOptions, out: FieldChange[]): void {
  if (deepEqual(from, to)) return;
  if (isAbsent(from) || isAbsent(to)) {
    out.push({ path, from: isAbsent(from) ? undefined : from, to: isAbsent(to) ? undefined : to });
    return;
  }
  if (isPlainObject(from) && isPlainObject(to)) {
    // Keys in sorted order, so that changes come out in the same order whatever wrote the values.
    const keys = [...new Set([...Object.keys(to), ...Object.keys(from)])].sort();
    for (const key of keys) walk(from[key], to[key], child(path, key), options, out);
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const custom = options.listKeys?.[fieldName(path)];
    const keyed = keyedItems(from, to, byName) ?? (custom ? keyedItems(from, to, custom) : undefined);
    if (keyed) {
      const [a, b] = keyed;
      const keys = [...b.keys(), ...[...a.keys()].filter((k) => !b.has(k))];
      for (const key of keys) walk(a.get(key), b.get(key), item(path, key), options, out);
      return;
    }
    if (from.length === to.length && from.every(isPlainObject) && to.every(isPlainObject)) {
      from.forEach((entry, i) => walk(entry, to[i], item(path, i), options, out));
      return;
    }
  }
  out.push({ path, from, to });
}

/** The fields that differ between `from` (observed) and `to` (desired); [] when they are equal. */
export function diffFields(from: unknown, to: unknown, options: FieldDiffOptions = {}): FieldChange[] {
  const out: FieldChange[] = [];
  walk(from, to, options.prefix ?? '', options, out);
  return out;
}
