import { describe, expect, it } from 'vitest';
import type { ProbabilityMap } from './detection.ts';
import { DB_DEFAULTS, boxScore, boxesFromProbabilityMap, detectionInputSize, detectionTensor, textRegions } from './detection.ts';

/** A `width` × `height` map, 0 except the rectangles given (inclusive pixel ranges). */
function map(width: number, height: number, fills: readonly { x0: number; x1: number; y0: number; y1: number; p: number }[]): ProbabilityMap {
  const data = new Float32Array(width * height);
  for (const { x0, x1, y0, y1, p } of fills) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * width + x] = p;
  return { data, width, height };
}

describe('detectionInputSize', () => {
  it('scales the longer side down to 960 and rounds both sides to multiples of 32', () => {
    // A4 at 150 dpi: 1754 → 960, 1240 × 960/1754 = 678.6 → 678 → 672.
    expect(detectionInputSize(1240, 1754)).toEqual({ width: 672, height: 960 });
    expect(detectionInputSize(1754, 1240)).toEqual({ width: 960, height: 672 });
  });

  it('never scales up, only rounds', () => {
    expect(detectionInputSize(900, 360)).toEqual({ width: 896, height: 352 });
    expect(detectionInputSize(960, 960)).toEqual({ width: 960, height: 960 });
  });

  it('keeps at least 32 px per side', () => {
    expect(detectionInputSize(10, 5)).toEqual({ width: 32, height: 32 });
    expect(detectionInputSize(4000, 20)).toEqual({ width: 960, height: 32 });
  });

  it('rejects an empty image', () => {
    expect(() => detectionInputSize(0, 10)).toThrow(RangeError);
  });
});

describe('detectionTensor', () => {
  it('writes planes B, G, R normalized with the ImageNet mean and std', () => {
    const tensor = detectionTensor({ width: 2, height: 1, data: new Uint8Array([255, 0, 128, 0, 0, 0]) });
    expect(tensor).toHaveLength(6);
    expect(tensor[0]).toBeCloseTo((128 / 255 - 0.485) / 0.229, 5); // B of pixel 0
    expect(tensor[1]).toBeCloseTo(-0.485 / 0.229, 5); // B of pixel 1
    expect(tensor[2]).toBeCloseTo(-0.456 / 0.224, 5); // G of pixel 0
    expect(tensor[4]).toBeCloseTo((1 - 0.406) / 0.225, 5); // R of pixel 0
  });
});

describe('textRegions', () => {
  it('joins diagonal neighbours (8-connectivity) and keeps separate regions apart', () => {
    const bitmap = new Uint8Array([
      1, 0, 0, 0, 1,
      0, 1, 0, 0, 1,
      0, 0, 0, 0, 0,
    ]);
    const regions = textRegions(bitmap, 5, 3, 10);
    expect(regions).toHaveLength(2);
    expect(regions[0]).toEqual([[0, 0], [1, 1]]);
    expect(regions[1]).toEqual([[4, 0], [4, 1]]);
  });

  it('stops at maxRegions', () => {
    expect(textRegions(new Uint8Array([1, 0, 1, 0, 1]), 5, 1, 2)).toHaveLength(2);
  });
});

describe('boxScore', () => {
  it('is the mean probability inside the box', () => {
    const m = map(10, 10, [{ x0: 2, x1: 5, y0: 2, y1: 5, p: 0.8 }]);
    expect(boxScore(m, [[2, 2], [5, 2], [5, 5], [2, 5]])).toBeCloseTo(0.8, 6);
    expect(boxScore(m, [[2, 2], [9, 2], [9, 5], [2, 5]])).toBeCloseTo((0.8 * 16) / 32, 6);
  });
});

describe('boxesFromProbabilityMap', () => {
  it('finds a text region, unclips it and maps it to source pixels', () => {
    // Region: pixel centers x 10..49, y 12..17 → a 39 × 5 rectangle; unclip d = 39·5·1.5 / (2·44).
    const m = map(64, 32, [{ x0: 10, x1: 49, y0: 12, y1: 17, p: 0.9 }]);
    const d = (39 * 5 * 1.5) / (2 * 44);
    const boxes = boxesFromProbabilityMap(m, 128, 64);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.score).toBeCloseTo(0.9, 6);
    const [x0, x1, y0, y1] = [Math.round((10 - d) * 2), Math.round((49 + d) * 2), Math.round((12 - d) * 2), Math.round((17 + d) * 2)];
    expect(boxes[0]!.box).toEqual([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
  });

  it('drops regions whose mean probability is below the box threshold', () => {
    const m = map(64, 32, [{ x0: 10, x1: 49, y0: 12, y1: 17, p: 0.45 }]);
    expect(boxesFromProbabilityMap(m, 64, 32)).toEqual([]);
    expect(boxesFromProbabilityMap(m, 64, 32, { ...DB_DEFAULTS, boxThreshold: 0.4 })).toHaveLength(1);
  });

  it('drops regions thinner than the minimum size', () => {
    expect(boxesFromProbabilityMap(map(64, 32, [{ x0: 10, x1: 49, y0: 12, y1: 13, p: 0.9 }]), 64, 32)).toEqual([]);
  });

  it('clips boxes to the image', () => {
    const boxes = boxesFromProbabilityMap(map(64, 32, [{ x0: 0, x1: 63, y0: 0, y1: 8, p: 0.9 }]), 64, 32);
    expect(boxes).toHaveLength(1);
    for (const [x, y] of boxes[0]!.box) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(63);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(31);
    }
  });

  it('finds every separate region', () => {
    const m = map(64, 64, [
      { x0: 5, x1: 40, y0: 5, y1: 12, p: 0.9 },
      { x0: 5, x1: 40, y0: 30, y1: 37, p: 0.9 },
    ]);
    expect(boxesFromProbabilityMap(m, 64, 64)).toHaveLength(2);
  });
});
