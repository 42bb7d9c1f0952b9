/**
 * Validation never crashes, whatever it is fed: random bytes, random YAML, and valid manifests
 * mutated at random. Every input yields a result whose diagnostics are well-formed and located.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { parseAllDocuments, stringify } from 'yaml';
import { validateSources } from './validate.ts';
import { YAML_1_2_CORE_SCHEMA } from './yaml-core-schema.ts';
import type { ValidationResult } from './validate.ts';
import type { SourceFile } from './source-document.ts';

const manifestsDir = join(import.meta.dirname, '..', '..', 'manifests');
const validFiles: SourceFile[] = readdirSync(manifestsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ path: `manifests/${f}`, text: readFileSync(join(manifestsDir, f), 'utf8') }));
const validDocuments: unknown[] = validFiles.flatMap((f) => parseAllDocuments(f.text)).flatMap((d) => ('toJS' in d ? [d.toJS() as unknown] : []));

const RUNS = Number(process.env.BERTH_PROPERTY_RUNS ?? 200);

/** What js-yaml (the fast path) and the yaml package (positions) read from a text; an error reads as 'error'. */
function bothParsers(text: string): [unknown, unknown] {
  let fast: unknown;
  try {
    fast = loadAll(text, undefined, { schema: YAML_1_2_CORE_SCHEMA });
  } catch {
    fast = 'error';
  }
  const docs = parseAllDocuments(text);
  const parsed = Array.isArray(docs) ? docs : [];
  const positional = parsed.some((d) => d.errors.length > 0) ? 'error' : parsed.map((d) => d.toJS() as unknown);
  return [fast, positional];
}

/** The invariants of any result. */
function assertWellFormed(result: ValidationResult, files: readonly SourceFile[]): void {
  const lineCounts = new Map(files.map((f) => [f.path, f.text.split('\n').length]));
  for (const d of result.diagnostics) {
    expect(d.severity === 'error' || d.severity === 'warning').toBe(true);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.fix.length).toBeGreaterThan(0);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(Math.max(1, lineCounts.get(d.file) ?? 1));
  }
  expect(result.valid).toBe(!result.diagnostics.some((d) => d.severity === 'error'));
  if (result.valid) expect(result.manifests.length).toBe(result.documentCount);
}

function check(files: SourceFile[]): void {
  assertWellFormed(validateSources(files), files);
}

/** A path into a JSON value, chosen with the help of random numbers. */
function pickPath(value: unknown, choices: readonly number[]): (string | number)[] {
  const path: (string | number)[] = [];
  let current = value;
  for (const choice of choices) {
    if (Array.isArray(current) && current.length > 0) {
      const i = choice % current.length;
      path.push(i);
      current = current[i] as unknown;
    } else if (current !== null && typeof current === 'object' && Object.keys(current).length > 0) {
      const keys = Object.keys(current);
      const key = keys[choice % keys.length] as string;
      path.push(key);
      current = (current as Record<string, unknown>)[key];
    } else break;
  }
  return path;
}

type Mutation = { readonly op: 'delete' | 'set' | 'rename'; readonly choices: readonly number[]; readonly value: unknown; readonly name: string };

function mutate(doc: unknown, m: Mutation): unknown {
  const copy = structuredClone(doc);
  const path = pickPath(copy, m.choices);
  if (path.length === 0) return m.op === 'set' ? m.value : copy;
  const last = path[path.length - 1] as string | number;
  let parent = copy as Record<string | number, unknown>;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (m.op === 'set') parent[last] = m.value;
  else if (!Array.isArray(parent)) {
    parent[m.name] = parent[last];
    delete parent[last];
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete' as const, 'set' as const, 'rename' as const),
  choices: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
  value: fc.oneof(fc.jsonValue(), fc.constantFrom('latest', 'FARGATE', 'awsvpc', -1, 0, 70000, 'AKIAIOSFODNN7EXAMPLE', null)),
  name: fc.oneof(fc.string(), fc.constantFrom('desiredCount', 'desiredCapacity', 'kind', 'spec', '__proto__', 'constructor')),
});

