// Each server's recent traffic for the admin API and dashboard: requests per second, error rate,
// body bytes per second each way, and p50/p99 of the total time, over the last WINDOW_S seconds. Fed by finished records; per
// server a ring of one-second buckets, each with a log-scale latency histogram (quantiles read
// off it are within one bin, about 19%).
import type { RequestRecord } from './record.ts';

export const WINDOW_S = 10;
/** Four bins per doubling from 0.1 ms: bin i holds times up to 0.1 × 2^(i/4) ms; the last, the rest. */
const BINS = 96;
const binOf = (ms: number): number => (ms <= 0.1 ? 0 : Math.min(BINS - 1, Math.ceil(Math.log2(ms * 10) * 4)));
const binTop = (i: number): number => 0.1 * 2 ** (i / 4);

class Bucket {
  second = -1;
  requests = 0;
  errors = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly bins = new Uint32Array(BINS);

  reset(second: number): void {
    this.second = second;
    this.requests = 0;
    this.errors = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.bins.fill(0);
  }
}

export interface Traffic {
  /** Requests finished per second, over the window. */
  readonly rps: number;
  /** Share of them that failed: a 5xx (Mooring's own included) or an answer broken off. */
  readonly errorRate: number;
  /** Total time, ms (undefined: no request in the window). */
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  /** Body bytes from clients to the server, and back, per second (tunnels included). */
  readonly bytesInPerSecond: number;
  readonly bytesOutPerSecond: number;
}

const IDLE: Traffic = { rps: 0, errorRate: 0, p50: undefined, p99: undefined, bytesInPerSecond: 0, bytesOutPerSecond: 0 };

class Ring {
  readonly buckets = Array.from({ length: WINDOW_S + 1 }, () => new Bucket());

  add(second: number, r: RequestRecord): void {
    const b = this.buckets[second % this.buckets.length]!;
    if (b.second !== second) b.reset(second);
    b.bytesIn += r.bytesIn;
    b.bytesOut += r.bytesOut;
    if (r.kind !== 'request') return;
    b.requests++;
    if (r.status >= 500 || r.ended === 'broken') b.errors++;
    b.bins[binOf(r.totalMs)]!++;
  }

  /** The last WINDOW_S seconds, the current (still filling) one included, so a request shows at once. */
  window(nowMs: number): Window {
    const second = Math.floor(nowMs / 1000);
    const w: Window = { requests: 0, errors: 0, bytesIn: 0, bytesOut: 0, bins: new Uint32Array(BINS) };
    for (const b of this.buckets) {
      if (b.second > second || b.second <= second - WINDOW_S) continue;
      w.requests += b.requests;
      w.errors += b.errors;
      w.bytesIn += b.bytesIn;
      w.bytesOut += b.bytesOut;
      for (let i = 0; i < BINS; i++) w.bins[i]! += b.bins[i]!;
    }
    return w;
  }
}

/** Requests, failures and the latency histogram over the window: what several processes add up. */
interface Window {
  requests: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  readonly bins: Uint32Array;
}

function trafficOf(w: Window, nowMs: number): Traffic {
  if (w.requests === 0 && w.bytesIn === 0 && w.bytesOut === 0) return IDLE;
  // The window spans WINDOW_S - 1 full seconds and the part of this one gone by.
  const span = WINDOW_S - 1 + (nowMs % 1000) / 1000;
  const bytes = { bytesInPerSecond: w.bytesIn / span, bytesOutPerSecond: w.bytesOut / span };
  if (w.requests === 0) return { ...IDLE, ...bytes };
  return { rps: w.requests / span, errorRate: w.errors / w.requests, p50: quantile(w.bins, w.requests, 0.5), p99: quantile(w.bins, w.requests, 0.99), ...bytes };
}

function quantile(bins: Uint32Array, total: number, q: number): number {
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < BINS; i++) {
    seen += bins[i]!;
    if (seen >= rank) return Math.round(binTop(i) * 100) / 100;
  }
  return binTop(BINS - 1);
}

/** Each server's traffic as one process saw it, plain data a worker can send: [service, server
 *  ('' before any server), requests, errors, [bin, count] pairs of the non-empty bins, bytes in, bytes out]. */
export type TrafficWindow = [string, string, number, number, [number, number][], number, number];

/** Where the admin API reads a server's recent traffic. */
export interface TrafficView {
  /** Traffic of one server over the last WINDOW_S seconds (server undefined: answered by Mooring before any server). */
  of(service: string, server: string | undefined): Traffic;
}

/** The traffic several processes saw, added up: histograms add, so the quantiles are the group's. */
export function groupTraffic(parts: readonly (readonly TrafficWindow[])[], nowMs: number): TrafficView {
  const sums = new Map<string, Window>();
  for (const part of parts) {
    for (const [service, server, requests, errors, bins, bytesIn, bytesOut] of part) {
      const key = `${service}\0${server}`;
      let w = sums.get(key);
      if (!w) sums.set(key, (w = { requests: 0, errors: 0, bytesIn: 0, bytesOut: 0, bins: new Uint32Array(BINS) }));
      w.requests += requests;
      w.errors += errors;
      w.bytesIn += bytesIn ?? 0;
      w.bytesOut += bytesOut ?? 0;
      for (const [i, n] of bins) if (i >= 0 && i < BINS) w.bins[i]! += n;
    }
  }
  return { of: (service, server) => {
    const w = sums.get(`${service}\0${server ?? ''}`);
    return w ? trafficOf(w, nowMs) : IDLE;
  } };
}

export class ServerStats implements TrafficView {
  /** service → server ('' for requests answered before any server) → its ring. */
  private readonly rings = new Map<string, Map<string, Ring>>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Finished requests and tunnels (tunnels count only their bytes: they last as long as their users stay). */
  readonly sink = (records: readonly RequestRecord[]): void => {
    const second = Math.floor(this.nowMs() / 1000);
    for (const r of records) {
      let service = this.rings.get(r.service);
      if (!service) this.rings.set(r.service, (service = new Map()));
      const server = r.server ?? '';
      let ring = service.get(server);
      if (!ring) service.set(server, (ring = new Ring()));
      ring.add(second, r);
    }
  };

  /** Traffic of one server over the last WINDOW_S seconds (server undefined: answered by Mooring before any server). */
  of(service: string, server: string | undefined): Traffic {
    const ring = this.rings.get(service)?.get(server ?? '');
    const now = this.nowMs();
    return ring ? trafficOf(ring.window(now), now) : IDLE;
  }

  /** Every server's window, to be added to other processes' (groupTraffic). */
  windows(): TrafficWindow[] {
    const now = this.nowMs();
    const out: TrafficWindow[] = [];
    for (const [service, servers] of this.rings) {
      for (const [server, ring] of servers) {
        const w = ring.window(now);
        if (w.requests === 0 && w.bytesIn === 0 && w.bytesOut === 0) continue;
        const bins: [number, number][] = [];
        w.bins.forEach((n, i) => n > 0 && bins.push([i, n]));
        out.push([service, server, w.requests, w.errors, bins, w.bytesIn, w.bytesOut]);
      }
    }
    return out;
  }

  /** Forgets servers no longer configured (`keep(service, server)` says which stay). */
  prune(keep: (service: string, server: string) => boolean): void {
    for (const [service, servers] of this.rings) {
      for (const server of servers.keys()) if (server !== '' && !keep(service, server)) servers.delete(server);
    }
  }
}
