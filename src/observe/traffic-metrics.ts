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
    /** A counter read from the plain counts when scraped: `values` gives each series' labels and total. */
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], values: () => Iterable<readonly [Record<L, string>, number]>) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, n] of values()) this.inc(labels as Partial<Record<L, string>>, n);
        },
      });
    /** One figure of each service/server pair's traffic. */
    const perServer = (field: 'tunnels' | 'bytesIn' | 'bytesOut') =>
      function* () {
        for (const [service, server, s] of counts.series.entries()) yield [{ service, server }, s[field]] as const;
      };
    const perService = (map: ReadonlyMap<string, number>) =>
      function* () {
        for (const [service, n] of map) yield [{ service }, n] as const;
      };
    counter(
      'mooring_requests_total',
      'Requests finished, by service, server and status class (server "none": answered by Mooring before any server; class "none": no answer, the client left)',
      ['service', 'server', 'class'],
      function* () {
        for (const [service, server, s] of counts.series.entries()) for (let i = 0; i < CLASSES.length; i++) yield [{ service, server, class: CLASSES[i]! }, s.byClass[i]!] as const;
      },
    );
    counter('mooring_tunnels_total', 'WebSocket upgrades finished (tunnels closed, upgrades refused or declined)', ['service', 'server'], perServer('tunnels'));
    this.registry.registerMetric(durationHistogram(counts));
    counter('mooring_persistence_decisions_total', 'Why requests went where they went (new, honored, target-down, drained, …)', ['service', 'decision'], function* () {
      for (const [service, decision, d] of counts.decisions.entries()) yield [{ service, decision }, d.n] as const;
    });
    counter(
      'mooring_persistence_degraded_total',
      "Requests whose persistence decision was made while the shared session store (Redis) was unreachable: from this process's own sessions",
      ['service'],
      perService(counts.degraded),
    );
    counter('mooring_retries_total', 'Attempts on another server after a failed one', ['service'], perService(counts.retries));
    counter('mooring_server_received_bytes_total', 'Body bytes received from clients and sent on to each server (for a tunnel: bytes from the client)', ['service', 'server'], perServer('bytesIn'));
    counter('mooring_server_sent_bytes_total', 'Body bytes sent to clients from each server (for a tunnel: bytes to the client)', ['service', 'server'], perServer('bytesOut'));
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
