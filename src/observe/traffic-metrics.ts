// The metrics one process counts from its own traffic (prom-client): requests, tunnels, their
// durations, persistence decisions, retries, and the process's own figures (CPU, memory, event
// loop). Counted from finished records into plain numbers (traffic-counts.ts) and read when
// scraped: prom-client's own per-request calls hash their labels each time. With several workers
// each keeps its own and the primary sums them (group-metrics.ts).
import { Counter, Registry, type Metric } from 'prom-client';
import { registerProcessMetrics } from './process-metrics.ts';
import { registerListenerMetrics, type ListenerFact } from './listener-metrics.ts';
import type { RequestRecord } from './record.ts';
import { countedHistogram } from './counted-histogram.ts';
import { CLASSES, SECONDS, TrafficCounts } from './traffic-counts.ts';

export class TrafficMetrics {
  readonly registry = new Registry();
  private readonly counts = new TrafficCounts();

  constructor(listeners: () => readonly ListenerFact[] = () => []) {
    const registers = [this.registry];
    const counts = this.counts;
    new Counter({
      name: 'mooring_requests_total',
      help: 'Requests finished, by service, server and status class (server "none": answered by Mooring before any server; class "none": no answer, the client left)',
      labelNames: ['service', 'server', 'class'],
      registers,
      collect() {
        this.reset();
        for (const [service, server, s] of counts.series.entries()) CLASSES.forEach((c, i) => this.inc({ service, server, class: c }, s.byClass[i]!));
      },
    });
    new Counter({
      name: 'mooring_tunnels_total',
      help: 'WebSocket upgrades finished (tunnels closed, upgrades refused or declined)',
      labelNames: ['service', 'server'],
      registers,
      collect() {
        this.reset();
        for (const [service, server, s] of counts.series.entries()) this.inc({ service, server }, s.tunnels);
      },
    });
    this.registry.registerMetric(durationHistogram(counts));
    new Counter({
      name: 'mooring_persistence_decisions_total',
      help: 'Why requests went where they went (new, honored, target-down, drained, …)',
      labelNames: ['service', 'decision'],
      registers,
      collect() {
        this.reset();
        for (const [service, decision, d] of counts.decisions.entries()) this.inc({ service, decision }, d.n);
      },
    });
    new Counter({
      name: 'mooring_persistence_degraded_total',
      help: "Requests whose persistence decision was made while the shared session store (Redis) was unreachable: from this process's own sessions",
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [service, n] of counts.degraded) this.inc({ service }, n);
      },
    });
    new Counter({
      name: 'mooring_retries_total',
      help: 'Attempts on another server after a failed one',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [service, n] of counts.retries) this.inc({ service }, n);
      },
    });
    new Counter({
      name: 'mooring_server_received_bytes_total',
      help: 'Body bytes received from clients and sent on to each server (for a tunnel: bytes from the client)',
      labelNames: ['service', 'server'],
      registers,
      collect() {
        this.reset();
        for (const [service, server, s] of counts.series.entries()) this.inc({ service, server }, s.bytesIn);
      },
    });
    new Counter({
      name: 'mooring_server_sent_bytes_total',
      help: 'Body bytes sent to clients from each server (for a tunnel: bytes to the client)',
      labelNames: ['service', 'server'],
      registers,
      collect() {
        this.reset();
        for (const [service, server, s] of counts.series.entries()) this.inc({ service, server }, s.bytesOut);
      },
    });
    registerProcessMetrics(this.registry);
    registerListenerMetrics(this.registry, listeners);
  }

  readonly sink = (records: readonly RequestRecord[]): void => {
    for (const r of records) this.counts.add(r);
  };

  /** Drops the series of servers no longer configured (after a reload). */
  prune(keep: (service: string, server: string) => boolean): void {
    this.counts.prune(keep);
  }
}

/** mooring_request_duration_seconds, built from the plain counts at scrape time. */
function durationHistogram(counts: TrafficCounts): Metric {
  return countedHistogram('mooring_request_duration_seconds', 'Time from the request to the last byte of its answer', SECONDS, function* () {
    for (const [service, server, s] of counts.series.entries()) yield { labels: { service, server }, buckets: s.buckets, count: s.requests, sum: s.seconds };
  });
}
