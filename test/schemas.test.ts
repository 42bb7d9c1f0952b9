/**
 * The schemas themselves: strict, described, consistent with each other and with the enums of the
 * AWS SDK clients Berth calls, and referenced by every manifest file.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as autoscaling from '@aws-sdk/client-auto-scaling';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as ecs from '@aws-sdk/client-ecs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../controller/manifests/kinds.ts';

type Schema = Record<string, unknown>;

const root = join(import.meta.dirname, '..');
const schemasDir = join(root, 'schemas');
const files = readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json')).sort();
const schemas = new Map(files.map((f) => [f, JSON.parse(readFileSync(join(schemasDir, f), 'utf8')) as Schema]));

function schema(file: string): Schema {
  const s = schemas.get(file);
  if (!s) throw new Error(`no schema ${file}`);
  return s;
}

/** Follows a `$ref` (local or to another file in schemas/) to its target. */
function deref(s: Schema, file: string): [Schema, string] {
  const ref = s.$ref;
  if (typeof ref !== 'string') return [s, file];
  const [target, pointer = ''] = ref.split('#');
  const targetFile = target === '' || target === undefined ? file : target;
  let node: unknown = schema(targetFile);
  for (const part of pointer.split('/').filter(Boolean)) node = (node as Schema)[part];
  return deref(node as Schema, targetFile);
}

/** The subschema at a property path, stepping through arrays' items and $refs. */
function at(file: string, path: readonly string[]): Schema {
  let [node, current] = deref(schema(file), file);
  for (const key of path) {
    while (node.type === 'array') [node, current] = deref(node.items as Schema, current);
    const next = (node.properties as Record<string, Schema> | undefined)?.[key];
    if (!next) throw new Error(`${file}: no property ${key} in ${path.join('.')}`);
    [node, current] = deref(next, current);
  }
  while (node.type === 'array') [node, current] = deref(node.items as Schema, current);
  return node;
}

/** Every subschema with the JSON path that leads to it (conditions under `if` are not fields). */
function* walk(node: unknown, path: string): Generator<[Schema, string]> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const s = node as Schema;
  yield [s, path];
  for (const key of ['properties', '$defs'] as const) {
    for (const [name, child] of Object.entries((s[key] ?? {}) as Record<string, unknown>)) yield* walk(child, `${path}/${key}/${name}`);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'then', 'else', 'not'] as const) yield* walk(s[key], `${path}/${key}`);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const [i, child] of ((s[key] ?? []) as unknown[]).entries()) yield* walk(child, `${path}/${key}/${i}`);
  }
}

