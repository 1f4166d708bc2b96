// Prometheus metrics (prom-client), every name Mooring exports defined here and listed in
// docs/metrics.md. Label values are bounded by the config: service, server id, data center,
// status class, decision, state. Never a client address, path or cookie. Traffic is counted from
// finished records; states (in flight, sessions, health) are read when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MooringEvent } from '../core/events.ts';
import type { ServiceRuntime } from '../topology/runtime.ts';
import { datacenterRows, serverRows } from '../topology/view.ts';
import type { RequestRecord } from './record.ts';

const CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One service/server pair's counters, resolved once (prom-client's label lookup per request costs a sort and a hash). */
interface Series {
  readonly byClass: Counter.Internal[];
  readonly tunnels: Counter.Internal;
  readonly seconds: Histogram.Internal<'service' | 'server'>;
}

/** service → name → value, without building a key string per request. */
class TwoLevel<V> {
  private readonly outer = new Map<string, Map<string, V>>();

  get(a: string, b: string, make: () => V): V {
    let inner = this.outer.get(a);
    if (!inner) this.outer.set(a, (inner = new Map()));
    let v = inner.get(b);
    if (v === undefined) inner.set(b, (v = make()));
    return v;
  }

  /** Every (a, b) pair with its value, for pruning. */
  *entries(): Generator<[string, string, V]> {
    for (const [a, inner] of this.outer) for (const [b, v] of inner) yield [a, b, v];
  }

  delete(a: string, b: string): void {
    this.outer.get(a)?.delete(b);
  }
}

export class Metrics {
  readonly registry = new Registry();
  private readonly series = new TwoLevel<Series>();
  private readonly decisionCounters = new TwoLevel<Counter.Internal>();
  private readonly requests: Counter<'service' | 'server' | 'class'>;
  private readonly tunnels: Counter<'service' | 'server'>;
  private readonly duration: Histogram<'service' | 'server'>;
  private readonly decisions: Counter<'service' | 'decision'>;
  private readonly retries: Counter<'service'>;
  private readonly ejections: Counter<'service' | 'server'>;
  private readonly reloads: Counter<'result'>;
  private readonly failovers: Counter<'service' | 'kind'>;
  private readonly kickstarts: Counter<'service' | 'datacenter' | 'result'>;

