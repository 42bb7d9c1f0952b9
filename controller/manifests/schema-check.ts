/**
 * Checks documents against the JSON Schemas in `schemas/` with ajv, and turns ajv's errors into
 * diagnostics that say what was expected, what was found and how to fix it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { describeValue, formatPath, parsePointer } from './diagnostics.ts';
import type { PathSegment } from './diagnostics.ts';
import { KINDS } from './kinds.ts';
import type { Kind } from './kinds.ts';
import { listChoices, suggest } from './suggest.ts';

/** Where the schemas live: `schemas/` at the repository root. */
export const SCHEMAS_DIR = join(import.meta.dirname, '..', '..', 'schemas');

/** A schema problem at a field, before it is placed in a file. */
export interface SchemaProblem {
  readonly rule: string;
  readonly path: readonly PathSegment[];
  /** Point at the field's key (unknown fields, missing children) rather than its value. */
  readonly at: 'key' | 'value';
  readonly message: string;
  readonly expected?: string | undefined;
  readonly found?: string | undefined;
  readonly fix: string;
}

type JsonSchema = Record<string, unknown>;

/**
 * Fields that DescribeTaskDefinition / DescribeServices return but that are not inputs. People paste
 * them along with a task definition; say what they are instead of only "unknown field".
 */
