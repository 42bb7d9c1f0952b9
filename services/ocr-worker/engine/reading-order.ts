/**
 * Reading order: recognized boxes grouped into lines (top to bottom) and, within a line, left to
 * right. Pure functions.
 */
import type { OcrLine } from '../../shared/ocr-job.ts';
import type { Point, Quad } from './geometry.ts';
import { distance } from './geometry.ts';

/** A recognized box before it is placed in a line. */
export interface RecognizedBox {
  readonly text: string;
  readonly confidence: number;
  /** How many characters `confidence` averages over (weights the line's confidence). */
  readonly characterCount: number;
  readonly box: Quad;
}

function centerY(box: Quad): number {
  return (box[0][1] + box[1][1] + box[2][1] + box[3][1]) / 4;
}

/** A box's height: the mean of its left and right sides (right for rotated boxes too). */
function boxHeight(box: Quad): number {
  return (distance(box[0], box[3]) + distance(box[1], box[2])) / 2;
}

function leftX(box: Quad): number {
  return Math.min(box[0][0], box[3][0]);
}

/**
 * Groups boxes into rows: sorted by vertical center, a box joins the row above it when its center
 * is within half a box height (the smaller of its own and the row's mean height) of the row's mean
 * center; otherwise it starts a new row. Rows come top to bottom, each row's boxes left to right.
 * Returns indices into `boxes`.
 */
export function groupIntoRows(boxes: readonly Quad[]): number[][] {
  const order = boxes.map((_, i) => i).sort((a, b) => centerY(boxes[a]!) - centerY(boxes[b]!) || leftX(boxes[a]!) - leftX(boxes[b]!));
  const rows: { indices: number[]; centerSum: number; heightSum: number }[] = [];
  for (const index of order) {
    const box = boxes[index]!;
    const y = centerY(box);
    const h = boxHeight(box);
    const row = rows[rows.length - 1];
    if (row !== undefined) {
      const rowCenter = row.centerSum / row.indices.length;
      const rowHeight = row.heightSum / row.indices.length;
      if (Math.abs(y - rowCenter) < Math.min(h, rowHeight) / 2) {
        row.indices.push(index);
        row.centerSum += y;
        row.heightSum += h;
        continue;
      }
    }
    rows.push({ indices: [index], centerSum: y, heightSum: h });
  }
  return rows.map((row) => row.indices.sort((a, b) => leftX(boxes[a]!) - leftX(boxes[b]!)));
}

/**
 * The lines of a page in reading order. Boxes on the same row become one line: their texts joined
 * with a space, the confidence averaged over all their characters, the box spanning the first
 * box's left side to the last box's right side.
 */
export function toLines(recognized: readonly RecognizedBox[]): OcrLine[] {
  return groupIntoRows(recognized.map((r) => r.box)).map((indices) => {
    const parts = indices.map((i) => recognized[i]!);
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    const characters = parts.reduce((n, p) => n + p.characterCount, 0);
    const confidence =
      characters === 0 ? 0 : parts.reduce((sum, p) => sum + p.confidence * p.characterCount, 0) / characters;
    const box: Point[] = [first.box[0], last.box[1], last.box[2], first.box[3]];
    return {
      text: parts.map((p) => p.text).join(' '),
      confidence,
      box: box.map((p): [number, number] => [p[0], p[1]]),
    };
  });
}
