/**
 * The task definition of a Service: what Berth registers, and the canonical content that the
 * desired and the observed (DescribeTaskDefinition) revisions are compared by. Pure: no I/O.
 *
 * Task definitions are immutable, so "a diff" here means "register a new revision". The
 * comparison must therefore see through everything ECS fills in or rewrites on
 * RegisterTaskDefinition, or every pass would register another identical revision. The rules are
 * listed on {@link normalizeTaskDefinition}.
 */
import type {
  ContainerDefinition,
  LogConfiguration,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition,
  Volume,
} from '@aws-sdk/client-ecs';
import type { FieldChange } from '../../engine/plan-types.ts';
import { parseCpuUnits, parseMemoryMiB } from '../../manifests/fargate.ts';
import type { ContainerDefinitionSpec, TaskDefinitionSpec } from '../../manifests/types.ts';
import { diffFields } from '../field-diff.ts';
import type { FieldDiffOptions, PlainObject } from '../field-diff.ts';
import { num, prune, record, records, sortByKeys, sorted, str, strings, unlessDefault } from '../normalize.ts';

/** A task definition in any of the shapes Berth meets: the manifest's, the register input, the describe output. */
export type TaskDefinitionLike = TaskDefinitionSpec | RegisterTaskDefinitionCommandInput | TaskDefinition;

/** The canonical content of a task definition: plain JSON, only what means something. */
export type NormalizedTaskDefinition = PlainObject;

type StringMap = Record<string, string>;

/** A string map without undefined values (the manifest types allow them; the SDK's do not). */
function stringMap(map: Readonly<Record<string, string | undefined>> | undefined): StringMap | undefined {
  if (map === undefined) return undefined;
  const out: StringMap = {};
  for (const [key, value] of Object.entries(map)) if (value !== undefined) out[key] = value;
  return out;
}

/** A task size as the string of units ECS stores: "0.5 vCPU" → "512", 2048 → "2048", "2 GB" → "2048". */
function taskSize(value: string | number | undefined, parse: (v: string | number) => number | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  // Unreadable sizes were rejected by validation; pass them through for ECS to reject again.
  return String(parse(value) ?? value);
}

function containerInput(c: ContainerDefinitionSpec): ContainerDefinition {
  const { dockerLabels, logConfiguration, firelensConfiguration, ...rest } = c;
  const log: LogConfiguration | undefined = logConfiguration && { ...logConfiguration, options: stringMap(logConfiguration.options) };
  return {
    ...rest,
    ...(dockerLabels !== undefined && { dockerLabels: stringMap(dockerLabels) }),
    ...(log !== undefined && { logConfiguration: log }),
    ...(firelensConfiguration !== undefined && { firelensConfiguration: { ...firelensConfiguration, options: stringMap(firelensConfiguration.options) } }),
  };
}

function volumeInput(v: NonNullable<TaskDefinitionSpec['volumes']>[number]): Volume {
  const { dockerVolumeConfiguration: docker, ...rest } = v;
  if (docker === undefined) return rest;
  return { ...rest, dockerVolumeConfiguration: { ...docker, driverOpts: stringMap(docker.driverOpts), labels: stringMap(docker.labels) } };
}

/**
 * The RegisterTaskDefinition input Berth sends for a manifest's task definition: the manifest's
 * fields as they are (they mirror the AWS shape), with `cpu` and `memory` as strings of units.
 * The manifest's tags are included; Berth's ownership tags are added by the caller.
 */
export function desiredTaskDefinition(spec: TaskDefinitionSpec): RegisterTaskDefinitionCommandInput {
  const { cpu, memory, containerDefinitions, volumes, ...rest } = spec;
  const cpuUnits = taskSize(cpu, parseCpuUnits);
  const memoryMiB = taskSize(memory, parseMemoryMiB);
  return {
    ...rest,
    containerDefinitions: containerDefinitions.map(containerInput),
    ...(volumes !== undefined && { volumes: volumes.map(volumeInput) }),
    ...(cpuUnits !== undefined && { cpu: cpuUnits }),
    ...(memoryMiB !== undefined && { memory: memoryMiB }),
  };
}

/** Output-only fields of DescribeTaskDefinition, and tags (compared elsewhere, by ownership). */
const NOT_CONTENT: ReadonlySet<string> = new Set([
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
  'tags',
]);

