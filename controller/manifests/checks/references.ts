/** References between manifests resolve, and a field owned by a QueueScaler is set nowhere else. */
import type { Manifest, ManifestEntry, QueueScalerManifest } from '../types.ts';
import { suggest } from '../suggest.ts';
import type { Check, CheckContext } from './context.ts';
import { where } from './context.ts';

/** A QueueScaler's target service and Auto Scaling group are manifests in this source. */
export const scalerTargetsExist: Check = (ctx) => {
  for (const scaler of ctx.of('QueueScaler')) {
    const { service, autoScalingGroup } = scaler.manifest.spec.target;
    requireManifest(ctx, scaler, 'Service', service, ['spec', 'target', 'service']);
    if (autoScalingGroup !== undefined) {
      requireManifest(ctx, scaler, 'AutoScalingGroup', autoScalingGroup, ['spec', 'target', 'autoScalingGroup']);
    }
  }
};

function requireManifest(
  ctx: CheckContext,
  from: ManifestEntry,
  kind: Manifest['kind'],
  name: string,
  path: readonly string[],
): void {
  if (ctx.declared(kind, name)) return;
  const names = [...new Set(ctx.declarations.filter((d) => d.ref.kind === kind).map((d) => d.ref.name))];
  const hint = suggest(name, names);
  ctx.report(from, {
    rule: 'references/missing',
    path,
    message: `\`${path.slice(1).join('.')}\` names ${kind} ${name}, which is not among the manifests`,
    expected: names.length > 0 ? `the name of a ${kind} manifest: ${names.join(', ')}` : `the name of a ${kind} manifest`,
    found: JSON.stringify(name),
    fix: hint !== undefined ? `did you mean \`${hint}\`?` : `add a ${kind} manifest named ${name}, or correct the name`,
  });
}

/**
 * The scaler owns the service's desiredCount and the group's desiredCapacity: setting them in git
 * too would make Berth fight its own scaler. Two scalers on one target would fight each other.
 */
export const scalerOwnedFields: Check = (ctx) => {
  const serviceOwners = new Map<string, ManifestEntry<QueueScalerManifest>>();
  const groupOwners = new Map<string, ManifestEntry<QueueScalerManifest>>();
  for (const scaler of ctx.of('QueueScaler')) {
    const { service, autoScalingGroup } = scaler.manifest.spec.target;
    claim(ctx, serviceOwners, scaler, service, 'Service', ['spec', 'target', 'service']);
    if (autoScalingGroup !== undefined) {
      claim(ctx, groupOwners, scaler, autoScalingGroup, 'AutoScalingGroup', ['spec', 'target', 'autoScalingGroup']);
    }
  }
  for (const entry of ctx.of('Service')) {
    reportOwnedField(ctx, entry, serviceOwners.get(entry.manifest.metadata.name), 'desiredCount', entry.manifest.spec.desiredCount, 'service', 'from the queue backlog (its bounds are minTasks and maxTasks)');
  }
  for (const entry of ctx.of('AutoScalingGroup')) {
    reportOwnedField(ctx, entry, groupOwners.get(entry.manifest.metadata.name), 'desiredCapacity', entry.manifest.spec.desiredCapacity, 'autoScalingGroup', '(within minSize and maxSize)');
  }
};

/** A field the scaler `owner` sets, also set in the manifest `entry`. */
function reportOwnedField(
  ctx: CheckContext,
  entry: ManifestEntry,
  owner: ManifestEntry<QueueScalerManifest> | undefined,
  field: 'desiredCount' | 'desiredCapacity',
  value: number | undefined,
  targetField: 'service' | 'autoScalingGroup',
  how: string,
): void {
  if (!owner || value === undefined) return;
  const scaler = owner.manifest.metadata.name;
  ctx.report(entry, {
    rule: 'ownership/scaler-field',
    path: ['spec', field],
    at: 'key',
    message: `\`${field}\` is owned by QueueScaler ${scaler} (${where(owner.source, ['spec', 'target', targetField])}) and must not be set here`,
    expected: `no ${field}`,
    found: String(value),
    fix: `remove \`${field}\`; QueueScaler ${scaler} sets it ${how}`,
  });
}

function claim(
  ctx: CheckContext,
  owners: Map<string, ManifestEntry<QueueScalerManifest>>,
  scaler: ManifestEntry<QueueScalerManifest>,
  target: string,
  kind: string,
  path: readonly string[],
): void {
  const previous = owners.get(target);
  if (!previous) {
    owners.set(target, scaler);
    return;
  }
  ctx.report(scaler, {
    rule: 'ownership/two-scalers',
    path,
    message: `${kind} ${target} is already scaled by QueueScaler ${previous.manifest.metadata.name} (${where(previous.source, path)})`,
    expected: `one QueueScaler per ${kind}`,
    found: 'two',
    fix: `scale ${target} from one QueueScaler (it can count several job states), or target another ${kind}`,
  });
}

/**
 * A Service's cluster that is not a Cluster manifest is taken as an existing cluster; when its name
 * is one typo away from a Cluster manifest, that is more likely a mistake, so say so.
 */
export const clusterNameTypos: Check = (ctx) => {
  const clusters = ctx.of('Cluster');
  const names = new Set(clusters.flatMap((c) => [c.manifest.metadata.name, c.manifest.spec.clusterName ?? c.manifest.metadata.name]));
  for (const entry of ctx.of('Service')) {
    const cluster = entry.manifest.spec.cluster;
    if (names.has(cluster) || cluster.startsWith('arn:')) continue;
    const hint = suggest(cluster, [...names]);
    if (hint === undefined) continue;
    ctx.report(entry, {
      rule: 'references/cluster-typo',
      severity: 'warning',
      path: ['spec', 'cluster'],
      message: `cluster ${cluster} is not a Cluster manifest, so it is taken as an existing cluster; a Cluster ${hint} is declared`,
      expected: `a Cluster manifest's name, or an existing cluster`,
      found: JSON.stringify(cluster),
      fix: `did you mean \`${hint}\`?`,
    });
  }
};
