/** Names are unique: per kind in Berth, and per AWS scope for the resources they become. */
import type { PathSegment } from '../diagnostics.ts';
import type { ManifestEntry } from '../types.ts';
import type { Check, Declaration } from './context.ts';
import { where } from './context.ts';

/** Two documents with the same kind and metadata.name. */
export const uniqueNames: Check = (ctx) => {
  const seen = new Map<string, Declaration>();
  for (const d of ctx.declarations) {
    const key = `${d.ref.kind}/${d.ref.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, d);
      continue;
    }
    ctx.report(d, {
      rule: 'names/duplicate',
      path: ['metadata', 'name'],
      message: `${d.ref.kind} ${d.ref.name} is declared twice; the first is at ${where(first.source, ['metadata', 'name'])}`,
      expected: `one ${d.ref.kind} named ${d.ref.name}`,
      found: 'two',
      fix: 'rename one of them, or delete the duplicate',
    });
  }
};

interface AwsName {
  /** What the AWS resource is, e.g. `service api in cluster main in ap-southeast-2`. */
  readonly resource: string;
  readonly entry: ManifestEntry;
  /** Where the name comes from: the spec field when set, else metadata.name. */
  readonly path: readonly PathSegment[];
}

/** The AWS name a spec field sets, falling back to metadata.name. */
function awsName(entry: ManifestEntry, field: string, value: string | undefined): { name: string; path: PathSegment[] } {
  return value !== undefined
    ? { name: value, path: ['spec', field] }
    : { name: entry.manifest.metadata.name, path: ['metadata', 'name'] };
}

/**
 * Two manifests that would drive the same AWS resource (same cluster, service in a cluster, alarm or
 * group name in one region), or two services sharing a task-definition family (each would register
 * revisions over the other's).
 */
export const uniqueAwsNames: Check = (ctx) => {
  const region = (e: ManifestEntry): string => e.manifest.spec.region ?? 'the default region';
  const names: AwsName[] = [];
  for (const entry of ctx.of('Cluster')) {
    const { name, path } = awsName(entry, 'clusterName', entry.manifest.spec.clusterName);
    names.push({ resource: `ECS cluster ${name} in ${region(entry)}`, entry, path });
  }
  for (const entry of ctx.of('Service')) {
    const spec = entry.manifest.spec;
    const { name, path } = awsName(entry, 'serviceName', spec.serviceName);
    names.push({ resource: `ECS service ${name} in cluster ${spec.cluster} in ${region(entry)}`, entry, path });
    names.push({
      resource: `task definition family ${spec.taskDefinition.family} in ${region(entry)}`,
      entry,
      path: ['spec', 'taskDefinition', 'family'],
    });
  }
  for (const entry of ctx.of('Alarm')) {
    const { name, path } = awsName(entry, 'alarmName', entry.manifest.spec.alarmName);
    names.push({ resource: `alarm ${name} in ${region(entry)}`, entry, path });
  }
  for (const entry of ctx.of('AutoScalingGroup')) {
    const { name, path } = awsName(entry, 'autoScalingGroupName', entry.manifest.spec.autoScalingGroupName);
    names.push({ resource: `Auto Scaling group ${name} in ${region(entry)}`, entry, path });
  }
  const seen = new Map<string, ManifestEntry>();
  for (const { resource, entry, path } of names) {
    const first = seen.get(resource);
    if (!first) {
      seen.set(resource, entry);
      continue;
    }
    // Same kind and name is already reported by uniqueNames.
    if (first.manifest.kind === entry.manifest.kind && first.manifest.metadata.name === entry.manifest.metadata.name) continue;
    ctx.report(entry, {
      rule: 'names/aws-clash',
      path,
      message: `${entry.manifest.kind} ${entry.manifest.metadata.name} and ${first.manifest.kind} ${first.manifest.metadata.name} (${where(first.source, ['metadata', 'name'])}) both manage the ${resource}`,
      expected: 'each AWS resource managed by one manifest',
      found: 'two manifests',
      fix: `change \`${path.join('.')}\` so that each manifest manages its own resource`,
    });
  }
};
