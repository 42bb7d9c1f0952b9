/** The figures the benches print from their samples: medians and nearest-rank percentiles. */

/** The median of `values` (the mean of the middle two for an even count); NaN when there are none. */
export function median(values: ArrayLike<number>): number {
  const sorted = ascending(values);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100) of `values`: the smallest sample with at least p %
 * of the samples at or below it (p 100 is the largest). NaN when there are none.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = ascending(values);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function ascending(values: ArrayLike<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}
