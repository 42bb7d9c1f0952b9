/**
 * The ECS cluster of a Cluster manifest: the CreateCluster input Berth sends, its canonical form,
 * and the diff against DescribeClusters (called with SETTINGS and CONFIGURATIONS, or the settings
 * and configuration come back empty). Tags are not compared here: ownership and the manifest's
 * tags are handled by the caller. Pure: no I/O.
 */
import type { Cluster, CreateClusterCommandInput } from '@aws-sdk/client-ecs';
import type { FieldChange } from '../../engine/plan-types.ts';
import type { ClusterManifest } from '../../manifests/types.ts';
import { diffFields } from '../field-diff.ts';
import type { PlainObject } from '../field-diff.ts';
import { normalizeCapacityProviderStrategy, prune, record, records, sortByKeys, sorted, str, strings, unlessDefault } from '../normalize.ts';

/** The CreateCluster input of the fields Berth manages (no tags: see the module comment). */
export type DesiredCluster = Omit<CreateClusterCommandInput, 'tags'> & { readonly clusterName: string };

/** The canonical form of a cluster's managed fields: plain JSON. */
export type NormalizedCluster = PlainObject;

/** The fields of a Cluster manifest that Berth sets on the ECS cluster (CreateCluster's shape). */
export function desiredCluster(manifest: ClusterManifest): DesiredCluster {
  const s = manifest.spec;
  return {
    clusterName: s.clusterName ?? manifest.metadata.name,
    ...(s.settings !== undefined && { settings: s.settings }),
    ...(s.configuration !== undefined && { configuration: s.configuration }),
    ...(s.capacityProviders !== undefined && { capacityProviders: s.capacityProviders }),
    ...(s.defaultCapacityProviderStrategy !== undefined && { defaultCapacityProviderStrategy: s.defaultCapacityProviderStrategy }),
    ...(s.serviceConnectDefaults !== undefined && { serviceConnectDefaults: s.serviceConnectDefaults }),
  };
}

function normalizeConfiguration(value: unknown): PlainObject | undefined {
  if (value === undefined) return undefined;
  const exec = record(record(value)['executeCommandConfiguration']);
  const log = record(exec['logConfiguration']);
  return {
    executeCommandConfiguration: {
      kmsKeyId: str(exec['kmsKeyId']),
      logging: unlessDefault(str(exec['logging']), 'DEFAULT'),
      logConfiguration: {
        ...log,
        cloudWatchEncryptionEnabled: log['cloudWatchEncryptionEnabled'] === true ? true : undefined,
        s3EncryptionEnabled: log['s3EncryptionEnabled'] === true ? true : undefined,
      },
    },
  };
}

/**
 * The canonical form of the fields Berth manages, for either side. Rules:
 * - Only the managed fields are kept: clusterName, settings, configuration
 *   (executeCommandConfiguration only), capacityProviders, defaultCapacityProviderStrategy,
 *   serviceConnectDefaults. Status, counts, statistics, attachments and tags are dropped.
 * - settings sorted by name; capacityProviders sorted; defaultCapacityProviderStrategy sorted by
 *   provider with weight 0 and base 0 filled in.
 * - executeCommandConfiguration.logging DEFAULT = absent; the encryption flags false = absent.
 * - Empty lists and objects = absent.
 */
export function normalizeCluster(cluster: DesiredCluster | Cluster): NormalizedCluster {
  const src = record(cluster);
  const out: Record<string, unknown> = {
    clusterName: str(src['clusterName']),
    settings: sortByKeys(
      records(src['settings'])?.map((s): PlainObject => ({ name: s['name'], value: s['value'] })),
      (s) => s['name'],
    ),
    configuration: normalizeConfiguration(src['configuration']),
    capacityProviders: sorted(strings(src['capacityProviders'])),
    defaultCapacityProviderStrategy: normalizeCapacityProviderStrategy(src['defaultCapacityProviderStrategy']),
    serviceConnectDefaults: src['serviceConnectDefaults'] === undefined ? undefined : { namespace: str(record(src['serviceConnectDefaults'])['namespace']) },
  };
  return record(prune(out));
}

/**
 * The managed fields that differ, observed → desired. Not compared:
 * - settings when the manifest sets none: the account setting `containerInsights` decides a new
 *   cluster's Container Insights, so "absent" has no single meaning.
 * - serviceConnectDefaults.namespace when the manifest names the namespace and ECS returns its
 *   ARN: a name cannot be matched to an ARN without a Cloud Map call. Only presence is compared.
 */
export function diffCluster(desired: DesiredCluster, observed: Cluster): FieldChange[] {
  const want = normalizeCluster(desired);
  const have: Record<string, unknown> = { ...normalizeCluster(observed) };
  if (want['settings'] === undefined) delete have['settings'];
  const wantNamespace = str(record(want['serviceConnectDefaults'])['namespace']);
  const haveNamespace = str(record(have['serviceConnectDefaults'])['namespace']);
  if (wantNamespace !== undefined && !wantNamespace.startsWith('arn:') && haveNamespace?.startsWith('arn:')) {
    have['serviceConnectDefaults'] = want['serviceConnectDefaults'];
  }
  return diffFields(have, want, { listKeys: { defaultCapacityProviderStrategy: (i) => str(i['capacityProvider']) } });
}
