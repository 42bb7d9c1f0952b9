import { describe, expect, it } from 'vitest';
import type { FieldChange } from '../engine/plan-types.ts';
import { deepEqual, diffFields } from './field-diff.ts';

describe('diffFields', () => {
  it.each<[string, unknown, unknown, FieldChange[]]>([
    ['equal scalars', 1, 1, []],
    ['equal nested objects, keys in another order', { a: { b: 1, c: [1, 2] } }, { a: { c: [1, 2], b: 1 } }, []],
    ['null and undefined are both absent', { a: null }, { a: undefined }, []],
    ['changed scalar at the root', 1, 2, [{ path: '', from: 1, to: 2 }]],
    [
      'nested field by dotted path',
      { deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 } },
      { deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 100 } },
      [{ path: 'deploymentConfiguration.maximumPercent', from: 200, to: 150 }],
    ],
    ['field added: from undefined', {}, { desiredCount: 2 }, [{ path: 'desiredCount', from: undefined, to: 2 }]],
    ['field removed: to undefined', { desiredCount: 2 }, {}, [{ path: 'desiredCount', from: 2, to: undefined }]],
    [
      'a whole object absent on one side is one change, not walked',
      {},
      { healthCheck: { command: ['CMD', 'true'], interval: 30 } },
      [{ path: 'healthCheck', from: undefined, to: { command: ['CMD', 'true'], interval: 30 } }],
    ],
    [
      'keys that are not plain words are quoted',
      { dockerLabels: { 'com.example.team': 'a' } },
      { dockerLabels: { 'com.example.team': 'b' } },
      [{ path: 'dockerLabels["com.example.team"]', from: 'a', to: 'b' }],
    ],
    [
      'hyphenated keys stay dotted',
      { options: { 'awslogs-group': '/a' } },
      { options: { 'awslogs-group': '/b' } },
      [{ path: 'options.awslogs-group', from: '/a', to: '/b' }],
    ],
  ])('%s', (_name, from, to, expected) => {
    expect(diffFields(from, to)).toEqual(expected);
  });

  describe('lists of named objects are keyed by name', () => {
    const containers = (image: string, level: string) => ({
      containerDefinitions: [
        { name: 'sidecar', image: 'envoy:1' },
        { name: 'filot-backend', image, environment: [{ name: 'NODE_ENV', value: 'production' }, { name: 'LOG_LEVEL', value: level }] },
      ],
    });

    it('shows a changed field of one item under its name', () => {
      expect(diffFields(containers('api:1', 'info'), containers('api:2', 'info'))).toEqual([
        { path: 'containerDefinitions[filot-backend].image', from: 'api:1', to: 'api:2' },
      ]);
    });

    it('keys nested named lists too', () => {
      expect(diffFields(containers('api:1', 'info'), containers('api:1', 'debug'))).toEqual([
        { path: 'containerDefinitions[filot-backend].environment[LOG_LEVEL].value', from: 'info', to: 'debug' },
      ]);
    });

    it('is independent of item order', () => {
      const reordered = { containerDefinitions: [...containers('api:1', 'info').containerDefinitions].reverse() };
      expect(diffFields(containers('api:1', 'info'), reordered)).toEqual([]);
    });

    it('shows an added and a removed item whole', () => {
      const from = { secrets: [{ name: 'A', valueFrom: 'arn:a' }, { name: 'B', valueFrom: 'arn:b' }] };
      const to = { secrets: [{ name: 'A', valueFrom: 'arn:a' }, { name: 'C', valueFrom: 'arn:c' }] };
      expect(diffFields(from, to)).toEqual([
        { path: 'secrets[C]', from: undefined, to: { name: 'C', valueFrom: 'arn:c' } },
        { path: 'secrets[B]', from: { name: 'B', valueFrom: 'arn:b' }, to: undefined },
      ]);
    });

    it('adds the first item to an empty list by key', () => {
      expect(diffFields({ secrets: [] }, { secrets: [{ name: 'A', valueFrom: 'arn:a' }] })).toEqual([
        { path: 'secrets[A]', from: undefined, to: { name: 'A', valueFrom: 'arn:a' } },
      ]);
    });

    it('falls back when names repeat', () => {
      const from = { env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] };
      const to = { env: [{ name: 'A', value: '1' }, { name: 'A', value: '3' }] };
      expect(diffFields(from, to)).toEqual([{ path: 'env[1].value', from: '2', to: '3' }]);
    });
  });

  describe('other lists', () => {
    it('lists of scalars are one change holding both lists', () => {
      expect(diffFields({ subnets: ['subnet-a', 'subnet-b'] }, { subnets: ['subnet-a', 'subnet-c'] })).toEqual([
        { path: 'subnets', from: ['subnet-a', 'subnet-b'], to: ['subnet-a', 'subnet-c'] },
      ]);
    });

    it('lists of unnamed objects of the same length are compared element-wise', () => {
      expect(diffFields({ placementStrategy: [{ type: 'binpack', field: 'memory' }] }, { placementStrategy: [{ type: 'binpack', field: 'cpu' }] })).toEqual([
        { path: 'placementStrategy[0].field', from: 'memory', to: 'cpu' },
      ]);
    });

    it('lists of unnamed objects of another length are one change', () => {
      const from = { placementStrategy: [{ type: 'random' }] };
      const to = { placementStrategy: [{ type: 'random' }, { type: 'spread', field: 'instanceId' }] };
      expect(diffFields(from, to)).toEqual([{ path: 'placementStrategy', from: from.placementStrategy, to: to.placementStrategy }]);
    });

    it('uses a key given for the list field when items have no name', () => {
      const from = { mountPoints: [{ containerPath: '/data', sourceVolume: 'd' }, { containerPath: '/tmp', sourceVolume: 't' }] };
      const to = { mountPoints: [{ containerPath: '/tmp', sourceVolume: 't', readOnly: true }, { containerPath: '/data', sourceVolume: 'd' }] };
      expect(diffFields(from, to, { listKeys: { mountPoints: (m) => m['containerPath'] as string } })).toEqual([
        { path: 'mountPoints[/tmp].readOnly', from: undefined, to: true },
      ]);
    });
  });

  it('prefixes every path', () => {
    expect(diffFields({ family: 'a' }, { family: 'b' }, { prefix: 'taskDefinition' })).toEqual([{ path: 'taskDefinition.family', from: 'a', to: 'b' }]);
  });
});

describe('deepEqual', () => {
  it.each<[unknown, unknown, boolean]>([
    [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
    [[1, 2], [2, 1], false],
    [{ a: 1 }, { a: 1, b: undefined }, true],
    [{ a: 1 }, { a: '1' }, false],
    [new Date(5), new Date(5), true],
    [new Date(5), new Date(6), false],
  ])('%j ~ %j is %s', (a, b, expected) => {
    expect(deepEqual(a, b)).toBe(expected);
  });
});
