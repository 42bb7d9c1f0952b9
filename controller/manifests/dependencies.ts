/**
 * The dependency graph between manifests: which manifest has to be applied after which. Edges come
 * from the references in the specs (a Service's cluster and deployment alarms, a QueueScaler's
 * targets) and from the `berth.dev/depends-on` annotation, Berth's counterpart of Flux's `dependsOn`.
 * Pure: no I/O, and the same input always gives the same output in the same order.
 */
import { isKind } from './kinds.ts';
import type { Kind } from './kinds.ts';
import type { AlarmManifest, ClusterManifest, Manifest, ManifestEntry } from './types.ts';
import { clusterRef, manifestKey } from './types.ts';

/** The annotation that lists a manifest's explicit dependencies. */
export const DEPENDS_ON = 'berth.dev/depends-on';

/** Where the annotation is written in a manifest. */
export const DEPENDS_ON_PATH: readonly string[] = ['metadata', 'annotations', DEPENDS_ON];

export type DependencyVia = 'cluster' | 'deploymentAlarm' | 'scalerService' | 'scalerGroup' | 'dependsOn';

export interface DependencyEdge {
  /** The dependent's key `Kind/name` (e.g. `Service/api`). */
  readonly from: string;
  /** The dependency's key (e.g. `Cluster/main`). */
  readonly to: string;
  readonly via: DependencyVia;
  /** The field in the dependent manifest that makes the reference, e.g. `['spec', 'cluster']`. */
  readonly path: readonly (string | number)[];
}

/** One item of a `berth.dev/depends-on` list. */
export interface DependsOnItem {
  /** The item as written, without the whitespace around it. */
  readonly text: string;
  /** The kind and name it names, when it is `Kind/name` with a kind Berth knows. */
  readonly ref?: { readonly kind: Kind; readonly name: string; readonly key: string };
}

const KEY = /^([A-Za-z]+)\/([A-Za-z0-9][A-Za-z0-9_-]*)$/;

/** Splits a `berth.dev/depends-on` value (`Cluster/main, Alarm/api-5xx`) into its items; undefined gives none. */
export function parseDependsOn(value: string | undefined): DependsOnItem[] {
  if (value === undefined) return [];
  return value.split(',').map((raw) => {
    const text = raw.trim();
    const match = KEY.exec(text);
    const [, kind, name] = match ?? [];
    return isKind(kind) && name !== undefined ? { text, ref: { kind, name, key: `${kind}/${name}` } } : { text };
  });
}

/** Edges between the manifests given; references to things not among them give no edge. */
export function dependencyEdges(manifests: readonly ManifestEntry[]): DependencyEdge[] {
  const all = manifests.map((e) => e.manifest);
  const keys = new Set(all.map(manifestKey));
  const clusters = all.filter((m): m is ClusterManifest => m.kind === 'Cluster');
  const alarms = all.filter((m): m is AlarmManifest => m.kind === 'Alarm');
  const edges: DependencyEdge[] = [];
  const seen = new Set<string>();
  const add = (from: Manifest, to: string, via: DependencyVia, path: readonly (string | number)[]): void => {
    const edge = { from: manifestKey(from), to, via, path };
    // Two manifests with the same key (an error reported elsewhere) would repeat their edges.
    const id = JSON.stringify(edge);
    if (seen.has(id)) return;
    seen.add(id);
    edges.push(edge);
  };
  for (const m of all) {
    switch (m.kind) {
      case 'Service': {
        // The cluster, by its AWS name, in the service's region.
        const cluster = clusterRef(m.spec.cluster);
        for (const c of clusters) {
          if ((c.spec.clusterName ?? c.metadata.name) === cluster && sameRegion(m.spec.region, c.spec.region)) {
            add(m, manifestKey(c), 'cluster', ['spec', 'cluster']);
          }
        }
        // The alarms that stop a deployment, by their AWS names, in the service's region.
        const alarmNames = m.spec.deploymentConfiguration?.alarms?.alarmNames ?? [];
        alarmNames.forEach((alarmName, i) => {
          for (const a of alarms) {
            if ((a.spec.alarmName ?? a.metadata.name) === alarmName && sameRegion(m.spec.region, a.spec.region)) {
              add(m, manifestKey(a), 'deploymentAlarm', ['spec', 'deploymentConfiguration', 'alarms', 'alarmNames', i]);
            }
          }
        });
        break;
      }
      case 'QueueScaler': {
        // The scaled service and group, by metadata.name.
        const { service, autoScalingGroup } = m.spec.target;
        if (keys.has(`Service/${service}`)) add(m, `Service/${service}`, 'scalerService', ['spec', 'target', 'service']);
        if (autoScalingGroup !== undefined && keys.has(`AutoScalingGroup/${autoScalingGroup}`)) {
          add(m, `AutoScalingGroup/${autoScalingGroup}`, 'scalerGroup', ['spec', 'target', 'autoScalingGroup']);
        }
        break;
      }
      default:
        break;
    }
    // The explicit dependencies, on any kind; a self-dependency is kept so that it shows as a self-loop.
    for (const { ref } of parseDependsOn(m.metadata.annotations?.[DEPENDS_ON])) {
      if (ref && keys.has(ref.key)) add(m, ref.key, 'dependsOn', DEPENDS_ON_PATH);
    }
  }
  return edges;
}

