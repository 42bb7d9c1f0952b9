import { describe, expect, it } from 'vitest';
import type { Quad } from './geometry.ts';
import type { CropPlan } from './recognition.ts';
import {
  RECOGNITION_HEIGHT,
  RECOGNITION_MIN_WIDTH,
  cropPlan,
  planBatches,
  project,
  recognitionWidth,
  rectToQuad,
  writeCrop,
} from './recognition.ts';

describe('cropPlan', () => {
  it('grows a horizontal box by the context on every side', () => {
    const plan = cropPlan([[100, 50], [300, 50], [300, 90], [100, 90]], 0.25);
    expect(plan.corners).toEqual([[90, 40], [310, 40], [310, 100], [90, 100]]);
    expect(plan).toMatchObject({ width: 220, height: 60 });
  });

  it('crops exactly with no context', () => {
    const box: Quad = [[0, 0], [40, 0], [40, 10], [0, 10]];
    expect(cropPlan(box, 0)).toEqual({ corners: box, width: 40, height: 10 });
  });

  it('turns a box 1.5 times taller than wide a quarter counter-clockwise', () => {
    const plan = cropPlan([[0, 0], [20, 0], [20, 100], [0, 100]], 0);
    expect(plan.corners).toEqual([[20, 0], [20, 100], [0, 100], [0, 0]]);
    expect(plan).toMatchObject({ width: 100, height: 20 });
  });
});

describe('recognitionWidth', () => {
  it('keeps the aspect at 48 px high, within the batch width', () => {
    expect(recognitionWidth({ width: 200, height: 24 }, 1000)).toBe(400);
    expect(recognitionWidth({ width: 201, height: 24 }, 1000)).toBe(402); // ceil(401.9)
    expect(recognitionWidth({ width: 200, height: 24 }, 320)).toBe(320);
    expect(recognitionWidth({ width: 5, height: 0 }, 320)).toBe(1);
  });
});

describe('planBatches', () => {
  it('sorts by aspect ratio, batches by six and pads to the widest (at least 320)', () => {
    const crops = [10, 2, 30, 1, 5, 3, 4, 20].map((ratio) => ({ width: ratio * 10, height: 10 }));
    const batches = planBatches(crops);
    expect(batches.map((b) => b.indices)).toEqual([[3, 1, 5, 6, 4, 0], [7, 2]]);
    expect(batches.map((b) => b.width)).toEqual([480, 1440]);
  });

  it('never goes below the minimum nor above the maximum width', () => {
    expect(planBatches([{ width: 10, height: 10 }])[0]!.width).toBe(RECOGNITION_MIN_WIDTH);
    expect(planBatches([{ width: 10_000, height: 10 }], 6, 2000)[0]!.width).toBe(2000);
  });

  it('plans nothing for no crops', () => {
    expect(planBatches([])).toEqual([]);
  });
});

describe('rectToQuad / project', () => {
  it('maps the rectangle corners onto the quad corners', () => {
    const quad: Quad = [[10, 20], [110, 25], [105, 60], [12, 55]];
    const h = rectToQuad(200, 48, quad);
    const corners = [project(h, 0, 0), project(h, 200, 0), project(h, 200, 48), project(h, 0, 48)];
    corners.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(quad[i]![0], 6);
      expect(p[1]).toBeCloseTo(quad[i]![1], 6);
    });
  });

  it('rejects a degenerate quad', () => {
    expect(() => rectToQuad(10, 10, [[0, 0], [0, 0], [0, 0], [0, 0]])).toThrow(RangeError);
  });
});

describe('writeCrop', () => {
  it('writes the crop normalized, in B, G, R planes, padded with zeros', () => {
    // A 40 × 20 image: left half pure red, right half pure blue.
    const width = 40;
    const height = 20;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) data.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
    }
    const crop: CropPlan = { corners: [[0, 0], [40, 0], [40, 20], [0, 20]], width: 40, height: 20 };
    const batchWidth = 320;
    const batch = new Float32Array(2 * 3 * RECOGNITION_HEIGHT * batchWidth);
    writeCrop({ width, height, data }, crop, batch, 1, batchWidth);
    const plane = RECOGNITION_HEIGHT * batchWidth;
    const at = (channel: number, y: number, x: number): number => batch[3 * plane + channel * plane + y * batchWidth + x]!;
    // 40 × 20 → 96 × 48; the red half is columns 0..47.
    expect(at(2, 10, 5)).toBeCloseTo(1, 5); // R of a red pixel: 255 → +1
    expect(at(0, 10, 5)).toBeCloseTo(-1, 5); // B of a red pixel: 0 → −1
    expect(at(0, 30, 90)).toBeCloseTo(1, 5); // B of a blue pixel
    expect(at(1, 30, 90)).toBeCloseTo(-1, 5); // G is 0 everywhere
    expect(at(0, 10, 96)).toBe(0); // padding
    expect(at(2, 47, 319)).toBe(0);
    expect(batch[0]).toBe(0); // slot 0 untouched
  });
});