describe('validation never crashes', () => {
  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        check([{ path: 'random.yaml', text: Buffer.from(bytes).toString('utf8') }]);
      }),
      { numRuns: RUNS },
    );
  });

  it('on random YAML', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 5 }), { maxLength: 4 }), (docs) => {
        check([{ path: 'random.yaml', text: docs.map((d) => stringify(d)).join('---\n') }]);
      }),
      { numRuns: RUNS },
    );
  });

  it('on valid manifests mutated at random', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 5 }), (edits) => {
        const docs = [...validDocuments];
        for (const [which, m] of edits) {
          const i = which % docs.length;
          docs[i] = mutate(docs[i], m);
        }
        check([{ path: 'mutated.yaml', text: docs.map((d) => stringify(d)).join('---\n') }]);
      }),
      { numRuns: RUNS },
    );
  });

  it('on valid manifest text edited at random (characters inserted, deleted, replaced)', () => {
    const text = validFiles.map((f) => f.text).join('---\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 20 }), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 6 }),
        (edits) => {
          let edited = text;
          for (const [at, remove, insert] of edits) edited = edited.slice(0, at) + insert + edited.slice(at + remove);
          check([{ path: 'edited.yaml', text: edited }]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reads the same data through both YAML parsers (js-yaml for speed, yaml for positions)', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.constantFrom('yes', 'no', 'on', 'off', 'null', '~', '0x1F', '0o17', '1e3', '.inf', '-.NaN', '2024-12-01', '012', '+1', '1_000', 'true', 'True', 'TRUE'),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 3 }), fc.boolean(), (docs, plain) => {
        // Scalars written both quoted and plain, so the parsers' type resolution is compared.
        const text = docs.map((d) => (plain ? stringify(d, { defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN' }) : stringify(d))).join('---\n');
        const [fast, positional] = bothParsers(text);
        expect(fast).toEqual(positional);
      }),
      { numRuns: RUNS },
    );
  });

  it('resolves plain scalars the same way in both parsers (numbers, booleans, nulls and near misses)', () => {
    const numberish = fc.oneof(
      fc.stringMatching(/^[-+]?(\.[0-9]{1,3}|[0-9]{1,4}(\.[0-9]{0,3})?)([eE][-+]?[0-9]{1,2})?$/),
      fc.stringMatching(/^(0o[0-7]{1,4}|0x[0-9a-fA-F]{1,4}|0b[01]{1,4}|[-+]?\.(inf|Inf|INF|nan|NaN|NAN))$/),
      fc.string({ unit: fc.constantFrom(...'0123456789.+-eExXoObB_:aInfNulTrFsy~'), minLength: 1, maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(numberish, { minLength: 1, maxLength: 6 }), (scalars) => {
        const text = scalars.map((v, i) => `k${i}: ${v}`).join('\n');
        const [fast, positional] = bothParsers(text);
        expect(fast).toEqual(positional);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('on the hostile YAML shapes people and attackers write', () => {
    const hostile = [
      'a: &a [*a]', // self-referencing alias
      `x: &x [${'"lol",'.repeat(10)}]\n${Array.from({ length: 12 }, (_, i) => `l${i}: &l${i} [${`*${i === 0 ? 'x' : `l${i - 1}`},`.repeat(10)}]`).join('\n')}`, // alias bomb
      '? [complex, key]\n: value',
      '!!binary aGVsbG8=',
      'kind: !custom Service',
      '{'.repeat(500),
      '- '.repeat(500),
      'apiVersion: berth.dev/v1\nkind: Service\nmetadata: { name: x }\nspec: { taskDefinition: { containerDefinitions: {} } }',
      'apiVersion: berth.dev/v1\nkind: QueueScaler\nmetadata: { name: __proto__ }\nspec: { __proto__: { polluted: true } }',
      '\uFEFFapiVersion: berth.dev/v1\r\nkind: Cluster\r\nmetadata: { name: bom }\r\nspec: {}\r\n',
    ];
    for (const text of hostile) check([{ path: 'hostile.yaml', text }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