/** Container booleans whose absence means false. */
const FALSE_BY_DEFAULT = ['disableNetworking', 'privileged', 'readonlyRootFilesystem', 'interactive', 'pseudoTerminal'] as const;

/** true stays; false and absent are the same. */
function onlyTrue(value: unknown): true | undefined {
  return value === true ? true : undefined;
}

function normalizePortMapping(pm: PlainObject, networkMode: string): PlainObject {
  const containerPort = num(pm['containerPort']);
  let hostPort = num(pm['hostPort']);
  if (networkMode === 'awsvpc' || networkMode === 'host') {
    // ECS requires hostPort = containerPort here and fills it in: it carries nothing.
    if (hostPort === 0 || hostPort === containerPort) hostPort = undefined;
  } else if (hostPort === 0) {
    // bridge: 0 and absent both mean a dynamic host port (DescribeTaskDefinition returns 0).
    hostPort = undefined;
  }
  return { ...pm, hostPort, protocol: str(pm['protocol']) ?? 'tcp' };
}

function normalizeHealthCheck(value: unknown): PlainObject | undefined {
  if (value === undefined) return undefined;
  const hc = record(value);
  // DescribeTaskDefinition returns interval 30, timeout 5 and retries 3 when they were left out
  // (terraform-aws-modules/terraform-aws-ecs#148); startPeriod is off (0) by default.
  return {
    ...hc,
    interval: num(hc['interval']) ?? 30,
    timeout: num(hc['timeout']) ?? 5,
    retries: num(hc['retries']) ?? 3,
    startPeriod: unlessDefault(num(hc['startPeriod']), 0),
  };
}

function normalizeLinuxParameters(value: unknown): PlainObject | undefined {
  if (value === undefined) return undefined;
  const lp = record(value);
  const caps = lp['capabilities'] === undefined ? undefined : record(lp['capabilities']);
  return {
    ...lp,
    capabilities: caps && { ...caps, add: sorted(strings(caps['add'])), drop: sorted(strings(caps['drop'])) },
    devices: sortByKeys(
      records(lp['devices'])?.map((d): PlainObject => ({ ...d, permissions: sorted(strings(d['permissions'])) })),
      (d) => d['hostPath'],
      (d) => d['containerPath'],
    ),
    tmpfs: sortByKeys(records(lp['tmpfs']), (t) => t['containerPath']),
    initProcessEnabled: onlyTrue(lp['initProcessEnabled']),
  };
}

function normalizeRestartPolicy(value: unknown): PlainObject | undefined {
  const rp = record(value);
  // A policy that is not enabled is no policy; its other fields do nothing.
  if (rp['enabled'] !== true) return undefined;
  const codes = Array.isArray(rp['ignoredExitCodes']) ? rp['ignoredExitCodes'].filter((c): c is number => typeof c === 'number') : undefined;
  return { ...rp, ignoredExitCodes: sorted(codes), restartAttemptPeriod: unlessDefault(num(rp['restartAttemptPeriod']), 300) };
}