  constructor(runtimes: () => Iterable<ServiceRuntime>, now: () => number = Date.now) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'mooring_requests_total', help: 'Requests finished, by service, server and status class (server "none": answered by Mooring before any server; class "none": no answer, the client left)', labelNames: ['service', 'server', 'class'], registers });
    this.tunnels = new Counter({ name: 'mooring_tunnels_total', help: 'WebSocket upgrades finished (tunnels closed, upgrades refused or declined)', labelNames: ['service', 'server'], registers });
    this.duration = new Histogram({ name: 'mooring_request_duration_seconds', help: 'Time from the request to the last byte of its answer', labelNames: ['service', 'server'], buckets: SECONDS, registers });
    this.decisions = new Counter({ name: 'mooring_persistence_decisions_total', help: 'Why requests went where they went (new, honored, target-down, drained, …)', labelNames: ['service', 'decision'], registers });
    this.retries = new Counter({ name: 'mooring_retries_total', help: 'Attempts on another server after a failed one', labelNames: ['service'], registers });
    this.ejections = new Counter({ name: 'mooring_ejections_total', help: 'Servers ejected by passive health checks', labelNames: ['service', 'server'], registers });
    this.failovers = new Counter({ name: 'mooring_failovers_total', help: 'Failovers to standby data centers (kind failover) and failbacks to active ones (kind failback)', labelNames: ['service', 'kind'], registers });
    this.kickstarts = new Counter({ name: 'mooring_kickstarts_total', help: "Calls to a standby data center's kickstart URL, by result (ok, failed: one per try that failed)", labelNames: ['service', 'datacenter', 'result'], registers });
    this.reloads = new Counter({ name: 'mooring_reloads_total', help: 'Config reloads, applied or refused', labelNames: ['result'], registers });
    const rows = () => [...runtimes()].map((runtime) => ({ runtime, rows: serverRows(runtime, now()) }));
    new Gauge({
      name: 'mooring_requests_in_flight',
      help: 'Requests and tunnels under way, by server',
      labelNames: ['service', 'server'],
      registers,
      collect() {
        this.reset();
        for (const { rows: list } of rows()) for (const r of list) this.set({ service: r.service, server: r.id }, r.inflight);
      },
    });
    new Gauge({
      name: 'mooring_sessions',
      help: 'Live sessions bound to each server',
      labelNames: ['service', 'server'],
      registers,
      collect() {
        this.reset();
        for (const { rows: list } of rows()) for (const r of list) this.set({ service: r.service, server: r.id }, r.sessions);
      },
    });
    new Gauge({
      name: 'mooring_server_health',
      help: 'Each server\'s health: 1 for its current state (up, down, unknown), 0 for the others',
      labelNames: ['service', 'server', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { rows: list } of rows()) for (const r of list) for (const state of ['up', 'down', 'unknown']) this.set({ service: r.service, server: r.id, state }, r.health === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mooring_server_admin_state',
      help: 'Each server\'s admin state: 1 for its current state (enabled, draining, disabled), 0 for the others',
      labelNames: ['service', 'server', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { rows: list } of rows()) for (const r of list) for (const state of ['enabled', 'draining', 'disabled']) this.set({ service: r.service, server: r.id, state }, r.admin === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mooring_datacenter_up',
      help: 'Whether a data center of a service takes new sessions (a primary server of it is eligible)',
      labelNames: ['service', 'datacenter'],
      registers,
      collect() {
        this.reset();
        for (const { runtime, rows: list } of rows()) for (const dc of datacenterRows(runtime, list)) this.set({ service: dc.service, datacenter: dc.name }, dc.up ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'mooring_' });
  }

  readonly sink = (r: RequestRecord): void => {
    const s = this.seriesOf(r.service, r.server ?? 'none');
    if (r.kind === 'tunnel') s.tunnels.inc();
    else {
      s.byClass[r.status === 0 ? 0 : Math.min(5, Math.floor(r.status / 100))]!.inc();
      s.seconds.observe(r.totalMs / 1000);
    }
    if (r.decision !== 'none') this.decisionCounters.get(r.service, r.decision, () => this.decisions.labels(r.service, r.decision)).inc();
    if (r.attempts > 1) this.retries.labels(r.service).inc(r.attempts - 1);
  };

  /** Control-plane events that are counted. */
  readonly onEvent = (event: MooringEvent): void => {
    if (event.type === 'ejected' && event.service !== undefined && event.server !== undefined) this.ejections.labels(event.service, event.server).inc();
    else if (event.type === 'reload') this.reloads.labels('applied').inc();
    else if (event.type === 'reload-refused') this.reloads.labels('refused').inc();
    else if ((event.type === 'failover' || event.type === 'failback') && event.service !== undefined) this.failovers.labels(event.service, event.type).inc();
    else if ((event.type === 'kickstart' || event.type === 'kickstart-failed') && event.service !== undefined && event.datacenter !== undefined) {
      this.kickstarts.labels(event.service, event.datacenter, event.type === 'kickstart' ? 'ok' : 'failed').inc();
    }
  };

  private seriesOf(service: string, server: string): Series {
    return this.series.get(service, server, () => ({
      byClass: CLASSES.map((c) => this.requests.labels(service, server, c)),
      tunnels: this.tunnels.labels(service, server),
      seconds: this.duration.labels(service, server),
    }));
  }

  /** Drops the series of servers no longer configured (after a reload). */
  prune(keep: (service: string, server: string) => boolean): void {
    for (const [service, server] of [...this.series.entries()]) {
      if (server === 'none' || keep(service, server)) continue;
      this.series.delete(service, server);
      for (const c of CLASSES) this.requests.remove(service, server, c);
      this.tunnels.remove(service, server);
      this.duration.remove(service, server);
      this.ejections.remove(service, server);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
