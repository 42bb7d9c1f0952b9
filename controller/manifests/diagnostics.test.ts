import { describe, expect, it } from 'vitest';
import { describeValue, formatPath, parsePointer } from './diagnostics.ts';

describe('paths', () => {
  it('parses JSON pointers into keys and indexes, unescaping ~0 and ~1', () => {
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('/spec/containerDefinitions/0/image')).toEqual(['spec', 'containerDefinitions', 0, 'image']);
    expect(parsePointer('/metadata/annotations/berth.dev~1suspend')).toEqual(['metadata', 'annotations', 'berth.dev/suspend']);
    expect(parsePointer('/a~0b/01')).toEqual(['a~b', '01']);
  });

  it('formats paths as people write them', () => {
    expect(formatPath(['spec', 'containerDefinitions', 0, 'image'])).toBe('spec.containerDefinitions[0].image');
    expect(formatPath(['metadata', 'annotations', 'berth.dev/suspend'])).toBe('metadata.annotations["berth.dev/suspend"]');
    expect(formatPath([])).toBe('');
  });
});

describe('describeValue', () => {
  it('names the type and shows short values', () => {
    expect(describeValue(8080)).toBe('a number (8080)');
    expect(describeValue('x')).toBe('a string ("x")');
    expect(describeValue(true)).toBe('a boolean (true)');
    expect(describeValue(null)).toBe('nothing (null)');
    expect(describeValue([1])).toBe('a list');
    expect(describeValue({})).toBe('a mapping');
    expect(describeValue('y'.repeat(100))).toBe(`a string ("${'y'.repeat(59)}…")`);
  });
});