function normalizeContainer(c: PlainObject, networkMode: string): PlainObject {
  const out: Record<string, unknown> = { ...c };
  out['essential'] = c['essential'] === false ? false : true;
  out['cpu'] = unlessDefault(num(c['cpu']), 0);
  out['portMappings'] = sortByKeys(
    records(c['portMappings'])?.map((pm) => normalizePortMapping(pm, networkMode)),
    (pm) => pm['containerPort'],
    (pm) => pm['protocol'],
    (pm) => pm['containerPortRange'],
    (pm) => pm['name'],
  );
  out['environment'] = sortByKeys(records(c['environment']), (e) => e['name'], (e) => e['value']);
  out['secrets'] = sortByKeys(records(c['secrets']), (s) => s['name'], (s) => s['valueFrom']);
  out['mountPoints'] = sortByKeys(
    records(c['mountPoints'])?.map((m): PlainObject => ({ ...m, readOnly: onlyTrue(m['readOnly']) })),
    (m) => m['containerPath'],
    (m) => m['sourceVolume'],
  );
  out['volumesFrom'] = sortByKeys(
    records(c['volumesFrom'])?.map((v): PlainObject => ({ ...v, readOnly: onlyTrue(v['readOnly']) })),
    (v) => v['sourceContainer'],
  );
  out['ulimits'] = sortByKeys(records(c['ulimits']), (u) => u['name']);
  out['systemControls'] = sortByKeys(records(c['systemControls']), (s) => s['namespace'], (s) => s['value']);
  out['resourceRequirements'] = sortByKeys(records(c['resourceRequirements']), (r) => r['type'], (r) => r['value']);
  out['dependsOn'] = sortByKeys(records(c['dependsOn']), (d) => d['containerName'], (d) => d['condition']);
  out['links'] = sorted(strings(c['links']));
  out['extraHosts'] = sortByKeys(records(c['extraHosts']), (h) => h['hostname'], (h) => h['ipAddress']);
  out['healthCheck'] = normalizeHealthCheck(c['healthCheck']);
  if (c['logConfiguration'] !== undefined) {
    const log = record(c['logConfiguration']);
    out['logConfiguration'] = { ...log, secretOptions: sortByKeys(records(log['secretOptions']), (s) => s['name']) };
  }
  out['linuxParameters'] = normalizeLinuxParameters(c['linuxParameters']);
  out['restartPolicy'] = normalizeRestartPolicy(c['restartPolicy']);
  for (const flag of FALSE_BY_DEFAULT) out[flag] = onlyTrue(c[flag]);
  out['versionConsistency'] = unlessDefault(str(c['versionConsistency']), 'enabled');
  return out;
}

function normalizeVolume(v: PlainObject): PlainObject {
  const out: Record<string, unknown> = { ...v, configuredAtLaunch: onlyTrue(v['configuredAtLaunch']) };
  if (v['dockerVolumeConfiguration'] !== undefined) {
    const docker = record(v['dockerVolumeConfiguration']);
    const scope = str(docker['scope']) ?? 'task';
    // autoprovision is read only for shared volumes, and false by default.
    out['dockerVolumeConfiguration'] = { ...docker, scope, autoprovision: scope === 'shared' ? onlyTrue(docker['autoprovision']) : undefined };
  }
  if (v['efsVolumeConfiguration'] !== undefined) {
    const efs = record(v['efsVolumeConfiguration']);
    const auth = efs['authorizationConfig'] === undefined ? undefined : record(efs['authorizationConfig']);
    out['efsVolumeConfiguration'] = {
      ...efs,
      // "Specifying / will have the same effect as omitting this parameter."
      rootDirectory: unlessDefault(str(efs['rootDirectory']), '/'),
      transitEncryption: unlessDefault(str(efs['transitEncryption']), 'DISABLED'),
      authorizationConfig: auth && { ...auth, iam: unlessDefault(str(auth['iam']), 'DISABLED') },
    };
  }
  return out;
}

/**
 * The canonical content of a task definition, applied to both the desired one (manifest spec or
 * register input) and the observed one (DescribeTaskDefinition output). Two task definitions ECS
 * treats the same have equal canonical content. Rules:
 *
 * Task level
 * - Output-only fields are dropped: taskDefinitionArn, revision, status, requiresAttributes,
 *   compatibilities, registeredAt, registeredBy, deregisteredAt, deleteRequestedAt; and tags.
 * - cpu and memory become strings of units: "0.5 vCPU", 512 and "512" → "512"; "2 GB", 2048 and
 *   "2048" → "2048".
 * - networkMode absent → "bridge" (the Linux default; DescribeTaskDefinition then omits it).
 * - requiresCompatibilities sorted; placementConstraints sorted by type and expression; volumes
 *   sorted by name; inferenceAccelerators sorted by deviceName; proxyConfiguration.properties
 *   sorted by name.
 * - enableFaultInjection false = absent.
 * - Volumes: configuredAtLaunch false = absent; dockerVolumeConfiguration scope absent → "task",
 *   autoprovision kept only for shared volumes and only when true; EFS rootDirectory "/",
 *   transitEncryption DISABLED and authorizationConfig.iam DISABLED = absent.
 *
 * Per container (containers sorted by name)
 * - essential absent → true; cpu 0 = absent.
 * - portMappings: protocol absent → "tcp"; with awsvpc or host networking hostPort is dropped
 *   (ECS forces it equal to containerPort); with bridge hostPort 0 = absent (dynamic port).
 *   Sorted by containerPort, protocol, containerPortRange, name.
 * - Sorted by their natural key: environment and secrets (name), mountPoints (containerPath),
 *   volumesFrom (sourceContainer), ulimits (name), systemControls (namespace),
 *   resourceRequirements (type), dependsOn (containerName), extraHosts (hostname), links,
 *   logConfiguration.secretOptions (name), linuxParameters capabilities add/drop, devices
 *   (hostPath) and tmpfs (containerPath). Order-sensitive lists keep their order: command,
 *   entryPoint, healthCheck.command, dnsServers, dnsSearchDomains, dockerSecurityOptions,
 *   environmentFiles (later files lose to earlier ones), credentialSpecs.
 * - healthCheck: interval 30, timeout 5, retries 3 filled in when absent (AWS returns them);
 *   startPeriod 0 = absent.
 * - false = absent: disableNetworking, privileged, readonlyRootFilesystem, interactive,
 *   pseudoTerminal, mountPoints/volumesFrom readOnly, linuxParameters.initProcessEnabled.
 * - versionConsistency "enabled" = absent; restartPolicy that is not enabled = absent, its
 *   restartAttemptPeriod 300 = absent, ignoredExitCodes sorted.
 *
 * Everywhere: undefined and null, empty lists and empty objects (`host: {}`, `options: {}`,
 * `environment: []`) are absent.
 */
