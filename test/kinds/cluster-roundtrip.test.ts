/**
 * Clusters through the real SDK and the simulator: every Cluster of manifests/ created from
 * `desiredCluster`, described back (with its settings), shows no diff; a settings drift shows as
 * the change that reverts it.
 */
import { CreateClusterCommand, DescribeClustersCommand } from '@aws-sdk/client-ecs';
import type { Cluster } from '@aws-sdk/client-ecs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredCluster, diffCluster } from '../../controller/kinds/cluster/cluster.ts';
import { readManifestFiles } from '../../controller/manifests/load-files.ts';
import type { ClusterManifest } from '../../controller/manifests/types.ts';
import { validateSources } from '../../controller/manifests/validate.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let clients: SimClients;
let clusters: ClusterManifest[];

async function describeCluster(name: string): Promise<Cluster> {
  const out = await clients.ecs.send(new DescribeClustersCommand({ clusters: [name], include: ['SETTINGS', 'CONFIGURATIONS'] }));
  const cluster = out.clusters?.[0];
  expect(cluster, name).toBeDefined();
  return cluster as Cluster;
}

beforeAll(async () => {
  const result = validateSources(await readManifestFiles('manifests', REPO_ROOT));
  expect(result.valid).toBe(true);
  clusters = result.manifests.map((e) => e.manifest).filter((m): m is ClusterManifest => m.kind === 'Cluster');
  clients = await simWithClients({ seed: { accountId: '070017891928', region: 'ap-southeast-2', clusters: [{ name: 'legacy' }], autoScalingGroups: [] } });
  for (const c of clusters) await clients.ecs.send(new CreateClusterCommand(desiredCluster(c)));
});

afterAll(async () => {
  await clients.close();
});

describe('cluster round trip through the simulator', () => {
  it('covers every Cluster of manifests/', () => {
    expect(clusters.map((c) => c.metadata.name).sort()).toEqual(['filot-backend-cluster', 'filot-ocr-gpu-cluster']);
  });

  it('a freshly created cluster shows no diff', async () => {
    for (const c of clusters) {
      const desired = desiredCluster(c);
      expect(diffCluster(desired, await describeCluster(desired.clusterName)), c.metadata.name).toEqual([]);
    }
  });

  it('settings that differ from the manifest show as one change', async () => {
    // A cluster made outside Berth with Container Insights off, adopted by a manifest that wants it enhanced.
    const m: ClusterManifest = { apiVersion: 'berth.dev/v1', kind: 'Cluster', metadata: { name: 'legacy' }, spec: { settings: [{ name: 'containerInsights', value: 'enhanced' }] } };
    expect(diffCluster(desiredCluster(m), await describeCluster('legacy'))).toEqual([{ path: 'settings[containerInsights].value', from: 'disabled', to: 'enhanced' }]);
  });
});
