// A Prometheus histogram built at scrape time from plain counts kept elsewhere (per-bucket counts,
// a total and a sum), so that what is counted often pays no label hashing per observation. With
// several workers, prom-client's aggregation sums it like any histogram.
import type { Metric } from 'prom-client';

export interface CountedSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative: each counts in the first bucket it fits. */
  readonly buckets: ArrayLike<number>;
  readonly count: number;
  /** Sum of the observations, in seconds. */
  readonly sum: number;
}

type Value = { value: number; labels: Record<string, string | number>; metricName: string };

export function countedHistogram(name: string, help: string, bounds: readonly number[], series: () => Iterable<CountedSeries>): Metric {
  const get = async () => {
    const values: Value[] = [];
    for (const s of series()) {
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values };
  };
  return { name, help, type: 'histogram', aggregator: 'sum', reset: () => {}, get } as unknown as Metric;
}
