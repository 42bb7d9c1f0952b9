/**
 * The datapoints of one region: one series per (namespace, metric name, dimension set), where the
 * dimension set is unordered as in CloudWatch (`A=1,B=2` and `B=2,A=1` are the same metric).
 * Standard-resolution data is stored at one-minute granularity and high-resolution data at one
 * second, as CloudWatch stores them; data older than {@link RETENTION_MS} is dropped, which keeps
 * memory bounded however long the simulation runs.
 */
import { aggregateValues, combineAggregates, mergeAggregates } from './statistics.ts';
import type { Aggregate, ValueCount } from './statistics.ts';

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** What one PutMetricData datum (or several at the same second and unit) left in a series. */
export interface MetricPoint {
  /** Epoch ms: floored to the minute (standard resolution) or the second (high resolution). */
  readonly at: number;
  readonly unit: string;
  readonly aggregate: Aggregate;
}

export interface MetricSeries {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name. */
  readonly dimensions: readonly Dimension[];
  /** Sorted by time. */
  readonly points: MetricPoint[];
  /** When data was last put (ListMetrics RecentlyActive). */
  lastPutAt: number;
}

/** CloudWatch keeps one-minute data 15 days; the simulator keeps everything that long, no longer. */
export const RETENTION_MS = 15 * 24 * 3600 * 1000;

export function sortDimensions(dimensions: readonly Dimension[]): Dimension[] {
  return [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function metricKey(namespace: string, metricName: string, dimensions: readonly Dimension[]): string {
  return JSON.stringify([namespace, metricName, sortDimensions(dimensions).map((d) => [d.Name, d.Value])]);
}

export class MetricStore {
  private readonly series = new Map<string, MetricSeries>();

  /** Adds a sample set at `at` (epoch ms) to its series, merged with one at the same time and unit. */
  put(input: {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: readonly Dimension[];
    readonly at: number;
    readonly highResolution: boolean;
    readonly unit: string;
    readonly aggregate: Aggregate;
    readonly receivedAt: number;
  }): void {
    const key = metricKey(input.namespace, input.metricName, input.dimensions);
    let series = this.series.get(key);
    if (!series) {
      series = { namespace: input.namespace, metricName: input.metricName, dimensions: sortDimensions(input.dimensions), points: [], lastPutAt: input.receivedAt };
      this.series.set(key, series);
    }
    series.lastPutAt = Math.max(series.lastPutAt, input.receivedAt);
    // CloudWatch's storage granularity: one minute, or one second for StorageResolution 1.
    const granularity = input.highResolution ? 1000 : 60_000;
    const at = Math.floor(input.at / granularity) * granularity;
    const points = series.points;
    // Mostly appended in time order; binary search keeps late data in place.
    let index = lowerBound(points, at);
    while (index < points.length && (points[index] as MetricPoint).at === at) {
      const existing = points[index] as MetricPoint;
      if (existing.unit === input.unit) {
        points[index] = { at, unit: input.unit, aggregate: mergeAggregates(existing.aggregate, input.aggregate) };
        return;
      }
      index++;
    }
    points.splice(index, 0, { at, unit: input.unit, aggregate: input.aggregate });
  }

  find(namespace: string, metricName: string, dimensions: readonly Dimension[]): MetricSeries | undefined {
    return this.series.get(metricKey(namespace, metricName, dimensions));
  }

  /** Every series, in a stable order (by key). */
  all(): MetricSeries[] {
    return [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  }

  /** Drops data older than the retention, and series left without data. */
  prune(now: number): void {
    const cutoff = now - RETENTION_MS;
    for (const [key, series] of this.series) {
      const keep = lowerBound(series.points, cutoff);
      if (keep > 0) series.points.splice(0, keep);
      if (series.points.length === 0) this.series.delete(key);
    }
  }

  get size(): number {
    return this.series.size;
  }

  get pointCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.points.length;
    return n;
  }
}

/** The first index whose point is at or after `at`. */
function lowerBound(points: readonly MetricPoint[], at: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid] as MetricPoint).at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Aggregates a series' points into periods `[start + k·period, start + (k+1)·period)` inside
 * `[start, end)`; periods without data are absent. With `unit`, only data of that unit counts
 * (CloudWatch aggregates units separately and never converts).
 */
export function bucketize(points: readonly MetricPoint[], start: number, end: number, periodMs: number, unit?: string): Map<number, Aggregate> {
  const collected = new Map<number, Aggregate[]>();
  for (let i = lowerBound(points, start); i < points.length; i++) {
    const point = points[i] as MetricPoint;
    if (point.at >= end) break;
    if (unit !== undefined && point.unit !== unit) continue;
    const bucket = start + Math.floor((point.at - start) / periodMs) * periodMs;
    let list = collected.get(bucket);
    if (!list) collected.set(bucket, (list = []));
    list.push(point.aggregate);
  }
  const buckets = new Map<number, Aggregate>();
  for (const [bucket, list] of collected) buckets.set(bucket, combineAggregates(list));
  return buckets;
}

/** The units present in `[start, end)`, in order of first appearance. */
export function unitsIn(points: readonly MetricPoint[], start: number, end: number): string[] {
  const units = new Set<string>();
  for (let i = lowerBound(points, start); i < points.length; i++) {
    const point = points[i] as MetricPoint;
    if (point.at >= end) break;
    units.add(point.unit);
  }
  return [...units];
}

/** A sample set from raw values, for callers that publish data directly. */
export function valuesAggregate(values: readonly ValueCount[]): Aggregate {
  return aggregateValues(values);
}
