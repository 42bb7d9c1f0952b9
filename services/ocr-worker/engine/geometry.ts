/**
 * Plane geometry for text boxes: convex hull, minimum-area rectangle, DB "unclip" and the corner
 * order PaddleOCR uses. Pure functions, no I/O.
 */

/** A point `[x, y]` in pixels. */
export type Point = readonly [number, number];

/** Four corners clockwise from top left: `[topLeft, topRight, bottomRight, bottomLeft]`. */
export type Quad = readonly [Point, Point, Point, Point];

/** A rectangle that may be rotated: its center, the unit vector along its width, and its sides. */
export interface OrientedRect {
  readonly center: Point;
  /** Unit vector along the `width` side; the `height` side runs along its normal `(-y, x)`. */
  readonly axis: Point;
  readonly width: number;
  readonly height: number;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** The convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, no collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique = sorted.filter((p, i) => {
    const prev = sorted[i - 1];
    return prev === undefined || prev[0] !== p[0] || prev[1] !== p[1];
  });
  if (unique.length < 3) return unique;
  const lower: Point[] = [];
  for (const p of unique) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = unique.length - 1; i >= 0; i--) {
    const p = unique[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return [...lower, ...upper];
}

/**
 * The minimum-area enclosing rectangle of a point set (what OpenCV's `minAreaRect` returns), by
 * trying each convex-hull edge as a side (the optimum always has one side on a hull edge).
 */
export function minAreaRect(points: readonly Point[]): OrientedRect {
  const hull = convexHull(points);
  const first = hull[0];
  if (first === undefined) throw new RangeError('minAreaRect needs at least one point');
  if (hull.length === 1) return { center: first, axis: [1, 0], width: 0, height: 0 };
  let best: OrientedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const length = distance(a, b);
    if (length === 0) continue;
    const u: Point = [(b[0] - a[0]) / length, (b[1] - a[1]) / length];
    let minU = Infinity;
    let maxU = -Infinity;
    let minN = Infinity;
    let maxN = -Infinity;
    for (const p of hull) {
      const along = p[0] * u[0] + p[1] * u[1];
      const across = -p[0] * u[1] + p[1] * u[0];
      minU = Math.min(minU, along);
      maxU = Math.max(maxU, along);
      minN = Math.min(minN, across);
      maxN = Math.max(maxN, across);
    }
    const area = (maxU - minU) * (maxN - minN);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cn = (minN + maxN) / 2;
      best = {
        center: [cu * u[0] - cn * u[1], cu * u[1] + cn * u[0]],
        axis: u,
        width: maxU - minU,
        height: maxN - minN,
      };
    }
  }
  return best ?? { center: first, axis: [1, 0], width: 0, height: 0 };
}

/** The four corners of a rectangle, in {@link orderCorners} order. */
export function rectCorners(rect: OrientedRect): Quad {
  const [cx, cy] = rect.center;
  const [ux, uy] = rect.axis;
  const hw = rect.width / 2;
  const hh = rect.height / 2;
  const corner = (su: number, sn: number): Point => [cx + su * hw * ux - sn * hh * uy, cy + su * hw * uy + sn * hh * ux];
  return orderCorners([corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)]);
}

/**
 * Orders four corners as PaddleOCR's `get_mini_boxes` does: the two with the smallest x are the
 * left side (the upper one is top left), the other two the right side (the upper one is top right).
 */
export function orderCorners(corners: readonly [Point, Point, Point, Point]): Quad {
  const [a, b, c, d] = [...corners].sort((p, q) => p[0] - q[0]) as [Point, Point, Point, Point];
  const [topLeft, bottomLeft] = b[1] > a[1] ? [a, b] : [b, a];
  const [topRight, bottomRight] = d[1] > c[1] ? [c, d] : [d, c];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

/** DB's unclip distance for a box: area × ratio / perimeter (as PaddleOCR's `unclip`). */
export function unclipDistance(width: number, height: number, ratio: number): number {
  const perimeter = 2 * (width + height);
  return perimeter === 0 ? 0 : (width * height * ratio) / perimeter;
}

/**
 * Expands a rectangle by its unclip distance on every side. PaddleOCR offsets the box polygon with
 * pyclipper (round joins) and takes the minimum-area rectangle of the result; for a rectangle that
 * is exactly the same rectangle grown by the offset on each side (the rounded corners lie inside
 * it), so no polygon offsetting is needed.
 */
export function unclipRect(rect: OrientedRect, ratio: number): OrientedRect {
  const d = unclipDistance(rect.width, rect.height, ratio);
  return { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
}

/** Whether a point lies inside a convex quadrilateral, counting points within `tolerance` of an edge. */
export function insideConvexQuad(quad: Quad, x: number, y: number, tolerance = 0): boolean {
  // The winding (sign of the shoelace area) says which side of each edge is the inside.
  let twiceArea = 0;
  for (let i = 0; i < 4; i++) {
    const a = quad[i]!;
    const b = quad[(i + 1) % 4]!;
    twiceArea += a[0] * b[1] - b[0] * a[1];
  }
  const sign = twiceArea < 0 ? -1 : 1;
  for (let i = 0; i < 4; i++) {
    const a = quad[i]!;
    const b = quad[(i + 1) % 4]!;
    const length = distance(a, b);
    if (length === 0) continue;
    const side = ((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])) / length;
    if (side * sign < -tolerance) return false;
  }
  return true;
}

/** The sides of a quad as PaddleOCR measures a crop: the longer of each pair of opposite edges. */
export function quadSize(quad: Quad): { readonly width: number; readonly height: number } {
  const [tl, tr, br, bl] = quad;
  return {
    width: Math.max(distance(tl, tr), distance(bl, br)),
    height: Math.max(distance(tl, bl), distance(tr, br)),
  };
}

/** A quad with each corner transformed (the corner order is kept). */
export function mapQuad(quad: Quad, transform: (point: Point) => Point): Quad {
  return [transform(quad[0]), transform(quad[1]), transform(quad[2]), transform(quad[3])];
}

/**
 * A quad grown outward by `amount` on every side, along its own axes (the mean direction of its top
 * and bottom edges, and of its left and right edges), so a rotated box stays rotated.
 */
export function growQuad(quad: Quad, amount: number): Quad {
  if (amount === 0) return quad;
  const [tl, tr, br, bl] = quad;
  const unit = (x: number, y: number): Point => {
    const length = Math.hypot(x, y);
    return length === 0 ? [0, 0] : [x / length, y / length];
  };
  const [ux, uy] = unit(tr[0] - tl[0] + br[0] - bl[0], tr[1] - tl[1] + br[1] - bl[1]);
  const [vx, vy] = unit(bl[0] - tl[0] + br[0] - tr[0], bl[1] - tl[1] + br[1] - tr[1]);
  const move = (p: Point, along: number, across: number): Point => [
    p[0] + amount * (along * ux + across * vx),
    p[1] + amount * (along * uy + across * vy),
  ];
  return [move(tl, -1, -1), move(tr, 1, -1), move(br, 1, 1), move(bl, -1, 1)];
}
