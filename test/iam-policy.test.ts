/**
 * The controller's IAM policy, docs/iam/berth-controller-policy.json, against the code and the
 * manifests (see docs/iam/README.md):
 *
 * - every AWS SDK command the code sends (`new XxxCommand(` of a class imported from an
 *   `@aws-sdk/client-*` package, in controller/ and services/, tests excluded) is allowed;
 * - no write action the code never sends is allowed (reads are Describe*, List*, Get*, as
 *   `isReadOperation` says; the only extra is iam:PassRole, which RegisterTaskDefinition needs);
 * - no service-wide wildcard, and wildcards only on reads;
 * - iam:PassRole names exactly the task and execution roles of the manifests;
 * - the regions, accounts, adopted groups, metric namespaces, alarm actions and the instance name
 *   in the policy are the ones the manifests (and `--instance`) use.
 *
 * The scanner and the checks are pure functions, also tested on synthetic input: a new write
 * command without a statement for it fails here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isReadOperation } from '../controller/aws/aws-context.ts';

const root = join(import.meta.dirname, '..');
const POLICY_PATH = join(root, 'docs', 'iam', 'berth-controller-policy.json');
const MANIFESTS_DIR = join(root, 'manifests');
/** What the code is scanned in; the AWS simulator (sim/), scripts and benchmarks never run with the role. */
const SCANNED_DIRS = ['controller', 'services'];

/** The IAM service prefix of each SDK client package Berth may import. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-auto-scaling': 'autoscaling',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-resource-groups-tagging-api': 'tag',
};

/**
 * Write actions the code never sends itself but AWS authorizes as part of a call it sends
 * (the Service Authorization Reference's "dependent actions"): allowed only while that call is made.
 */
const DEPENDENT_WRITES: Readonly<Record<string, readonly string[]>> = {
  // RegisterTaskDefinition passes the task definition's taskRoleArn and executionRoleArn.
  'iam:PassRole': ['ecs:RegisterTaskDefinition'],
};

/**
 * Actions the Service Authorization Reference lists without a (required) resource type: the only
 * ones a statement may grant on Resource "*". Every other action is scoped by ARN.
 */
const NO_RESOURCE_LEVEL = new Set([
  'ecs:DescribeTaskDefinition',
  'ecs:ListTaskDefinitions',
  'ecs:DeregisterTaskDefinition',
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeScalingActivities',
  'cloudwatch:PutMetricData',
  'tag:GetResources',
]);

/** The tag that says which Berth instance owns a resource (controller/engine/ownership.ts). */
const MANAGED_BY = 'berth.dev/managed-by';
/** The instance the policy is written for: `--instance`'s default, or BERTH_INSTANCE as the controller reads it. */
const INSTANCE = process.env.BERTH_INSTANCE ?? 'berth';
/** AWS's limit on a customer managed policy, whitespace excluded. */
const MANAGED_POLICY_MAX_CHARS = 6144;

// ---------------------------------------------------------------------------------------------
// The code: which SDK commands it sends.

interface ScanResult {
  /** `ecs:DescribeServices` → the files that construct its command. */
  readonly actions: ReadonlyMap<string, readonly string[]>;
  /** What the scanner could not map to an IAM action. */
  readonly problems: readonly string[];
}

