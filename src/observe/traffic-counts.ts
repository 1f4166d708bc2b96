// Per-request counting for the metrics, in plain numbers: a finished record costs two map lookups
// and a few increments, no label hashing and no garbage. Prometheus reads them when it scrapes.
import type { RequestRecord } from './record.ts';

export const CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Upper bounds of the duration histogram's buckets, in seconds (+Inf is the count). */
export const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One service/server pair's traffic. */
export class SeriesCounts {
  readonly byClass = new Float64Array(CLASSES.length);
  tunnels = 0;
  /** Body bytes from clients and to them. */
  bytesIn = 0;
  bytesOut = 0;
  /** Requests per bucket (not cumulative: each request counts in the first bucket it fits). */
  readonly buckets = new Float64Array(SECONDS.length);
  seconds = 0;
  requests = 0;
}

/** a → b → value, without building a key string per request. */
export class TwoLevel<V> {
  private readonly outer = new Map<string, Map<string, V>>();

  get(a: string, b: string, make: () => V): V {
    let inner = this.outer.get(a);
    if (!inner) this.outer.set(a, (inner = new Map()));
    let v = inner.get(b);
    if (v === undefined) inner.set(b, (v = make()));
    return v;
  }

  *entries(): Generator<[string, string, V]> {
    for (const [a, inner] of this.outer) for (const [b, v] of inner) yield [a, b, v];
  }

  delete(a: string, b: string): void {
    this.outer.get(a)?.delete(b);
  }
}

// Made once: an arrow written at the call would be a new closure per request.
const newSeries = (): SeriesCounts => new SeriesCounts();
const newCount = (): { n: number } => ({ n: 0 });

export class TrafficCounts {
  readonly series = new TwoLevel<SeriesCounts>();
  readonly decisions = new TwoLevel<{ n: number }>();
  readonly retries = new Map<string, number>();
  /** Requests per service decided while the shared session store was unreachable. */
  readonly degraded = new Map<string, number>();

  add(r: RequestRecord): void {
    const s = this.series.get(r.service, r.server ?? 'none', newSeries);
    s.bytesIn += r.bytesIn;
    s.bytesOut += r.bytesOut;
    if (r.kind === 'tunnel') s.tunnels++;
    else {
      s.byClass[r.status === 0 ? 0 : Math.min(5, Math.floor(r.status / 100))]!++;
      const seconds = r.totalMs / 1000;
      s.seconds += seconds;
      s.requests++;
      for (let i = 0; i < SECONDS.length; i++) {
        if (seconds <= SECONDS[i]!) {
          s.buckets[i]!++;
          break;
        }
      }
    }
    if (r.decision !== 'none') this.decisions.get(r.service, r.decision, newCount).n++;
    if (r.degraded) this.degraded.set(r.service, (this.degraded.get(r.service) ?? 0) + 1);
    if (r.attempts > 1) this.retries.set(r.service, (this.retries.get(r.service) ?? 0) + r.attempts - 1);
  }

  /** Forgets servers no longer configured (after a reload); 'none' (answered by Mooring) stays. */
  prune(keep: (service: string, server: string) => boolean): void {
    for (const [service, server] of [...this.series.entries()]) if (server !== 'none' && !keep(service, server)) this.series.delete(service, server);
  }
}
