import { describe, expect, it } from 'vitest';
import type { Quad } from './geometry.ts';
import type { RecognizedBox } from './reading-order.ts';
import { groupIntoRows, toLines } from './reading-order.ts';

function box(x: number, y: number, width: number, height: number): Quad {
  return [[x, y], [x + width, y], [x + width, y + height], [x, y + height]];
}

describe('groupIntoRows', () => {
  it('orders rows top to bottom and boxes left to right', () => {
    const boxes = [box(300, 104, 80, 30), box(10, 10, 200, 30), box(10, 100, 150, 30), box(10, 200, 100, 30)];
    expect(groupIntoRows(boxes)).toEqual([[1], [2, 0], [3]]);
  });

  it('keeps boxes whose centers are within half a box height on one row', () => {
    // Centers 25 and 39: 14 < 30/2 → one row; 25 and 41: 16 ≥ 15 → two rows.
    expect(groupIntoRows([box(200, 24, 50, 30), box(0, 10, 50, 30)])).toEqual([[1, 0]]);
    expect(groupIntoRows([box(200, 26, 50, 30), box(0, 10, 50, 30)])).toEqual([[1], [0]]);
  });

  it('uses the smaller height, so a small box beside a big one is not pulled into its row', () => {
    // Big box center 50 (h 60), small box center 62 (h 20): 12 ≥ 20/2.
    expect(groupIntoRows([box(0, 20, 100, 60), box(150, 52, 40, 20)])).toEqual([[0], [1]]);
  });

  it('returns nothing for no boxes', () => {
    expect(groupIntoRows([])).toEqual([]);
  });
});

describe('toLines', () => {
  it('joins a row with spaces, weights confidence by characters and spans the row', () => {
    const recognized: RecognizedBox[] = [
      { text: '1234.56', confidence: 0.9, characterCount: 7, box: box(300, 100, 120, 30) },
      { text: 'INVOICE', confidence: 1, characterCount: 7, box: box(10, 10, 150, 30) },
      { text: 'TOTAL', confidence: 0.6, characterCount: 5, box: box(10, 100, 100, 30) },
    ];
    const lines = toLines(recognized);
    expect(lines.map((l) => l.text)).toEqual(['INVOICE', 'TOTAL 1234.56']);
    expect(lines[1]!.confidence).toBeCloseTo((0.6 * 5 + 0.9 * 7) / 12, 6);
    expect(lines[1]!.box).toEqual([[10, 100], [420, 100], [420, 130], [10, 130]]);
    expect(lines[0]).toEqual({ text: 'INVOICE', confidence: 1, box: [[10, 10], [160, 10], [160, 40], [10, 40]] });
  });
});
