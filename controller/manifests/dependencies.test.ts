import { describe, expect, it } from 'vitest';
import { dependencyEdges, findCycles, parseDependsOn } from './dependencies.ts';
import type { DependencyEdge } from './dependencies.ts';
import { parseSourceFile } from './source-document.ts';
import type { Manifest, ManifestEntry } from './types.ts';

/** Manifest entries from plain objects (only the fields the graph reads), one document each. */
function entries(...docs: object[]): ManifestEntry[] {
  const text = docs.map((d) => JSON.stringify({ apiVersion: 'berth.dev/v1', ...d })).join('\n---\n');
  return parseSourceFile({ path: 'm.yaml', text }).map((source) => ({ manifest: source.data as Manifest, source }));
}

const cluster = (name: string, spec: object = {}, annotations?: object): object =>
  ({ kind: 'Cluster', metadata: { name, annotations }, spec });
const service = (name: string, spec: object, annotations?: object): object =>
  ({ kind: 'Service', metadata: { name, annotations }, spec });
const alarm = (name: string, spec: object = {}, annotations?: object): object =>
  ({ kind: 'Alarm', metadata: { name, annotations }, spec });
const group = (name: string): object => ({ kind: 'AutoScalingGroup', metadata: { name }, spec: { minSize: 0, maxSize: 1 } });
const scaler = (name: string, target: object): object => ({ kind: 'QueueScaler', metadata: { name }, spec: { target } });
const dependsOn = (value: string): object => ({ 'berth.dev/depends-on': value });

/** `from → to (via)`, for short assertions. */
const arrows = (edges: readonly DependencyEdge[]): string[] => edges.map((e) => `${e.from} → ${e.to} (${e.via})`);

/** Edges from `from → to` pairs, as findCycles reads them. */
function graph(...pairs: string[]): DependencyEdge[] {
  return pairs.map((pair) => {
    const [from = '', to = ''] = pair.split(' → ');
    return { from, to, via: 'dependsOn', path: ['metadata', 'annotations', 'berth.dev/depends-on'] };
  });
}

describe('dependencyEdges', () => {
  it('links a service to its cluster by the AWS cluster name, plain or as an ARN', () => {
    const edges = dependencyEdges(entries(
      cluster('main'),
      cluster('gpu', { clusterName: 'ocr-gpu' }),
      service('api', { cluster: 'main' }),
      service('ocr', { cluster: 'arn:aws:ecs:ap-southeast-2:123456789012:cluster/ocr-gpu' }),
      service('by-metadata-name', { cluster: 'gpu' }),
    ));
    expect(edges).toEqual([
      { from: 'Service/api', to: 'Cluster/main', via: 'cluster', path: ['spec', 'cluster'] },
      { from: 'Service/ocr', to: 'Cluster/gpu', via: 'cluster', path: ['spec', 'cluster'] },
    ]);
  });

  it('links only within one region, an unset region being the same default on both sides', () => {
    const edges = dependencyEdges(entries(
      cluster('main'),
      cluster('eu', { clusterName: 'main', region: 'eu-west-1' }),
      service('default', { cluster: 'main' }),
      service('in-eu', { cluster: 'main', region: 'eu-west-1' }),
      service('in-us', { cluster: 'main', region: 'us-east-1' }),
    ));
    expect(arrows(edges)).toEqual(['Service/default → Cluster/main (cluster)', 'Service/in-eu → Cluster/eu (cluster)']);
  });

  it('links a service to the Alarm manifests of its deployment alarms, at each name', () => {
    const alarms = (...alarmNames: string[]): object => ({ deploymentConfiguration: { alarms: { alarmNames, enable: true, rollback: true } } });
    const edges = dependencyEdges(entries(
      alarm('api-5xx'),
      alarm('latency', { alarmName: 'api-latency-p95' }),
      alarm('eu-5xx', { alarmName: 'api-5xx', region: 'eu-west-1' }),
      service('api', { cluster: 'elsewhere', ...alarms('external-alarm', 'api-5xx', 'api-latency-p95') }),
    ));
    expect(edges).toEqual([
      { from: 'Service/api', to: 'Alarm/api-5xx', via: 'deploymentAlarm', path: ['spec', 'deploymentConfiguration', 'alarms', 'alarmNames', 1] },
      { from: 'Service/api', to: 'Alarm/latency', via: 'deploymentAlarm', path: ['spec', 'deploymentConfiguration', 'alarms', 'alarmNames', 2] },
    ]);
  });

  it('links a QueueScaler to its service and Auto Scaling group by metadata.name', () => {
    const edges = dependencyEdges(entries(
      service('worker', { cluster: 'gpu' }),
      group('gpu-asg'),
      scaler('ocr', { service: 'worker', autoScalingGroup: 'gpu-asg' }),
      scaler('service-only', { service: 'worker' }),
    ));
    expect(edges).toEqual([
      { from: 'QueueScaler/ocr', to: 'Service/worker', via: 'scalerService', path: ['spec', 'target', 'service'] },
      { from: 'QueueScaler/ocr', to: 'AutoScalingGroup/gpu-asg', via: 'scalerGroup', path: ['spec', 'target', 'autoScalingGroup'] },
      { from: 'QueueScaler/service-only', to: 'Service/worker', via: 'scalerService', path: ['spec', 'target', 'service'] },
    ]);
  });

  it('adds the berth.dev/depends-on entries of any kind, with spaces around the items', () => {
    const edges = dependencyEdges(entries(
      cluster('main'),
      alarm('depth'),
      group('asg'),
      cluster('batch', {}, dependsOn(' AutoScalingGroup/asg ,Alarm/depth,  Cluster/main ')),
    ));
    const path = ['metadata', 'annotations', 'berth.dev/depends-on'];
    expect(edges).toEqual([
      { from: 'Cluster/batch', to: 'AutoScalingGroup/asg', via: 'dependsOn', path },
      { from: 'Cluster/batch', to: 'Alarm/depth', via: 'dependsOn', path },
      { from: 'Cluster/batch', to: 'Cluster/main', via: 'dependsOn', path },
    ]);
  });

  it('gives no edge for a reference to a manifest that is not among them', () => {
    const edges = dependencyEdges(entries(
      service('api', { cluster: 'existing', deploymentConfiguration: { alarms: { alarmNames: ['gone'], enable: true, rollback: true } } }),
      scaler('ocr', { service: 'workr', autoScalingGroup: 'gpu-asg' }),
      alarm('a', {}, dependsOn('Cluster/nope, Service/nope, Bogus/x, service/api')),
    ));
    expect(edges).toEqual([]);
  });

  it('keeps a self-dependency (a self-loop) and each edge once', () => {
    const edges = dependencyEdges(entries(alarm('a', {}, dependsOn('Alarm/a, Alarm/a'))));
    expect(arrows(edges)).toEqual(['Alarm/a → Alarm/a (dependsOn)']);
  });
});