/** The IAM actions of the SDK commands one source file constructs, and what it cannot resolve. */
function scanSource(source: string, file: string): { actions: string[]; problems: string[] } {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const named = new Map<string, { module: string; exported: string }>();
  const namespaces = new Map<string, string>();
  const actions: string[] = [];
  const problems: string[] = [];
  const where = (node: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  const known = (module: string, node: ts.Node): boolean => {
    if (IAM_PREFIX[module] !== undefined) return true;
    problems.push(`${where(node)}: imports ${module}, which has no IAM prefix in this test (add it to IAM_PREFIX and the policy)`);
    return false;
  };

  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const spec = statement.moduleSpecifier;
    if (spec === undefined || !ts.isStringLiteral(spec) || !spec.text.startsWith('@aws-sdk/client-')) continue;
    if (!known(spec.text, statement)) continue;
    if (ts.isExportDeclaration(statement)) {
      if (!statement.isTypeOnly) problems.push(`${where(statement)}: re-exports from ${spec.text}; construct commands where the client is imported so that this scan sees them`);
      continue;
    }
    const clause = statement.importClause;
    if (clause === undefined || clause.isTypeOnly) continue;
    const bindings = clause.namedBindings;
    if (bindings !== undefined && ts.isNamespaceImport(bindings)) namespaces.set(bindings.name.text, spec.text);
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        if (element.isTypeOnly) continue;
        named.set(element.name.text, { module: spec.text, exported: (element.propertyName ?? element.name).text });
      }
    }
  }

  const commandAction = (module: string, exported: string): string | undefined =>
    exported.endsWith('Command') && exported !== 'Command' ? `${IAM_PREFIX[module] ?? '?'}:${exported.slice(0, -'Command'.length)}` : undefined;

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteral(arg) && arg.text.startsWith('@aws-sdk/client-')) {
        problems.push(`${where(node)}: dynamic import of ${arg.text}; import it statically so that this scan sees its commands`);
      }
    }
    if (ts.isNewExpression(node)) {
      const target = node.expression;
      if (ts.isIdentifier(target)) {
        const imported = named.get(target.text);
        const action = imported ? commandAction(imported.module, imported.exported) : undefined;
        if (action !== undefined) actions.push(action);
        else if (!imported && /^\w+Command$/.test(target.text) && target.text !== 'Command') {
          problems.push(`${where(node)}: new ${target.text}(…) is not imported from an @aws-sdk/client-* package; cannot map it to an IAM action`);
        }
      } else if (ts.isPropertyAccessExpression(target) && ts.isIdentifier(target.expression)) {
        const module = namespaces.get(target.expression.text);
        const action = module !== undefined ? commandAction(module, target.name.text) : undefined;
        if (action !== undefined) actions.push(action);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { actions, problems };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/\.(test|spec)\.ts$/.test(f) && !f.split(sep).includes('node_modules'))
    .map((f) => join(root, dir, f))
    .sort();
}

function scanCode(): ScanResult {
  const actions = new Map<string, string[]>();
  const problems: string[] = [];
  for (const path of SCANNED_DIRS.flatMap(sourceFiles)) {
    const file = relative(root, path);
    const result = scanSource(readFileSync(path, 'utf8'), file);
    problems.push(...result.problems);
    for (const action of result.actions) actions.set(action, [...new Set([...(actions.get(action) ?? []), file])]);
  }
  return { actions, problems };
}

// ---------------------------------------------------------------------------------------------
// The policy: its shape and what it allows.

type ConditionBlock = Record<string, Record<string, string | string[]>>;

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: ConditionBlock;
}

interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement[];
}

const list = (value: string | readonly string[] | undefined): string[] => (value === undefined ? [] : typeof value === 'string' ? [value] : [...value]);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringOrList = (value: unknown): boolean => (typeof value === 'string' && value !== '') || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v !== ''));

