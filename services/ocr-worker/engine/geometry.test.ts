import { describe, expect, it } from 'vitest';
import type { Point, Quad } from './geometry.ts';
import {
  convexHull,
  growQuad,
  insideConvexQuad,
  mapQuad,
  minAreaRect,
  orderCorners,
  quadSize,
  rectCorners,
  unclipDistance,
  unclipRect,
} from './geometry.ts';

function rotate(p: Point, radians: number): Point {
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  return [p[0] * c - p[1] * s, p[0] * s + p[1] * c];
}

function closeQuad(actual: Quad, expected: Quad, digits = 6): void {
  actual.forEach((p, i) => {
    expect(p[0]).toBeCloseTo(expected[i]![0], digits);
    expect(p[1]).toBeCloseTo(expected[i]![1], digits);
  });
}

describe('convexHull', () => {
  it('keeps only the extreme points of a filled rectangle', () => {
    const points: Point[] = [];
    for (let y = 0; y <= 4; y++) for (let x = 0; x <= 10; x++) points.push([x, y]);
    const hull = convexHull(points);
    expect(hull).toHaveLength(4);
    expect(new Set(hull.map((p) => p.join(',')))).toEqual(new Set(['0,0', '10,0', '10,4', '0,4']));
  });

  it('handles fewer than three distinct points', () => {
    expect(convexHull([[1, 1], [1, 1]])).toEqual([[1, 1]]);
    expect(convexHull([[0, 0], [3, 4]])).toHaveLength(2);
  });
});

describe('minAreaRect', () => {
  it('fits an axis-aligned rectangle exactly', () => {
    const rect = minAreaRect([[10, 20], [110, 20], [110, 40], [10, 40], [60, 30]]);
    expect(Math.max(rect.width, rect.height)).toBeCloseTo(100);
    expect(Math.min(rect.width, rect.height)).toBeCloseTo(20);
    expect(rect.center[0]).toBeCloseTo(60);
    expect(rect.center[1]).toBeCloseTo(30);
  });

  it('follows a rotated rectangle', () => {
    const angle = (20 * Math.PI) / 180;
    const corners: Point[] = ([[-50, -10], [50, -10], [50, 10], [-50, 10]] as Point[]).map((p) => rotate(p, angle));
    const rect = minAreaRect(corners);
    expect(rect.width * rect.height).toBeCloseTo(100 * 20, 6);
    expect(Math.min(rect.width, rect.height)).toBeCloseTo(20, 6);
  });

  it('gives a zero-size rectangle for a single point and a flat one for a segment', () => {
    expect(minAreaRect([[5, 5]])).toMatchObject({ width: 0, height: 0, center: [5, 5] });
    const segment = minAreaRect([[0, 0], [10, 0]]);
    expect(Math.max(segment.width, segment.height)).toBeCloseTo(10);
    expect(Math.min(segment.width, segment.height)).toBeCloseTo(0);
  });

  it('throws on no points', () => {
    expect(() => minAreaRect([])).toThrow(RangeError);
  });
});

describe('orderCorners / rectCorners', () => {
  it('orders corners top left, top right, bottom right, bottom left', () => {
    expect(orderCorners([[10, 10], [0, 10], [10, 0], [0, 0]])).toEqual([[0, 0], [10, 0], [10, 10], [0, 10]]);
  });

  it('turns an oriented rectangle into ordered corners', () => {
    closeQuad(rectCorners({ center: [50, 20], axis: [1, 0], width: 100, height: 10 }), [[0, 15], [100, 15], [100, 25], [0, 25]]);
    // The same rectangle described along its other axis has the same corners.
    closeQuad(rectCorners({ center: [50, 20], axis: [0, 1], width: 10, height: 100 }), [[0, 15], [100, 15], [100, 25], [0, 25]]);
  });
});

describe('unclip', () => {
  it('uses area × ratio / perimeter', () => {
    expect(unclipDistance(100, 10, 1.5)).toBeCloseTo((100 * 10 * 1.5) / 220);
    expect(unclipDistance(0, 0, 1.5)).toBe(0);
  });

  it('grows a rectangle by the distance on every side, keeping its center and axis', () => {
    const d = unclipDistance(100, 10, 1.5);
    const grown = unclipRect({ center: [50, 20], axis: [1, 0], width: 100, height: 10 }, 1.5);
    expect(grown).toEqual({ center: [50, 20], axis: [1, 0], width: 100 + 2 * d, height: 10 + 2 * d });
  });
});

describe('insideConvexQuad', () => {
  const square: Quad = [[0, 0], [10, 0], [10, 10], [0, 10]];

  it('tells inside from outside, whatever the winding', () => {
    expect(insideConvexQuad(square, 5, 5)).toBe(true);
    expect(insideConvexQuad(square, 11, 5)).toBe(false);
    const reversed: Quad = [square[3], square[2], square[1], square[0]];
    expect(insideConvexQuad(reversed, 5, 5)).toBe(true);
    expect(insideConvexQuad(reversed, -1, 5)).toBe(false);
  });

  it('counts points within the tolerance of an edge', () => {
    expect(insideConvexQuad(square, 10.4, 5, 0.5)).toBe(true);
    expect(insideConvexQuad(square, 10.6, 5, 0.5)).toBe(false);
  });
});

describe('quadSize / growQuad / mapQuad', () => {
  it('measures the longer of each pair of opposite sides', () => {
    expect(quadSize([[0, 0], [100, 0], [103, 20], [0, 22]])).toEqual({ width: Math.hypot(103, 2), height: 22 });
  });

  it('grows an axis-aligned quad on every side', () => {
    expect(growQuad([[10, 10], [50, 10], [50, 30], [10, 30]], 5)).toEqual([[5, 5], [55, 5], [55, 35], [5, 35]]);
  });

  it('grows a rotated quad along its own axes', () => {
    const angle = (30 * Math.PI) / 180;
    const quad = mapQuad([[-20, -5], [20, -5], [20, 5], [-20, 5]], (p) => rotate(p, angle));
    const expected = mapQuad([[-22, -7], [22, -7], [22, 7], [-22, 7]], (p) => rotate(p, angle));
    closeQuad(growQuad(quad, 2), expected);
  });
});
