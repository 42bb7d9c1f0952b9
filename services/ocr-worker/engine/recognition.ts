/**
 * Text recognition input (PaddleOCR's `get_rotate_crop_image` + `TextRecognizer.resize_norm_img`):
 * each detected box is cut out of the source image with a perspective warp straight to the
 * recognizer's 48 px height, normalized, and placed in a batch padded to a common width.
 * Pure functions, no I/O.
 */
import type { Point, Quad } from './geometry.ts';
import { growQuad, quadSize } from './geometry.ts';
import type { RgbImage } from './image.ts';

/** PP-OCRv4 `rec_image_shape` is `[3, 48, 320]`: the height is fixed, 320 is the narrowest input. */
export const RECOGNITION_HEIGHT = 48;
export const RECOGNITION_MIN_WIDTH = 320;
/**
 * The widest input (80 × the height). PaddleOCR grows the batch width to the widest crop without a
 * bound; this cap only keeps a pathological box from allocating a huge tensor (such a crop is
 * squeezed instead).
 */
export const RECOGNITION_MAX_WIDTH = 3840;
/** PaddleOCR's `rec_batch_num`. */
export const RECOGNITION_BATCH_SIZE = 6;

/** What to cut out for one box: the corners in crop order and the crop's natural size. */
export interface CropPlan {
  /** Source-image corners that become the crop's top left, top right, bottom right, bottom left. */
  readonly corners: Quad;
  readonly width: number;
  readonly height: number;
}

/**
 * How much of the page around a box the recognizer sees, as a fraction of the box height added on
 * every side (of its short side, for vertical text). PaddleOCR crops the detected box exactly, and its PP-OCRv4 Chinese/English recognizer
 * then often drops the spaces between Latin words on such tight crops (PaddleOCR issues #8185,
 * #11386, #13201; the maintainers' advice in #8185 is a larger box: a higher `unclip_ratio` or
 * `use_dilation`). Growing only the crop keeps the reported box DB's. On rendered test pages
 * (5 fonts × 4 sizes × 8 lines, line spacing 1.25 and 2.2) exact lines went from 67–75 of 160
 * with no context to 155–158 with 0.25; 0.3–0.4 did about as well but reaches further into
 * neighbouring lines.
 */
export const RECOGNITION_CONTEXT = 0.25;

/**
 * The crop of a box: grown by `context` × its short side (the text's line height) on every side;
 * its size is the longer of each pair of opposite sides. A box at least 1.5 times as tall as wide
 * is read as vertical text and turned 90° counter-clockwise (as PaddleOCR does) so the recognizer
 * sees it lying down.
 */
export function cropPlan(detected: Quad, context = RECOGNITION_CONTEXT): CropPlan {
  const detectedSize = quadSize(detected);
  const box = growQuad(detected, context * Math.min(detectedSize.width, detectedSize.height));
  const { width, height } = quadSize(box);
  if (detectedSize.width > 0 && detectedSize.height / detectedSize.width >= 1.5) {
    const [topLeft, topRight, bottomRight, bottomLeft] = box;
    return { corners: [topRight, bottomRight, bottomLeft, topLeft], width: height, height: width };
  }
  return { corners: box, width, height };
}

/** The width of a crop resized to the recognizer's height, keeping its aspect, at most `batchWidth`. */
export function recognitionWidth(crop: { readonly width: number; readonly height: number }, batchWidth: number): number {
  if (crop.height <= 0) return 1;
  return Math.max(1, Math.min(Math.ceil((RECOGNITION_HEIGHT * crop.width) / crop.height), batchWidth));
}

/** A recognizer batch: which crops (indices into the input) and the width they are padded to. */
export interface RecognitionBatch {
  readonly indices: readonly number[];
  readonly width: number;
}

/**
 * Groups crops into batches of similar aspect ratio (sorted, as PaddleOCR does, so little of each
 * batch is padding). A batch's width fits its widest crop at the recognizer's height
 * (`int(48 × max(w/h))`), never below {@link RECOGNITION_MIN_WIDTH} nor above `maxWidth`.
 */
