/**
 * The typed manifests. The types come from schemas/ through scripts/gen-types.ts, so the code and
 * the format cannot drift apart.
 */
import type { BerthManifestKinds } from './generated/manifest-types.ts';
import type { SourceDocument } from './source-document.ts';

export type ClusterManifest = BerthManifestKinds['Cluster'];
export type ServiceManifest = BerthManifestKinds['Service'];
export type AutoScalingGroupManifest = BerthManifestKinds['AutoScalingGroup'];
export type AlarmManifest = BerthManifestKinds['Alarm'];
export type QueueScalerManifest = BerthManifestKinds['QueueScaler'];

/** Any manifest, discriminated on `kind`. */
export type Manifest = ClusterManifest | ServiceManifest | AutoScalingGroupManifest | AlarmManifest | QueueScalerManifest;

export type TaskDefinitionSpec = ServiceManifest['spec']['taskDefinition'];
export type ContainerDefinitionSpec = TaskDefinitionSpec['containerDefinitions'][number];

/** A manifest together with the document it was read from. */
export interface ManifestEntry<M extends Manifest = Manifest> {
  readonly manifest: M;
  readonly source: SourceDocument;
}

/** A Service's `spec.cluster` (a name or an ARN `arn:aws:ecs:…:cluster/NAME`) as the cluster's name. */
export function clusterRef(ref: string): string {
  return ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
}

/** `Kind/name`, the key Berth identifies a resource by. */
export function manifestKey(manifest: Pick<Manifest, 'kind' | 'metadata'>): string {
  return `${manifest.kind}/${manifest.metadata.name}`;
}