/**
 * Every elementary cycle found (each as the list of keys in order, first key not repeated),
 * deterministic order; empty when acyclic. The graph is the one on `keys` (edges touching other
 * keys are ignored). Reported are each self-loop, and for every strongly connected component of
 * more than one key one shortest cycle through its first key; each cycle starts at its key that
 * comes first in `keys`, and the cycles are ordered by that key, a self-loop before a longer cycle.
 */
export function findCycles(keys: readonly string[], edges: readonly DependencyEdge[]): string[][] {
  // Number the keys in the order given, and list each key's successors in that order.
  const order = new Map<string, number>();
  for (const key of keys) if (!order.has(key)) order.set(key, order.size);
  const rank = (key: string): number => order.get(key) ?? 0;
  const next = new Map<string, string[]>([...order.keys()].map((k) => [k, []]));
  for (const { from, to } of edges) {
    const successors = next.get(from);
    if (successors && order.has(to) && !successors.includes(to)) successors.push(to);
  }
  for (const successors of next.values()) successors.sort((a, b) => rank(a) - rank(b));
  const successorsOf = (key: string): readonly string[] => next.get(key) ?? [];

  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of successorsOf(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    components.push(component.sort((a, b) => rank(a) - rank(b)));
  };
  for (const key of order.keys()) if (!index.has(key)) visit(key);

  // Self-loops, and one cycle through the first key of each larger component.
  const cycles: string[][] = [];
  for (const component of components) {
    for (const key of component) if (successorsOf(key).includes(key)) cycles.push([key]);
    const [first] = component;
    if (component.length > 1 && first !== undefined) cycles.push(shortestCycle(first, new Set(component), successorsOf));
  }
  return cycles.sort((a, b) => rank(a[0] ?? '') - rank(b[0] ?? '') || a.length - b.length);
}

/** A shortest cycle of two or more keys from `start` back to it, inside `members` (a strongly connected component). */
function shortestCycle(start: string, members: ReadonlySet<string>, successorsOf: (key: string) => readonly string[]): string[] {
  // Breadth-first from start; the first edge back to start closes a shortest cycle.
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] ?? start;
    for (const w of successorsOf(node)) {
      if (w === node || !members.has(w)) continue;
      if (w === start) {
        const cycle = [node];
        for (let p = parent.get(node); p !== undefined; p = parent.get(p)) cycle.push(p);
        return cycle.reverse();
      }
      if (parent.has(w)) continue;
      parent.set(w, node);
      queue.push(w);
    }
  }
  // Unreachable for a strongly connected component of two or more keys.
  return [start];
}

/** Unset regions are all the controller's default region, which no explicit region is taken to equal. */
function sameRegion(a: string | undefined, b: string | undefined): boolean {
  return a === b;
}