describe('schemas', () => {
  it('are exactly the common definitions, the union and one per kind', () => {
    expect(files).toEqual(['common.schema.json', 'manifest.schema.json', ...KINDS.map((k) => k.schemaFile)].sort());
  });

  it('all compile in ajv strict mode', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    for (const [file, s] of schemas) ajv.addSchema(s, file);
    for (const file of files) expect(() => ajv.getSchema(file), file).not.toThrow();
  });

  it('describe every property, and reject unknown fields on every object', () => {
    const problems: string[] = [];
    for (const [file, s] of schemas) {
      for (const [node, path] of walk(s, file)) {
        const properties = node.properties as Record<string, Schema> | undefined;
        for (const [name, prop] of Object.entries(properties ?? {})) {
          const [target] = deref(prop, file);
          if (typeof prop.description !== 'string' && typeof target.description !== 'string') problems.push(`${path}/properties/${name}: no description`);
        }
        const isUnion = file === 'manifest.schema.json' && path === file;
        if (node.type === 'object' && node.additionalProperties === undefined && !isUnion && path !== `${file}/properties/spec`) {
          problems.push(`${path}: object without additionalProperties`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keep cross-field rules in code, where their messages are better', () => {
    const crossField = ['oneOf', 'anyOf', 'dependentSchemas', 'dependentRequired'];
    for (const { schemaFile } of KINDS) {
      for (const [node, path] of walk(schema(schemaFile), schemaFile)) {
        for (const keyword of crossField) expect(node[keyword], `${path}/${keyword}`).toBeUndefined();
      }
    }
  });

  it('have a union schema that dispatches every kind to its schema', () => {
    const union = schema('manifest.schema.json');
    expect((union.properties as Record<string, Schema>).kind?.enum).toEqual(KINDS.map((k) => k.kind));
    const branches = (union.allOf as { if: { properties: { kind: { const: string } } }; then: { $ref: string } }[]).map((b) => [b.if.properties.kind.const, b.then.$ref]);
    expect(branches).toEqual(KINDS.map((k) => [k.kind, k.schemaFile]));
    for (const { kind, schemaFile } of KINDS) expect(at(schemaFile, ['kind']).const).toBe(kind);
  });
});

describe('schema enums match the AWS SDK clients', () => {
  const values = (e: Record<string, string>): string[] => Object.values(e).sort();
  const td = ['spec', 'taskDefinition'];
  const container = [...td, 'containerDefinitions'];
  it.each([
    ['service.schema.json', ['spec', 'launchType'], ecs.LaunchType],
    ['service.schema.json', ['spec', 'propagateTags'], ecs.PropagateTags],
    ['service.schema.json', ['spec', 'schedulingStrategy'], ecs.SchedulingStrategy],
    ['service.schema.json', ['spec', 'placementStrategy', 'type'], ecs.PlacementStrategyType],
    ['service.schema.json', ['spec', 'placementConstraints', 'type'], ecs.PlacementConstraintType],
    ['service.schema.json', ['spec', 'deploymentController', 'type'], ecs.DeploymentControllerType],
    ['service.schema.json', ['spec', 'deploymentConfiguration', 'strategy'], ecs.DeploymentStrategy],
    ['service.schema.json', ['spec', 'networkConfiguration', 'awsvpcConfiguration', 'assignPublicIp'], ecs.AssignPublicIp],
    ['service.schema.json', ['spec', 'availabilityZoneRebalancing'], ecs.AvailabilityZoneRebalancing],
    ['service.schema.json', [...td, 'networkMode'], ecs.NetworkMode],
    ['service.schema.json', [...td, 'requiresCompatibilities'], ecs.Compatibility],
    ['service.schema.json', [...td, 'pidMode'], ecs.PidMode],
    ['service.schema.json', [...td, 'ipcMode'], ecs.IpcMode],
    ['service.schema.json', [...td, 'placementConstraints', 'type'], ecs.TaskDefinitionPlacementConstraintType],
    ['service.schema.json', [...td, 'runtimePlatform', 'cpuArchitecture'], ecs.CPUArchitecture],
    ['service.schema.json', [...td, 'runtimePlatform', 'operatingSystemFamily'], ecs.OSFamily],
    ['service.schema.json', [...container, 'portMappings', 'protocol'], ecs.TransportProtocol],
    ['service.schema.json', [...container, 'portMappings', 'appProtocol'], ecs.ApplicationProtocol],
    ['service.schema.json', [...container, 'logConfiguration', 'logDriver'], ecs.LogDriver],
    ['service.schema.json', [...container, 'ulimits', 'name'], ecs.UlimitName],
    ['service.schema.json', [...container, 'resourceRequirements', 'type'], ecs.ResourceType],
    ['service.schema.json', [...container, 'dependsOn', 'condition'], ecs.ContainerCondition],
    ['service.schema.json', [...container, 'versionConsistency'], ecs.VersionConsistency],
    ['cluster.schema.json', ['spec', 'settings', 'name'], ecs.ClusterSettingName],
    ['alarm.schema.json', ['spec', 'statistic'], cloudwatch.Statistic],
    ['alarm.schema.json', ['spec', 'comparisonOperator'], cloudwatch.ComparisonOperator],
    ['alarm.schema.json', ['spec', 'unit'], cloudwatch.StandardUnit],
  ] as const)('%s %j', (file, path, sdkEnum) => {
    expect((at(file, path).enum as string[]).slice().sort()).toEqual(values(sdkEnum as Record<string, string>));
  });

  it('uses the Auto Scaling client (the ASG kind has no enums; the group name limit matches)', () => {
    expect(typeof autoscaling.UpdateAutoScalingGroupCommand).toBe('function');
    expect(at('auto-scaling-group.schema.json', ['spec', 'autoScalingGroupName']).maxLength).toBe(255);
  });
});

describe('manifests/', () => {
  const manifestsDir = join(root, 'manifests');
  const manifestFiles = readdirSync(manifestsDir).filter((f) => /\.ya?ml$/.test(f));

  it.each(manifestFiles)('%s starts with a yaml-language-server modeline naming the right schema', (file) => {
    const text = readFileSync(join(manifestsDir, file), 'utf8');
    const match = /^# yaml-language-server: \$schema=\.\.\/schemas\/(\S+)\n/.exec(text);
    expect(match, 'first line').not.toBeNull();
    const schemaFile = match?.[1] ?? '';
    expect(files).toContain(schemaFile);
    const kinds = new Set(parseAllDocuments(text).flatMap((d) => ('toJS' in d ? [(d.toJS() as { kind: string }).kind] : [])));
    if (schemaFile !== 'manifest.schema.json') {
      expect([...kinds].map((k) => KINDS.find((x) => x.kind === k)?.schemaFile)).toEqual([schemaFile]);
    }
  });
});
