/**
 * Text detection around the DB (Differentiable Binarization) model: the input size and tensor
 * (PaddleOCR's `DetResizeForTest` + `NormalizeImage`) and the post-processing that turns its
 * probability map into boxes (PaddleOCR's `DBPostProcess`, `box_type: quad`, `score_mode: fast`,
 * then `filter_tag_det_res`). Pure functions, no I/O.
 */
import type { OrientedRect, Point, Quad } from './geometry.ts';
import { insideConvexQuad, mapQuad, minAreaRect, orderCorners, quadSize, rectCorners, unclipRect } from './geometry.ts';
import type { RgbImage } from './image.ts';

/** DB post-processing settings; the defaults are PaddleOCR's inference defaults for PP-OCRv4. */
export interface DbOptions {
  /** A map pixel is text when its probability is above this. @defaultValue 0.3 */
  readonly threshold: number;
  /** A box is kept when the mean probability inside it is at least this. @defaultValue 0.6 */
  readonly boxThreshold: number;
  /** How far a box is grown back out (the model predicts shrunk text kernels). @defaultValue 1.5 */
  readonly unclipRatio: number;
  /** At most this many connected regions are considered. @defaultValue 1000 */
  readonly maxCandidates: number;
  /** Regions whose short side (map pixels) is below this are noise. @defaultValue 3 */
  readonly minSize: number;
}

export const DB_DEFAULTS: DbOptions = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, maxCandidates: 1000, minSize: 3 };

/** PaddleOCR's `det_limit_side_len` with `det_limit_type: max`. */
export const DETECTION_LIMIT_SIDE = 960;

/** Detection normalization (ImageNet), applied to the channels in PaddleOCR's B, G, R order. */
const DET_MEAN = [0.485, 0.456, 0.406] as const;
const DET_STD = [0.229, 0.224, 0.225] as const;

/** A detected text box in source-image pixels with its DB score. */
export interface DetectedBox {
  readonly box: Quad;
  readonly score: number;
}

/** The model's text probability map (one value per pixel of the detection input). */
export interface ProbabilityMap {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/**
 * The size the detector sees (PaddleOCR's `resize_image_type0`): scaled down so the longer side is
 * at most `limitSide` (never scaled up), then each side rounded to a multiple of 32 (at least 32),
 * as the network downsamples by 32. The aspect ratio may change by up to 16 px per side; boxes are
 * mapped back per axis.
 */
export function detectionInputSize(
  width: number,
  height: number,
  limitSide = DETECTION_LIMIT_SIDE,
): { readonly width: number; readonly height: number } {
  if (!(width > 0 && height > 0)) throw new RangeError(`image size must be positive, got ${width}x${height}`);
  const ratio = Math.max(width, height) > limitSide ? limitSide / Math.max(width, height) : 1;
  const toMultiple = (side: number): number => Math.max(Math.round(Math.trunc(side * ratio) / 32) * 32, 32);
  return { width: toMultiple(width), height: toMultiple(height) };
}

/**
 * The detection input tensor `[1, 3, H, W]` of an image already at the detection size: `x/255`,
 * then `(x - mean) / std` per channel. Channels are written B, G, R: PaddleOCR trains and infers
 * on OpenCV's BGR images, so that is the order the model expects.
 */
export function detectionTensor(image: RgbImage): Float32Array {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let channel = 0; channel < 3; channel++) {
    const source = 2 - channel; // B from R,G,B index 2, G from 1, R from 0
    const scale = 1 / (255 * DET_STD[channel]!);
    const shift = DET_MEAN[channel]! / DET_STD[channel]!;
    const base = channel * plane;
    for (let i = 0; i < plane; i++) out[base + i] = data[i * 3 + source]! * scale - shift;
  }
  return out;
}

/**
 * The 8-connected regions of the binarized map, each as the points its convex hull needs (the
 * leftmost and rightmost pixel of each of its rows), in pixel-center coordinates like OpenCV's
 * contours. PaddleOCR takes contours with `cv2.findContours`; the outer contour of a region has the
 * same convex hull as these points.
 */