export function normalizeTaskDefinition(td: TaskDefinitionLike): NormalizedTaskDefinition {
  const src = record(td);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) if (!NOT_CONTENT.has(key)) out[key] = value;
  const networkMode = str(src['networkMode']) ?? 'bridge';
  out['networkMode'] = networkMode;
  out['cpu'] = taskSize(typeof src['cpu'] === 'number' ? src['cpu'] : str(src['cpu']), parseCpuUnits);
  out['memory'] = taskSize(typeof src['memory'] === 'number' ? src['memory'] : str(src['memory']), parseMemoryMiB);
  out['requiresCompatibilities'] = sorted(strings(src['requiresCompatibilities']));
  out['placementConstraints'] = sortByKeys(records(src['placementConstraints']), (p) => p['type'], (p) => p['expression']);
  out['volumes'] = sortByKeys(records(src['volumes'])?.map(normalizeVolume), (v) => v['name']);
  out['inferenceAccelerators'] = sortByKeys(records(src['inferenceAccelerators']), (a) => a['deviceName']);
  if (src['proxyConfiguration'] !== undefined) {
    const proxy = record(src['proxyConfiguration']);
    out['proxyConfiguration'] = { ...proxy, properties: sortByKeys(records(proxy['properties']), (p) => p['name']) };
  }
  out['enableFaultInjection'] = onlyTrue(src['enableFaultInjection']);
  out['containerDefinitions'] = sortByKeys(
    records(src['containerDefinitions'])?.map((c) => normalizeContainer(c, networkMode)),
    (c) => c['name'],
  );
  return record(prune(out));
}

/** List keys for lists without a `name`, so that their changes read `mountPoints[/data].readOnly`. */
const TASK_DEFINITION_LIST_KEYS: FieldDiffOptions['listKeys'] = {
  mountPoints: (m) => str(m['containerPath']),
  volumesFrom: (v) => str(v['sourceContainer']),
  systemControls: (s) => str(s['namespace']),
  resourceRequirements: (r) => str(r['type']),
  dependsOn: (d) => str(d['containerName']),
  inferenceAccelerators: (a) => str(a['deviceName']),
};

/**
 * What differs between the desired task definition and the observed revision, by canonical
 * content; paths start with `taskDefinition.` (`taskDefinition.containerDefinitions[api].image`).
 * Empty when the observed revision can be reused as it is.
 */
export function diffTaskDefinition(desired: TaskDefinitionLike, observed: TaskDefinitionLike): FieldChange[] {
  return diffFields(normalizeTaskDefinition(observed), normalizeTaskDefinition(desired), {
    prefix: 'taskDefinition',
    listKeys: TASK_DEFINITION_LIST_KEYS,
  });
}

/** The observed revision has the desired content (so it can be reused instead of registering another). */
export function taskDefinitionsEqual(desired: TaskDefinitionLike, observed: TaskDefinitionLike): boolean {
  return diffTaskDefinition(desired, observed).length === 0;
}