const READ_ONLY_FIELDS: Readonly<Record<string, string>> = {
  taskDefinitionArn: 'DescribeTaskDefinition',
  revision: 'DescribeTaskDefinition',
  status: 'DescribeTaskDefinition',
  requiresAttributes: 'DescribeTaskDefinition',
  compatibilities: 'DescribeTaskDefinition',
  registeredAt: 'DescribeTaskDefinition',
  registeredBy: 'DescribeTaskDefinition',
  deregisteredAt: 'DescribeTaskDefinition',
  serviceArn: 'DescribeServices',
  clusterArn: 'DescribeServices',
  runningCount: 'DescribeServices',
  pendingCount: 'DescribeServices',
  deployments: 'DescribeServices',
  events: 'DescribeServices',
  createdAt: 'DescribeServices',
  createdBy: 'DescribeServices',
  roleArn: 'DescribeServices',
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

export class SchemaChecker {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<Kind, ValidateFunction>();

  constructor(schemasDir: string = SCHEMAS_DIR) {
    // Unoptimised code generation compiles the schemas twice as fast and validates as fast; the
    // schemas themselves are checked against the meta-schema by test/schemas.test.ts.
    this.ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      verbose: true,
      allowUnionTypes: true,
      validateSchema: false,
      code: { optimize: false },
    });
    this.ajv.addSchema(readJson(join(schemasDir, 'common.schema.json')), 'common.schema.json');
    for (const { schemaFile } of KINDS) this.ajv.addSchema(readJson(join(schemasDir, schemaFile)), schemaFile);
  }

  /** The kind's validator, compiled on first use: a run compiles only the kinds it meets. */
  private validator(kind: Kind): ValidateFunction {
    let validate = this.validators.get(kind);
    if (!validate) {
      const schemaFile = KINDS.find((k) => k.kind === kind)?.schemaFile ?? '';
      validate = this.ajv.getSchema(schemaFile);
      if (!validate) throw new Error(`no schema for kind ${kind}`);
      this.validators.set(kind, validate);
    }
    return validate;
  }

  /** Checks one document of a known kind; an empty array means it matches the schema. */
  check(kind: Kind, data: unknown): SchemaProblem[] {
    const validate = this.validator(kind);
    if (validate(data)) return [];
    const schemaFile = KINDS.find((k) => k.kind === kind)?.schemaFile ?? '';
    const problems = (validate.errors ?? []).map((e) => this.translate(e, data, schemaFile));
    // A value of the wrong type also fails its enum or pattern; the type error alone says it all.
    const mistyped = new Set(problems.filter((p) => p.rule === 'schema/type').map((p) => formatPath(p.path)));
    return problems.filter((p) => p.rule === 'schema/type' || !mistyped.has(formatPath(p.path)));
  }

  private translate(error: ErrorObject, root: unknown, schemaFile: string): SchemaProblem {
    const path = parsePointer(error.instancePath);
    const value = valueAt(root, path);
    const parent = (error.parentSchema ?? {}) as JsonSchema;
    const field = formatPath(path);
    const described = typeof parent.description === 'string' ? ` (${firstSentence(parent.description)})` : '';
    switch (error.keyword) {
      case 'additionalProperties': {
        const name = String((error.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys(parent.properties ?? {});
        const where = path.length === 0 ? 'at the top of the document' : `in \`${field}\``;
        const source = READ_ONLY_FIELDS[name];
        if (source !== undefined && !allowed.includes(name)) {
          return {
            rule: 'schema/read-only-field',
            path: [...path, name],
            at: 'key',
            message: `\`${name}\` is part of the ${source} output, not of the input Berth applies`,
            found: `\`${name}\``,
            fix: `remove \`${name}\`; AWS sets it`,
          };
        }
        const hint = suggest(name, allowed);
        return {
          rule: 'schema/unknown-field',
          path: [...path, name],
          at: 'key',
          message: `unknown field \`${name}\` ${where}`,
          expected: `one of ${listChoices(allowed)}`,
          found: `\`${name}\``,
          fix: hint !== undefined ? `did you mean \`${hint}\`?` : `remove \`${name}\`, or move it where it belongs`,
        };
      }
      case 'required': {
        const missing = (error.params as { missingProperty: string }).missingProperty;
        const propSchema = this.resolve(((parent.properties ?? {}) as Record<string, JsonSchema | undefined>)[missing], schemaFile);
        const about = typeof propSchema?.description === 'string' ? firstSentence(propSchema.description) : undefined;
        const fixed = propSchema?.const !== undefined ? `${missing}: ${JSON.stringify(propSchema.const)}` : `${missing}:`;
        const where = path.length === 0 ? 'the document' : `\`${field}\``;
        return {
          rule: 'schema/missing-field',
          path,
          at: 'key',
          message: `missing required field \`${missing}\` in ${where}`,
          expected: `\`${missing}\`${about ? `: ${about}` : ''}`,
          found: 'nothing',
          fix: `add \`${fixed}\` ${path.length === 0 ? 'at the top of the document' : `under \`${field}\``}`,
        };
      }
      case 'type': {
        const types = ([] as string[]).concat((error.params as { type: string | string[] }).type);
        const expected = types.map((t) => TYPE_NAMES[t] ?? t).join(' or ');
        return {
          rule: 'schema/type',
          path,
          at: 'value',
          message: `\`${field}\` must be ${expected}, not ${describeValue(value)}`,
          expected,
          found: describeValue(value),
          fix: typeFix(types, value),
        };
      }
      case 'enum': {
        const allowed = (error.schema as unknown[]).map(String);
        const hint = suggest(String(value), allowed);
        return {
          rule: 'schema/enum',
          path,
          at: 'value',
          message: `\`${field}\` must be ${listChoices(allowed)}, not ${describeValue(value)}`,
          expected: listChoices(allowed),
          found: describeValue(value),
          fix: hint !== undefined ? `did you mean \`${hint}\`?` : `use one of ${listChoices(allowed)}`,
        };
      }
      case 'const': {
        const wanted = JSON.stringify(error.schema);
        return {
          rule: 'schema/const',
          path,
          at: 'value',
          message: `\`${field}\` must be ${wanted}, not ${describeValue(value)}`,
          expected: wanted,
          found: describeValue(value),
          fix: `write \`${field}: ${String(error.schema)}\``,
        };
      }
      case 'pattern':
        return {
          rule: 'schema/pattern',
          path,
          at: 'value',
          message: `\`${field}\` has the wrong format: ${describeValue(value)}${described}`,
          expected: `text matching ${String(error.schema)}`,
          found: describeValue(value),
          fix: typeof parent.description === 'string' ? firstSentence(parent.description) : `match ${String(error.schema)}`,
        };
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
      case 'multipleOf': {
        const { comparison, limit } = error.params as { comparison?: string; limit?: number; multipleOf?: number };
        const bound =
          error.keyword === 'multipleOf'
            ? `a multiple of ${String(error.schema)}`
            : `${comparison ?? ''} ${String(limit ?? error.schema)}`.trim();
        return {
          rule: 'schema/range',
          path,
          at: 'value',
          message: `\`${field}\` must be ${bound}, not ${String(value)}${described}`,
          expected: bound,
          found: String(value),
          fix: `set \`${field}\` to a value ${bound}`,
        };
      }
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems': {
        const limit = (error.params as { limit: number }).limit;
        const items = error.keyword.endsWith('Items');
        const unit = items ? (limit === 1 ? 'item' : 'items') : limit === 1 ? 'character' : 'characters';
        const atLeast = error.keyword.startsWith('min');
        const size = items ? (Array.isArray(value) ? value.length : 0) : String(value).length;
        const bound = `${atLeast ? 'at least' : 'at most'} ${limit} ${unit}`;
        return {
          rule: 'schema/size',
          path,
          at: 'value',
          message: `\`${field}\` must have ${bound}; it has ${size}`,
          expected: bound,
          found: `${size}`,
          fix: atLeast ? `give \`${field}\` ${bound}` : `shorten \`${field}\` to ${bound}`,
        };
      }
      case 'uniqueItems': {
        const { i, j } = error.params as { i: number; j: number };
        return {
          rule: 'schema/unique-items',
          path: [...path, i],
          at: 'value',
          message: `\`${field}\` lists the same item twice (items ${j} and ${i}, counting from 0)`,
          found: describeValue(Array.isArray(value) ? (value as unknown[])[i] : undefined),
          fix: `remove the duplicate from \`${field}\``,
        };
      }
      case 'not':
        // The only `not` in the schemas guards tag keys against reserved prefixes.
        return {
          rule: 'schema/reserved',
          path,
          at: 'value',
          message: `\`${field}\` uses a reserved prefix: ${describeValue(value)}`,
          expected: 'a key not starting with `aws:` (AWS) or `berth.dev/` (Berth ownership tags)',
          found: describeValue(value),
          fix: 'choose another key; Berth adds its own `berth.dev/` tags',
        };
      default:
        return {
          rule: `schema/${error.keyword}`,
          path,
          at: 'value',
          message: `\`${field}\` ${error.message ?? 'is invalid'}`,
          found: describeValue(value),
          fix: typeof parent.description === 'string' ? firstSentence(parent.description) : 'see the schema',
        };
    }
  }

  /** A property's schema, following a `$ref` when there is one. */
  private resolve(schema: JsonSchema | undefined, schemaFile: string): JsonSchema | undefined {
    if (typeof schema?.$ref !== 'string') return schema;
    const ref = schema.$ref.startsWith('#') ? `${schemaFile}${schema.$ref}` : schema.$ref;
    return this.ajv.getSchema(ref)?.schema as JsonSchema | undefined;
  }
}

function typeFix(types: readonly string[], value: unknown): string {
  const wantsString = types.includes('string');
  const wantsNumber = types.includes('integer') || types.includes('number');
  if (value === null || value === undefined) return 'give it a value, or remove the field';
  if (wantsString && (typeof value === 'number' || typeof value === 'boolean')) {
    return `quote the value: "${String(value)}"`;
  }
  if (wantsNumber && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) {
    return `remove the quotes: ${value.trim()}`;
  }
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return `remove the quotes: ${value}`;
  if (types.includes('array')) return 'write a list, one item per line starting with `- `';
  if (types.includes('object')) return 'write a mapping of `key: value` lines, indented under the field';
  return `write ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function firstSentence(text: string): string {
  const match = /^(.*?[.!?])(\s|$)/s.exec(text);
  return (match?.[1] ?? text).trim();
}

function readJson(file: string): object {
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}