/** What makes `doc` an invalid IAM identity policy document (empty when it is a valid one). */
function validatePolicyDocument(doc: unknown): string[] {
  if (!isRecord(doc)) return ['the policy is not a JSON object'];
  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!['Version', 'Id', 'Statement'].includes(key)) problems.push(`unknown top-level element ${key}`);
  if (doc.Version !== '2012-10-17') problems.push(`Version must be "2012-10-17", found ${JSON.stringify(doc.Version)}`);
  if (!Array.isArray(doc.Statement) || doc.Statement.length === 0) return [...problems, 'Statement must be a non-empty array'];
  const sids = new Set<string>();
  doc.Statement.forEach((s: unknown, i) => {
    const at = `Statement[${i}]`;
    if (!isRecord(s)) {
      problems.push(`${at} is not an object`);
      return;
    }
    for (const key of Object.keys(s)) {
      if (!['Sid', 'Effect', 'Action', 'Resource', 'Condition'].includes(key)) problems.push(`${at}: ${key} is not allowed here (identity policy; no NotAction/NotResource/Principal)`);
    }
    if (s.Sid !== undefined) {
      if (typeof s.Sid !== 'string' || !/^[A-Za-z0-9]+$/.test(s.Sid)) problems.push(`${at}: Sid must be alphanumeric`);
      else if (sids.has(s.Sid)) problems.push(`${at}: duplicate Sid ${s.Sid}`);
      else sids.add(s.Sid);
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') problems.push(`${at}: Effect must be Allow or Deny`);
    if (!isStringOrList(s.Action)) problems.push(`${at}: Action must be a string or a non-empty list of strings`);
    else for (const a of list(s.Action as string | string[])) if (a !== '*' && !/^[a-z0-9-]+:[A-Za-z0-9*?]+$/.test(a)) problems.push(`${at}: ${a} is not service:Action`);
    if (!isStringOrList(s.Resource)) problems.push(`${at}: Resource must be a string or a non-empty list of strings`);
    else for (const r of list(s.Resource as string | string[])) if (r !== '*' && !r.startsWith('arn:aws:')) problems.push(`${at}: Resource ${r} is neither "*" nor an arn:aws: ARN`);
    if (s.Condition !== undefined) {
      if (!isRecord(s.Condition)) problems.push(`${at}: Condition must be an object`);
      else {
        for (const [operator, block] of Object.entries(s.Condition)) {
          if (!isRecord(block) || Object.keys(block).length === 0) problems.push(`${at}: Condition ${operator} must map keys to values`);
          else for (const [key, value] of Object.entries(block)) if (!isStringOrList(value)) problems.push(`${at}: Condition ${operator} ${key} must be a string or a list of strings`);
        }
      }
    }
  });
  return problems;
}

/** An IAM wildcard pattern (`*`, `?`) as a case-insensitive regular expression (actions are case-insensitive). */
function patternRegExp(pattern: string, flags = 'i'): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

const matches = (pattern: string, action: string): boolean => patternRegExp(pattern).test(action);
const allowStatements = (policy: PolicyDocument): Statement[] => policy.Statement.filter((s) => s.Effect === 'Allow');
const statementsAllowing = (policy: PolicyDocument, action: string): Statement[] => allowStatements(policy).filter((s) => list(s.Action).some((p) => matches(p, action)));
const operationOf = (action: string): string => action.slice(action.indexOf(':') + 1);
const isWrite = (action: string): boolean => !isReadOperation(operationOf(action));
const label = (s: Statement, policy: PolicyDocument): string => s.Sid ?? `Statement[${policy.Statement.indexOf(s)}]`;

/**
 * What is wrong with `policy` for code that sends `used` (IAM actions): a call it does not allow, a
 * write it allows that nothing sends, a service-wide wildcard, a wildcard that may match writes, a
 * write without a condition, or an action on Resource "*" that supports resource-level permissions.
 */