export function textRegions(bitmap: Uint8Array, width: number, height: number, maxRegions: number): Point[][] {
  const seen = new Uint8Array(bitmap.length);
  const queue = new Int32Array(bitmap.length);
  const regions: Point[][] = [];
  for (let start = 0; start < bitmap.length && regions.length < maxRegions; start++) {
    if (bitmap[start] === 0 || seen[start] === 1) continue;
    // Breadth-first flood fill, remembering each row's extent.
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    const rows = new Map<number, [number, number]>();
    while (head < tail) {
      const index = queue[head++]!;
      const x = index % width;
      const y = (index - x) / width;
      const extent = rows.get(y);
      if (extent === undefined) rows.set(y, [x, x]);
      else {
        if (x < extent[0]) extent[0] = x;
        if (x > extent[1]) extent[1] = x;
      }
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const next = ny * width + nx;
          if (bitmap[next] === 1 && seen[next] === 0) {
            seen[next] = 1;
            queue[tail++] = next;
          }
        }
      }
    }
    const points: Point[] = [];
    for (const [y, [minX, maxX]] of rows) {
      points.push([minX, y]);
      if (maxX !== minX) points.push([maxX, y]);
    }
    regions.push(points);
  }
  return regions;
}

/**
 * PaddleOCR's `box_score_fast`: the mean probability over the pixels inside the box (within its
 * bounding rectangle, clamped to the map; pixels within half a pixel of an edge count, as
 * `cv2.fillPoly` includes the boundary).
 */
export function boxScore(map: ProbabilityMap, box: Quad): number {
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const clamp = (v: number, max: number): number => Math.min(Math.max(v, 0), max);
  const xMin = clamp(Math.floor(Math.min(...xs)), map.width - 1);
  const xMax = clamp(Math.ceil(Math.max(...xs)), map.width - 1);
  const yMin = clamp(Math.floor(Math.min(...ys)), map.height - 1);
  const yMax = clamp(Math.ceil(Math.max(...ys)), map.height - 1);
  let sum = 0;
  let count = 0;
  for (let y = yMin; y <= yMax; y++) {
    for (let x = xMin; x <= xMax; x++) {
      if (!insideConvexQuad(box, x, y, 0.5)) continue;
      sum += map.data[y * map.width + x]!;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * Boxes from the probability map, in source-image pixels: binarize at `threshold`, take each
 * connected region's minimum-area rectangle, drop it if too thin or its mean probability is below
 * `boxThreshold`, grow it by the unclip distance, scale it to the source size (per axis), clip it to
 * the image and drop boxes 3 px or less on a side (PaddleOCR's `filter_tag_det_res`).
 */
export function boxesFromProbabilityMap(
  map: ProbabilityMap,
  sourceWidth: number,
  sourceHeight: number,
  options: DbOptions = DB_DEFAULTS,
): DetectedBox[] {
  const bitmap = new Uint8Array(map.data.length);
  for (let i = 0; i < map.data.length; i++) bitmap[i] = map.data[i]! > options.threshold ? 1 : 0;
  const scaleX = sourceWidth / map.width;
  const scaleY = sourceHeight / map.height;
  const boxes: DetectedBox[] = [];
  for (const points of textRegions(bitmap, map.width, map.height, options.maxCandidates)) {
    const rect = minAreaRect(points);
    if (Math.min(rect.width, rect.height) < options.minSize) continue;
    const score = boxScore(map, rectCorners(rect));
    if (score < options.boxThreshold) continue;
    const grown: OrientedRect = unclipRect(rect, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minSize + 2) continue;
    const box = orderCorners(
      mapQuad(rectCorners(grown), (p) => [
        Math.min(Math.max(Math.round(p[0] * scaleX), 0), sourceWidth - 1),
        Math.min(Math.max(Math.round(p[1] * scaleY), 0), sourceHeight - 1),
      ]),
    );
    const size = quadSize(box);
    if (Math.trunc(size.width) <= 3 || Math.trunc(size.height) <= 3) continue;
    boxes.push({ box, score });
  }
  return boxes;
}