describe('parseDependsOn', () => {
  it('reads each comma-separated item, and tells keys from text that is not one', () => {
    expect(parseDependsOn('Cluster/main , service/api,,Nope/x, Alarm/')).toEqual([
      { text: 'Cluster/main', ref: { kind: 'Cluster', name: 'main', key: 'Cluster/main' } },
      { text: 'service/api' },
      { text: '' },
      { text: 'Nope/x' },
      { text: 'Alarm/' },
    ]);
    expect(parseDependsOn(undefined)).toEqual([]);
  });
});

describe('findCycles', () => {
  const keys = ['A/a', 'B/b', 'C/c', 'D/d', 'E/e'];

  it('finds none in an acyclic graph', () => {
    expect(findCycles(keys, [])).toEqual([]);
    expect(findCycles(keys, graph('A/a → B/b', 'B/b → C/c', 'A/a → C/c', 'D/d → A/a', 'E/e → D/d', 'E/e → C/c'))).toEqual([]);
  });

  it('finds a self-loop', () => {
    expect(findCycles(keys, graph('A/a → B/b', 'C/c → C/c'))).toEqual([['C/c']]);
  });

  it('finds a cycle of two and of three, starting at the key that comes first', () => {
    expect(findCycles(keys, graph('B/b → A/a', 'A/a → B/b'))).toEqual([['A/a', 'B/b']]);
    expect(findCycles(keys, graph('C/c → A/a', 'B/b → C/c', 'A/a → B/b', 'D/d → A/a'))).toEqual([['A/a', 'B/b', 'C/c']]);
  });

  it('finds two disjoint cycles, ordered by their first key', () => {
    const edges = graph('D/d → E/e', 'E/e → D/d', 'B/b → C/c', 'C/c → A/a', 'A/a → B/b');
    expect(findCycles(keys, edges)).toEqual([['A/a', 'B/b', 'C/c'], ['D/d', 'E/e']]);
  });

  it('reports one shortest cycle per strongly connected component, and its self-loops', () => {
    // A → B → C → A and A → C → A share A: one component, whose shortest cycle through A is A → C.
    const edges = graph('A/a → B/b', 'B/b → C/c', 'C/c → A/a', 'A/a → C/c', 'B/b → B/b');
    expect(findCycles(keys, edges)).toEqual([['A/a', 'C/c'], ['B/b']]);
  });

  it('gives the same answer whatever the order of the edges', () => {
    const edges = graph('A/a → B/b', 'B/b → C/c', 'C/c → A/a', 'D/d → E/e', 'E/e → D/d', 'E/e → E/e', 'C/c → D/d');
    const expected = [['A/a', 'B/b', 'C/c'], ['D/d', 'E/e'], ['E/e']];
    expect(findCycles(keys, edges)).toEqual(expected);
    expect(findCycles(keys, [...edges].reverse())).toEqual(expected);
    expect(findCycles(keys, [...edges.slice(3), ...edges.slice(0, 3)])).toEqual(expected);
  });

  it('ignores edges to keys that are not given, and repeated keys', () => {
    expect(findCycles(['A/a', 'B/b', 'A/a'], graph('A/a → B/b', 'B/b → X/x', 'X/x → A/a'))).toEqual([]);
    expect(findCycles(['A/a', 'B/b', 'A/a'], graph('A/a → B/b', 'B/b → A/a', 'B/b → A/a'))).toEqual([['A/a', 'B/b']]);
  });
});