function checkPolicy(policy: PolicyDocument, used: readonly string[]): string[] {
  const problems: string[] = [];
  const usedLower = new Set(used.map((a) => a.toLowerCase()));
  for (const action of used) if (statementsAllowing(policy, action).length === 0) problems.push(`${action} is sent by the code but no statement allows it`);

  for (const s of allowStatements(policy)) {
    const resources = list(s.Resource);
    for (const pattern of list(s.Action)) {
      const [service = '', operation = ''] = pattern.split(':');
      if (pattern === '*' || operation === '*' || /[*?]/.test(service)) {
        problems.push(`${label(s, policy)}: ${pattern} is a service-wide wildcard`);
        continue;
      }
      const wildcard = operation.search(/[*?]/);
      if (wildcard !== -1) {
        if (!isReadOperation(operation.slice(0, wildcard))) problems.push(`${label(s, policy)}: ${pattern} may match write actions; spell writes out`);
        continue;
      }
      if (isWrite(pattern)) {
        const parents = DEPENDENT_WRITES[pattern];
        if (parents !== undefined) {
          if (!parents.some((p) => usedLower.has(p.toLowerCase()))) problems.push(`${label(s, policy)}: ${pattern} is only needed for ${parents.join(', ')}, which the code no longer sends`);
        } else if (!usedLower.has(pattern.toLowerCase())) {
          problems.push(`${label(s, policy)}: allows ${pattern}, a write the code never sends`);
        }
        if (s.Condition === undefined) problems.push(`${label(s, policy)}: allows the write ${pattern} without a Condition`);
      }
      if (resources.includes('*') && !NO_RESOURCE_LEVEL.has(pattern)) {
        problems.push(`${label(s, policy)}: ${pattern} supports resource-level permissions, so it must not be granted on Resource "*"`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The manifests: what they name.

type Json = unknown;

interface ManifestFacts {
  readonly regions: ReadonlySet<string>;
  readonly accounts: ReadonlySet<string>;
  /** Role ARN → the service it is passed to. */
  readonly roles: ReadonlyMap<string, string>;
  /** Names of AutoScalingGroup manifests with `berth.dev/adopt: "true"`, by region. */
  readonly adoptedGroups: ReadonlySet<string>;
  readonly metricNamespaces: ReadonlySet<string>;
  readonly alarmActions: ReadonlySet<string>;
  readonly problems: readonly string[];
}

/** Who each role field of a manifest is passed to. */
const ROLE_FIELDS: Readonly<Record<string, string>> = {
  taskRoleArn: 'ecs-tasks.amazonaws.com',
  executionRoleArn: 'ecs-tasks.amazonaws.com',
  // loadBalancers[].advancedConfiguration.roleArn: the blue/green role ECS itself assumes.
  roleArn: 'ecs.amazonaws.com',
};
const AWS_KINDS = new Set(['Cluster', 'Service', 'AutoScalingGroup', 'Alarm', 'QueueScaler']);

function readManifests(): { file: string; doc: Record<string, Json> }[] {
  const out: { file: string; doc: Record<string, Json> }[] = [];
  for (const file of readdirSync(MANIFESTS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const document of parseAllDocuments(readFileSync(join(MANIFESTS_DIR, file), 'utf8'))) {
      const doc: unknown = document.toJS();
      if (isRecord(doc)) out.push({ file, doc });
    }
  }
  return out;
}

function manifestFacts(): ManifestFacts {
  const regions = new Set<string>();
  const accounts = new Set<string>();
  const roles = new Map<string, string>();
  const adoptedGroups = new Set<string>();
  const metricNamespaces = new Set<string>();
  const alarmActions = new Set<string>();
  const problems: string[] = [];

  const walk = (value: Json, key: string, where: string): void => {
    if (typeof value === 'string') {
      const arn = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(value);
      if (arn?.[1] !== undefined) accounts.add(arn[1]);
      if (/^arn:aws[a-z-]*:iam::\d{12}:role\//.test(value)) {
        const service = ROLE_FIELDS[key];
        if (service === undefined) problems.push(`${where}: ${key} names the role ${value}, but this test does not know whom it is passed to (add it to ROLE_FIELDS)`);
        else if (roles.has(value) && roles.get(value) !== service) problems.push(`${where}: ${value} is passed to both ${roles.get(value) ?? ''} and ${service}`);
        else roles.set(value, service);
      }
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, key, where));
    else if (isRecord(value)) for (const [k, v] of Object.entries(value)) walk(v, k, where);
  };

  for (const { file, doc } of readManifests()) {
    const kind = typeof doc.kind === 'string' ? doc.kind : '';
    const metadata = isRecord(doc.metadata) ? doc.metadata : {};
    const spec = isRecord(doc.spec) ? doc.spec : {};
    const where = `manifests/${file} ${kind}/${String(metadata.name)}`;
    walk(doc, '', where);
    if (AWS_KINDS.has(kind)) {
      if (typeof spec.region === 'string') regions.add(spec.region);
      else problems.push(`${where}: no spec.region; the policy pins its ARNs to the manifests' regions, so every manifest must name one`);
    }
    if (kind === 'AutoScalingGroup') {
      const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
      const name = typeof spec.autoScalingGroupName === 'string' ? spec.autoScalingGroupName : String(metadata.name);
      if (annotations['berth.dev/adopt'] === 'true') adoptedGroups.add(`${String(spec.region)}/${name}`);
    }
    if (kind === 'QueueScaler' && isRecord(spec.publishMetric) && typeof spec.publishMetric.namespace === 'string') metricNamespaces.add(spec.publishMetric.namespace);
    if (kind === 'Alarm') for (const field of ['alarmActions', 'okActions', 'insufficientDataActions']) for (const a of list(spec[field] as string[] | undefined)) alarmActions.add(a);
  }
  return { regions, accounts, roles, adoptedGroups, metricNamespaces, alarmActions, problems };
}

/** Every value of condition key `key` (under any operator) in `s`. */
function conditionValues(s: Statement, key: string): string[] {
  return Object.values(s.Condition ?? {}).flatMap((block) => list(block[key]));
}

/** What the policy names that the manifests and `--instance` do not (or the other way round). */
function checkAgainstManifests(policy: PolicyDocument, facts: ManifestFacts, instance: string): string[] {
  const problems: string[] = [];
  const statements = allowStatements(policy);
  const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
  const same = (what: string, found: Iterable<string>, expected: Iterable<string>): void => {
    const f = sorted(found);
    const e = sorted(expected);
    if (JSON.stringify(f) !== JSON.stringify(e)) problems.push(`${what}: the policy has ${JSON.stringify(f)}, the manifests need ${JSON.stringify(e)}`);
  };

  // The instance: every berth.dev/managed-by condition names the same one.
  for (const s of statements) {
    for (const [operator, block] of Object.entries(s.Condition ?? {})) {
      for (const [key, value] of Object.entries(block)) {
        if (key.endsWith(`/${MANAGED_BY}`) && operator !== 'Null' && list(value).some((v) => v !== instance)) {
          problems.push(`${label(s, policy)}: ${operator} ${key} is ${JSON.stringify(value)}, not the instance "${instance}"`);
        }
      }
    }
  }

  // Regions and accounts of the ARNs, and the regions of aws:RequestedRegion.
  const arnRegions: string[] = [];
  for (const s of statements) {
    for (const r of list(s.Resource).filter((x) => x !== '*')) {
      const [, , service = '', region = '', account = ''] = r.split(':');
      if (service !== 'iam') {
        if (region === '' || /[*?]/.test(region)) problems.push(`${label(s, policy)}: ${r} does not name a region`);
        else arnRegions.push(region);
      }
      if (account === '' || /[*?]/.test(account)) problems.push(`${label(s, policy)}: ${r} does not name an account`);
      else if (!facts.accounts.has(account)) problems.push(`${label(s, policy)}: ${r} is in account ${account}, which no manifest names`);
    }
    if (list(s.Resource).includes('*') && list(s.Action).some(isWrite) && conditionValues(s, 'aws:RequestedRegion').length === 0) {
      problems.push(`${label(s, policy)}: a write on Resource "*" must be limited with aws:RequestedRegion`);
    }
  }
  same('regions of the ARNs', arnRegions, facts.regions);
  for (const s of statements) {
    const requested = conditionValues(s, 'aws:RequestedRegion');
    if (requested.length > 0) same(`${label(s, policy)}: aws:RequestedRegion`, requested, facts.regions);
  }

  // iam:PassRole: exactly the manifests' roles, each to the service it is passed to.
  const passed = new Map<string, string[]>();
  for (const s of statementsAllowing(policy, 'iam:PassRole')) {
    if (list(s.Action).some((a) => a !== 'iam:PassRole')) problems.push(`${label(s, policy)}: keep iam:PassRole in a statement of its own`);
    const services = list(s.Condition?.StringEquals?.['iam:PassedToService']);
    if (services.length !== 1) problems.push(`${label(s, policy)}: iam:PassRole needs StringEquals iam:PassedToService (one service)`);
    for (const r of list(s.Resource)) {
      if (/[*?]/.test(r)) problems.push(`${label(s, policy)}: iam:PassRole on ${r} is broader than the manifests' roles`);
      for (const service of services) passed.set(service, [...(passed.get(service) ?? []), r]);
    }
  }
  const expectedRoles = new Map<string, string[]>();
  for (const [role, service] of facts.roles) expectedRoles.set(service, [...(expectedRoles.get(service) ?? []), role]);
  for (const service of new Set([...passed.keys(), ...expectedRoles.keys()])) same(`iam:PassRole to ${service}`, passed.get(service) ?? [], expectedRoles.get(service) ?? []);

  // Adoption: the statements for groups without the managed-by tag name exactly the adopted groups.
  const adopt = statements.filter((s) => conditionValues(s, `autoscaling:ResourceTag/${MANAGED_BY}`).length > 0 && s.Condition?.Null !== undefined);
  if (facts.adoptedGroups.size > 0 && adopt.length === 0) problems.push('adopted Auto Scaling groups, but no statement for their first CreateOrUpdateTags');
  for (const s of adopt) {
    const groups = list(s.Resource).map((r) => {
      const m = /^arn:aws:autoscaling:([^:]+):\d{12}:autoScalingGroup:\*:autoScalingGroupName\/(.+)$/.exec(r);
      if (!m || /[*?]/.test(m[2] ?? '')) problems.push(`${label(s, policy)}: ${r} must name one group`);
      return m ? `${m[1] ?? ''}/${m[2] ?? ''}` : r;
    });
    same(`${label(s, policy)}: adopted groups`, groups, facts.adoptedGroups);
  }

  // The QueueScaler's metric namespaces and the alarms' actions.
  for (const s of statementsAllowing(policy, 'cloudwatch:PutMetricData')) same(`${label(s, policy)}: cloudwatch:namespace`, conditionValues(s, 'cloudwatch:namespace'), facts.metricNamespaces);
  for (const s of statementsAllowing(policy, 'cloudwatch:PutMetricAlarm')) same(`${label(s, policy)}: cloudwatch:AlarmActions`, list(s.Condition?.['ForAllValues:StringEquals']?.['cloudwatch:AlarmActions']), facts.alarmActions);
  return problems;
}

// ---------------------------------------------------------------------------------------------

const policyText = readFileSync(POLICY_PATH, 'utf8');
const policyJson: unknown = JSON.parse(policyText);
const policy = policyJson as PolicyDocument;
const scan = scanCode();
const used = [...scan.actions.keys()].sort();
const facts = manifestFacts();

describe('docs/iam/berth-controller-policy.json', () => {
  it('is a valid IAM policy document within the managed-policy size limit', () => {
    expect(validatePolicyDocument(policyJson)).toEqual([]);
    expect(policyText.replace(/\s/g, '').length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  it('finds the SDK commands of every adapter', () => {
    expect(scan.problems).toEqual([]);
    // A scan that silently found nothing would make every other check pass.
    for (const prefix of Object.values(IAM_PREFIX)) expect(used.some((a) => a.startsWith(`${prefix}:`)), prefix).toBe(true);
    expect(used).toContain('ecs:RegisterTaskDefinition');
  });

  it('allows every call the code makes, no write it does not make, and no wildcard write', () => {
    expect(checkPolicy(policy, used)).toEqual([]);
  });

  it('names the regions, accounts, roles, adopted groups, namespaces, alarm actions and instance of the manifests', () => {
    expect(facts.problems).toEqual([]);
    expect(facts.roles.size).toBeGreaterThan(0);
    expect(checkAgainstManifests(policy, facts, INSTANCE)).toEqual([]);
  });

  it('passes exactly the task and execution roles of the manifests, to ECS tasks only', () => {
    const passRole = statementsAllowing(policy, 'iam:PassRole');
    expect(passRole).toHaveLength(1);
    expect(list(passRole[0]?.Resource).sort()).toEqual([...facts.roles.keys()].sort());
    expect(passRole[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('conditions every tag-scoped write on the managed-by tag', () => {
    const ownedWrites = ['ecs:UpdateCluster', 'ecs:UpdateService', 'ecs:DeleteService', 'autoscaling:SetInstanceProtection', 'autoscaling:DeleteTags', 'cloudwatch:DeleteAlarms', 'cloudwatch:EnableAlarmActions', 'cloudwatch:DisableAlarmActions'];
    for (const action of ownedWrites) {
      const statements = statementsAllowing(policy, action);
      expect(statements.length, action).toBeGreaterThan(0);
      for (const s of statements) {
        const owned = [...conditionValues(s, `aws:ResourceTag/${MANAGED_BY}`), ...conditionValues(s, `autoscaling:ResourceTag/${MANAGED_BY}`)];
        expect(owned, `${action} in ${label(s, policy)}`).toEqual([INSTANCE]);
      }
    }
    for (const action of ['ecs:CreateCluster', 'ecs:CreateService', 'ecs:RegisterTaskDefinition']) {
      for (const s of statementsAllowing(policy, action)) expect(s.Condition?.StringEquals?.[`aws:RequestTag/${MANAGED_BY}`], action).toBe(INSTANCE);
    }
  });
});

describe('the policy checks, on synthetic input', () => {
  const base: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Read', Effect: 'Allow', Action: ['ecs:Describe*', 'ecs:ListTaskDefinitions'], Resource: 'arn:aws:ecs:ap-southeast-2:111122223333:service/*/*' },
      { Sid: 'Write', Effect: 'Allow', Action: 'ecs:UpdateService', Resource: 'arn:aws:ecs:ap-southeast-2:111122223333:service/*/*', Condition: { StringEquals: { [`aws:ResourceTag/${MANAGED_BY}`]: 'berth' } } },
    ],
  };
  const withStatement = (s: Statement): PolicyDocument => ({ ...base, Statement: [...base.Statement, s] });

  it('accepts a policy that covers exactly the calls', () => {
    expect(checkPolicy(base, ['ecs:DescribeServices', 'ecs:UpdateService'])).toEqual([]);
  });

  it('fails when the code starts sending a write command the policy does not allow', () => {
    const source = [
      "import { RunTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';",
      "import type { Service } from '@aws-sdk/client-ecs';",
      'export const run = (client: { send(c: unknown): unknown }, s: Service) => {',
      '  client.send(new UpdateServiceCommand({ service: s.serviceName }));',
      "  return client.send(new RunTaskCommand({ taskDefinition: 'x' }));",
      '};',
    ].join('\n');
    const scanned = scanSource(source, 'synthetic.ts');
    expect(scanned).toEqual({ actions: ['ecs:UpdateService', 'ecs:RunTask'], problems: [] });
    expect(checkPolicy(base, scanned.actions)).toEqual(['ecs:RunTask is sent by the code but no statement allows it']);
    // And on the real policy, against the real code plus that one new call.
    expect(checkPolicy(policy, [...used, 'ecs:RunTask'])).toEqual(['ecs:RunTask is sent by the code but no statement allows it']);
  });

  it('fails on a write the code never sends, a service-wide wildcard, a wildcard that can match writes and an unconditioned write', () => {
    expect(checkPolicy(withStatement({ Sid: 'Extra', Effect: 'Allow', Action: 'ecs:DeleteCluster', Resource: 'arn:aws:ecs:ap-southeast-2:111122223333:cluster/*', Condition: { StringEquals: { 'aws:ResourceTag/x': 'y' } } }), ['ecs:UpdateService'])).toEqual([
      'Extra: allows ecs:DeleteCluster, a write the code never sends',
    ]);
    expect(checkPolicy(withStatement({ Sid: 'All', Effect: 'Allow', Action: 'ecs:*', Resource: '*' }), ['ecs:UpdateService'])).toEqual(['All: ecs:* is a service-wide wildcard']);
    expect(checkPolicy(withStatement({ Sid: 'Any', Effect: 'Allow', Action: '*', Resource: '*' }), ['ecs:UpdateService'])).toEqual(['Any: * is a service-wide wildcard']);
    expect(checkPolicy(withStatement({ Sid: 'Part', Effect: 'Allow', Action: 'ecs:*Service', Resource: 'arn:aws:ecs:ap-southeast-2:111122223333:service/*/*' }), ['ecs:UpdateService'])).toEqual([
      'Part: ecs:*Service may match write actions; spell writes out',
    ]);
    expect(checkPolicy(withStatement({ Sid: 'Bare', Effect: 'Allow', Action: 'ecs:UpdateService', Resource: 'arn:aws:ecs:ap-southeast-2:111122223333:service/*/*' }), ['ecs:UpdateService'])).toEqual([
      'Bare: allows the write ecs:UpdateService without a Condition',
    ]);
    expect(checkPolicy(withStatement({ Sid: 'Star', Effect: 'Allow', Action: 'ecs:DescribeServices', Resource: '*' }), ['ecs:UpdateService'])).toEqual([
      'Star: ecs:DescribeServices supports resource-level permissions, so it must not be granted on Resource "*"',
    ]);
  });

  it('allows iam:PassRole only while RegisterTaskDefinition is sent', () => {
    const pass = withStatement({ Sid: 'Pass', Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111122223333:role/r', Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } });
    expect(checkPolicy(pass, ['ecs:UpdateService'])).toEqual(['Pass: iam:PassRole is only needed for ecs:RegisterTaskDefinition, which the code no longer sends']);
  });

  it('rejects a malformed policy document', () => {
    expect(validatePolicyDocument({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 'ecs:DescribeServices' }] })).toEqual([
      'Version must be "2012-10-17", found "2008-10-17"',
      'Statement[0]: Resource must be a string or a non-empty list of strings',
    ]);
    expect(validatePolicyDocument({ Version: '2012-10-17', Statement: [{ Sid: 'a-b', Effect: 'Permit', NotAction: 'x', Action: [], Resource: '*' }] })).toEqual([
      'Statement[0]: NotAction is not allowed here (identity policy; no NotAction/NotResource/Principal)',
      'Statement[0]: Sid must be alphanumeric',
      'Statement[0]: Effect must be Allow or Deny',
      'Statement[0]: Action must be a string or a non-empty list of strings',
    ]);
  });

  it('maps namespace imports and aliases, ignores types and commander, and reports what it cannot map', () => {
    const source = [
      "import * as cw from '@aws-sdk/client-cloudwatch';",
      "import { DescribeAutoScalingGroupsCommand as Groups } from '@aws-sdk/client-auto-scaling';",
      "import { SendMessageCommand } from '@aws-sdk/client-sqs';",
      "import { Command } from 'commander';",
      "import { LocalThingCommand } from './local.ts';",
      'new cw.PutMetricDataCommand({});',
      'new Groups({});',
      "new Command('berth');",
      'new LocalThingCommand();',
      "void import('@aws-sdk/client-ecs');",
    ].join('\n');
    const scanned = scanSource(source, 'synthetic.ts');
    expect(scanned.actions).toEqual(['cloudwatch:PutMetricData', 'autoscaling:DescribeAutoScalingGroups']);
    expect(scanned.problems).toEqual([
      'synthetic.ts:3: imports @aws-sdk/client-sqs, which has no IAM prefix in this test (add it to IAM_PREFIX and the policy)',
      'synthetic.ts:9: new LocalThingCommand(…) is not imported from an @aws-sdk/client-* package; cannot map it to an IAM action',
      'synthetic.ts:10: dynamic import of @aws-sdk/client-ecs; import it statically so that this scan sees its commands',
    ]);
  });

  it('fails when a manifest names a role, region or adopted group the policy does not', () => {
    const more: ManifestFacts = {
      ...facts,
      roles: new Map([...facts.roles, ['arn:aws:iam::070017891928:role/new-task-role', 'ecs-tasks.amazonaws.com']]),
      regions: new Set([...facts.regions, 'us-east-1']),
      adoptedGroups: new Set([...facts.adoptedGroups, 'ap-southeast-2/another-asg']),
    };
    const problems = checkAgainstManifests(policy, more, INSTANCE);
    expect(problems.some((p) => p.startsWith('iam:PassRole to ecs-tasks.amazonaws.com') && p.includes('new-task-role'))).toBe(true);
    expect(problems.some((p) => p.startsWith('regions of the ARNs') && p.includes('us-east-1'))).toBe(true);
    expect(problems.some((p) => p.includes('adopted groups') && p.includes('another-asg'))).toBe(true);
    expect(checkAgainstManifests(policy, facts, 'other-instance').some((p) => p.includes('not the instance "other-instance"'))).toBe(true);
  });
});
