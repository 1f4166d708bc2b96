// The metrics of the control plane's state (prom-client): each server's health, admin state,
// sessions and requests in flight, each data center's state, the session store's, the active
// checks' durations, and counts of control-plane events (ejections, failovers, kickstarts, reloads). Read from the services when
// scraped. Label values are bounded by the config: service, server id, data center, state.
import { Counter, Gauge, Registry } from 'prom-client';
import type { MooringEvent } from '../core/events.ts';
import type { ServiceHandle } from '../topology/service.ts';
import { datacenterRows, serverRows, type DatacenterRow } from '../topology/view.ts';
import { registerBuildInfo } from './process-metrics.ts';
import { countedHistogram } from './counted-histogram.ts';
import { CHECK_SECONDS } from '../health/check-log.ts';

export class StateMetrics {
  readonly registry = new Registry();
  /** Servers with an ejection series, by service: what a prune may have to remove. */
  private readonly ejected = new Map<string, Set<string>>();
  private readonly ejections: Counter<'service' | 'server'>;
  private readonly reloads: Counter<'result'>;
  private readonly lastReload: Gauge;
  private readonly lastReloadApplied: Gauge;
  private readonly failovers: Counter<'service' | 'kind'>;
  private readonly kickstarts: Counter<'service' | 'datacenter' | 'result'>;

  constructor(
    runtimes: () => Iterable<ServiceHandle>,
    now: () => number = Date.now,
    /** Whether the shared session store (Redis) answers; undefined: sessions are kept in memory. */
    storeUp: () => boolean | undefined = () => undefined,
  ) {
    const registers = [this.registry];
    this.ejections = new Counter({ name: 'mooring_ejections_total', help: 'Servers ejected by passive health checks', labelNames: ['service', 'server'], registers });
    this.failovers = new Counter({ name: 'mooring_failovers_total', help: 'Failovers to standby data centers (kind failover) and failbacks to active ones (kind failback)', labelNames: ['service', 'kind'], registers });
    this.kickstarts = new Counter({ name: 'mooring_kickstarts_total', help: "Calls to a standby data center's kickstart URL, by result (ok, failed: one per try that failed)", labelNames: ['service', 'datacenter', 'result'], registers });
    this.reloads = new Counter({ name: 'mooring_reloads_total', help: 'Config reloads, applied or refused', labelNames: ['result'], registers });
    this.lastReload = new Gauge({ name: 'mooring_last_reload_timestamp_seconds', help: 'When the last reload was asked for (seconds since the epoch), applied or refused; absent before the first', registers });
    this.lastReloadApplied = new Gauge({ name: 'mooring_last_reload_applied', help: 'Whether the last reload was applied (1) or refused (0); absent before the first', registers });
    registerBuildInfo(this.registry);
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
    const datacenterGauge = (name: string, help: string, value: (dc: DatacenterRow) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['service', 'datacenter'],
        registers,
        collect() {
          this.reset();
          for (const { runtime, rows: list } of rows()) {
            for (const dc of datacenterRows(runtime, list)) {
              const v = value(dc);
              if (v !== undefined) this.set({ service: dc.service, datacenter: dc.name }, v);
            }
          }
        },
      });
    datacenterGauge(
      'mooring_datacenter_up',
      'Whether a data center is UP: 1 while at least minServersUp of its servers are healthy (monitors and passive checks) and enabled, 0 below. A standby is UP while ready, whether or not it takes sessions: see mooring_datacenter_serving',
      (dc) => (dc.up ? 1 : 0),
    );
    datacenterGauge('mooring_datacenter_serving', 'Whether new sessions go to a data center now: 1 for the UP active data centers (or, after a failover, the UP standbys), 0 for the others', (dc) =>
      dc.serving ? 1 : 0,
    );
    datacenterGauge(
      'mooring_datacenter_connection_time_seconds',
      "best-connection-time: a data center's measured time to answer its probe (a moving average); absent for other modes and before the first measure",
      (dc) => (dc.connectionTimeMs === undefined ? undefined : dc.connectionTimeMs / 1000),
    );
    this.registry.registerMetric(
      countedHistogram('mooring_health_check_duration_seconds', 'Time an active health check took, by result (ok, failed; a check that timed out counts as failed, at its timeout)', CHECK_SECONDS, function* () {
        for (const runtime of runtimes()) {
          for (const [server, d] of runtime.checks.durations()) {
            for (const [result, c] of [['ok', d.ok], ['failed', d.failed]] as const) yield { labels: { service: runtime.name, server, result }, buckets: c.buckets, count: c.count, sum: c.seconds };
          }
        }
      }),
    );
    new Gauge({
      name: 'mooring_session_store_up',
      help: 'Whether the shared session store (Redis) answers: 1 yes, 0 no (sessions are then kept and counted in this process alone); absent with store type memory',
      registers,
      collect() {
        this.reset();
        const up = storeUp();
        if (up !== undefined) this.set(up ? 1 : 0);
      },
    });
  }

  /** Control-plane events that are counted. */
  readonly onEvent = (event: MooringEvent): void => {
    if (event.type === 'ejected' && event.service !== undefined && event.server !== undefined) {
      this.ejections.labels(event.service, event.server).inc();
      if (!this.ejected.has(event.service)) this.ejected.set(event.service, new Set());
      this.ejected.get(event.service)!.add(event.server);
    }
    else if (event.type === 'reload' || event.type === 'reload-refused') {
      const applied = event.type === 'reload';
      this.reloads.labels(applied ? 'applied' : 'refused').inc();
      this.lastReload.set(event.at / 1000);
      this.lastReloadApplied.set(applied ? 1 : 0);
    }
    else if ((event.type === 'failover' || event.type === 'failback') && event.service !== undefined) this.failovers.labels(event.service, event.type).inc();
    else if (((event.type === 'kickstart' && event.to === 'kicked') || event.type === 'kickstart-failed') && event.service !== undefined && event.datacenter !== undefined) {
      this.kickstarts.labels(event.service, event.datacenter, event.type === 'kickstart' ? 'ok' : 'failed').inc();
    }
  };

  /** Drops the series of servers no longer configured (after a reload). */
  prune(keep: (service: string, server: string) => boolean): void {
    for (const [service, servers] of this.ejected) {
      for (const server of servers) {
        if (keep(service, server)) continue;
        this.ejections.remove(service, server);
        servers.delete(server);
      }
    }
  }
}