export function planBatches(
  crops: readonly { readonly width: number; readonly height: number }[],
  batchSize = RECOGNITION_BATCH_SIZE,
  maxWidth = RECOGNITION_MAX_WIDTH,
): RecognitionBatch[] {
  const ratio = (i: number): number => {
    const crop = crops[i]!;
    return crop.height > 0 ? crop.width / crop.height : 0;
  };
  const order = crops.map((_, i) => i).sort((a, b) => ratio(a) - ratio(b));
  const batches: RecognitionBatch[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const widest = Math.max(RECOGNITION_MIN_WIDTH / RECOGNITION_HEIGHT, ...indices.map(ratio));
    batches.push({ indices, width: Math.min(Math.trunc(RECOGNITION_HEIGHT * widest), maxWidth) });
  }
  return batches;
}

/** A 3×3 projective transform, row-major, `h[8] = 1`. */
export type Homography = readonly [number, number, number, number, number, number, number, number, number];

/**
 * The projective transform taking the corners of the rectangle `[0, width] × [0, height]` (top left,
 * top right, bottom right, bottom left) to `corners` — OpenCV's `getPerspectiveTransform`, solved
 * by Gaussian elimination on the 8 unknowns.
 */
export function rectToQuad(width: number, height: number, corners: Quad): Homography {
  const from: Point[] = [
    [0, 0],
    [width, 0],
    [width, height],
    [0, height],
  ];
  const rows: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [u, v] = from[i]!;
    const [x, y] = corners[i]!;
    rows.push([u, v, 1, 0, 0, 0, -u * x, -v * x, x]);
    rows.push([0, 0, 0, u, v, 1, -u * y, -v * y, y]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    if (Math.abs(rows[pivot]![col]!) < 1e-12) throw new RangeError('degenerate quad: its corners do not span an area');
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const pivotRow = rows[col]!;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const row = rows[r]!;
      const factor = row[col]! / pivotRow[col]!;
      if (factor === 0) continue;
      for (let c = col; c < 9; c++) row[c] = row[c]! - factor * pivotRow[c]!;
    }
  }
  const h = rows.map((row, i) => row[8]! / row[i]!);
  return [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
}

/** Applies a homography to a point. */
export function project(h: Homography, u: number, v: number): Point {
  const w = h[6] * u + h[7] * v + h[8];
  return [(h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w];
}

/**
 * Writes one crop into slot `slot` of a recognizer batch `[n, 3, 48, batchWidth]`: the box warped to
 * `recognitionWidth × 48` (bilinear, edge pixels repeated outside the image, averaged over up to
 * 4×4 samples a pixel when shrinking so small text is not aliased), channels B, G, R (PaddleOCR's
 * order), normalized `(x/255 − 0.5)/0.5`. The rest of the row stays 0, PaddleOCR's padding.
 */
export function writeCrop(image: RgbImage, crop: CropPlan, batch: Float32Array, slot: number, batchWidth: number): void {
  const outWidth = recognitionWidth(crop, batchWidth);
  const h = rectToQuad(outWidth, RECOGNITION_HEIGHT, crop.corners);
  const samples = Math.min(4, Math.max(1, Math.ceil(Math.max(crop.width / outWidth, crop.height / RECOGNITION_HEIGHT))));
  const weight = 1 / (samples * samples * 127.5);
  const plane = RECOGNITION_HEIGHT * batchWidth;
  const base = slot * 3 * plane;
  const { width, height, data } = image;
  for (let j = 0; j < RECOGNITION_HEIGHT; j++) {
    for (let i = 0; i < outWidth; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const [x, y] = project(h, i + (sx + 0.5) / samples, j + (sy + 0.5) / samples);
          // Bilinear between the four nearest pixel centers (center of pixel k is at k + 0.5).
          const fx = Math.min(Math.max(x - 0.5, 0), width - 1);
          const fy = Math.min(Math.max(y - 0.5, 0), height - 1);
          const x0 = Math.floor(fx);
          const y0 = Math.floor(fy);
          const x1 = Math.min(x0 + 1, width - 1);
          const y1 = Math.min(y0 + 1, height - 1);
          const ax = fx - x0;
          const ay = fy - y0;
          const p00 = (y0 * width + x0) * 3;
          const p01 = (y0 * width + x1) * 3;
          const p10 = (y1 * width + x0) * 3;
          const p11 = (y1 * width + x1) * 3;
          const w00 = (1 - ax) * (1 - ay);
          const w01 = ax * (1 - ay);
          const w10 = (1 - ax) * ay;
          const w11 = ax * ay;
          r += data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
          g += data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
          b += data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
        }
      }
      const at = base + j * batchWidth + i;
      batch[at] = b * weight - 1;
      batch[at + plane] = g * weight - 1;
      batch[at + 2 * plane] = r * weight - 1;
    }
  }
}
