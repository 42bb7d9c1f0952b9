import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode, parseDictionary } from './ctc-decode.ts';
import { defaultModelPaths } from './models.ts';

/** A `[1, steps, classes]` softmax output whose argmax at each step is `path[step]` with probability `p[step]`. */
function output(path: readonly number[], classes: number, p: readonly number[] = path.map(() => 0.9)): Float32Array {
  const data = new Float32Array(path.length * classes);
  path.forEach((k, step) => {
    const rest = (1 - p[step]!) / (classes - 1);
    for (let c = 0; c < classes; c++) data[step * classes + c] = c === k ? p[step]! : rest;
  });
  return data;
}

describe('parseDictionary', () => {
  it('reads one character a line and appends the space', () => {
    expect(parseDictionary('a\nb\nc')).toEqual(['a', 'b', 'c', ' ']);
  });

  it('ignores a final newline and Windows line ends', () => {
    expect(parseDictionary('a\r\nb\r\n')).toEqual(['a', 'b', ' ']);
  });

  it('rejects an empty dictionary', () => {
    expect(() => parseDictionary('')).toThrow(RangeError);
  });

  it('matches the PP-OCRv4 recognizer: 6623 dictionary lines + space + blank = 6625 classes', () => {
    const characters = parseDictionary(readFileSync(defaultModelPaths().dictionaryPath, 'utf8'));
    expect(characters).toHaveLength(6623 + 1);
    expect(characters.length + 1).toBe(6625);
  });
});

describe('ctcGreedyDecode', () => {
  const characters = ['a', 'b', 'c', ' ']; // classes: 0 blank, 1 a, 2 b, 3 c, 4 space
  const classes = characters.length + 1;

  it('collapses repeats and drops blanks', () => {
    // a a _ a b b _ _ c → "aabc"
    const decoded = ctcGreedyDecode(output([1, 1, 0, 1, 2, 2, 0, 0, 3], classes), 0, 9, classes, characters);
    expect(decoded.text).toBe('aabc');
    expect(decoded.characterCount).toBe(4);
  });

  it('decodes the space class as a space', () => {
    expect(ctcGreedyDecode(output([1, 0, 4, 0, 2], classes), 0, 5, classes, characters).text).toBe('a b');
  });

  it('averages the max probability of the kept characters only', () => {
    const decoded = ctcGreedyDecode(output([1, 1, 0, 2], classes, [0.8, 0.99, 0.5, 0.6]), 0, 4, classes, characters);
    expect(decoded.text).toBe('ab');
    expect(decoded.confidence).toBeCloseTo((0.8 + 0.6) / 2, 6);
  });

  it('gives an empty text with confidence 0 for all blanks', () => {
    expect(ctcGreedyDecode(output([0, 0, 0], classes), 0, 3, classes, characters)).toEqual({ text: '', confidence: 0, characterCount: 0 });
  });

  it('decodes the requested sequence of a batch', () => {
    const batch = new Float32Array([...output([1, 0, 2], classes), ...output([3, 3, 1], classes)]);
    expect(ctcGreedyDecode(batch, 0, 3, classes, characters).text).toBe('ab');
    expect(ctcGreedyDecode(batch, 1, 3, classes, characters).text).toBe('ca');
  });

  it('refuses a model whose class count does not fit the alphabet', () => {
    expect(() => ctcGreedyDecode(output([1], 4), 0, 1, 4, characters)).toThrow(/4 classes/);
  });
});
