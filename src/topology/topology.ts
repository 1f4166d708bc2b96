// Every service of the running config: builds their runtimes and snapshots, runs their housekeeping
// (session sweeps, health ticks, monitors), and on a reload swaps in new snapshots while carrying
// each runtime over by server id.
import { isDeepStrictEqual } from 'node:util';
import type { Config, ServiceConfig } from '../config/schema.ts';
import type { BuildEnv } from '../balancer/types.ts';
import type { EventLog } from '../core/events.ts';
import { HealthScheduler } from '../health/scheduler.ts';
import { InstanceVotes } from '../health/instance-votes.ts';
import { buildPersistence, storeLimits } from '../persistence/registry.ts';
import { memoryStores, type SessionStores } from '../state/stores.ts';
import type { ServiceHandle } from './service.ts';
import type { ProbeTarget } from '../gslb/latency.ts';
import { buildFailover, buildLatency, buildRuntime, configureNewKeys, failoverSettings, healthSettings, monitorsOf, poolSettings, sessionStore, swapIn, tableServers } from './services.ts';

/** How often expired sessions are swept, health timers checked, and waiting requests told that room may have appeared. */
const SWEEP_EVERY_MS = 1000;

export interface TopologyOptions {
  /** Where each service's sessions live (memory, or Redis shared with other instances). */
  readonly stores?: SessionStores;
  /** False in a worker: the primary runs the monitors and makes failover decisions (kickstarts included) once, and sends them. */
  readonly leads?: boolean;
  /** A server's maxConnections as this process may use it (a worker's share of the group's). */
  readonly connectionShare?: (limit: number) => number;
}

interface Running {
  readonly runtime: ServiceHandle;
  config: ServiceConfig;
  scheduler: HealthScheduler | undefined;
}

export class Topology {
  private readonly running = new Map<string, Running>();
  /** Each service's handle (its runtime): what listeners route to. */
  readonly handles = new Map<string, ServiceHandle>();
  private readonly timer: NodeJS.Timeout;
  private readonly stores: SessionStores;
  private readonly leads: boolean;
  private readonly share: (limit: number) => number;

  constructor(
    config: Config,
    private readonly env: BuildEnv,
    private readonly events: EventLog,
    options: TopologyOptions = {},
  ) {
    this.stores = options.stores ?? memoryStores;
    this.leads = options.leads ?? true;
    this.share = options.connectionShare ?? ((limit) => limit);
    for (const service of config.services) this.add(service, config);
    for (const r of this.running.values()) r.scheduler?.start();
    // A server changing state may change what its data center is: failover decides at once.
    events.subscribe((e) => {
      if (e.service !== undefined && e.server !== undefined) this.evaluateFailover(e.service);
    });
    this.timer = setInterval(() => this.housekeeping(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /**
   * Swaps in `config`'s services. Servers that remain keep pools, load, sessions, health and admin
   * state (unless the file changed their state); removed servers' pools finish their requests and
   * close; removed services stop. Returns what a reload could not keep, for the operator.
   */
  reload(config: Config, graceMs: number): string[] {
    const notes: string[] = [];
    const now = this.env.clock.now();
    const wanted = new Set(config.services.map((s) => s.name));
    for (const [name, r] of this.running) {
      if (wanted.has(name)) continue;
      r.scheduler?.stop();
      r.runtime.latency?.close();
      void r.runtime.upstream.close(graceMs);
      this.running.delete(name);
      this.handles.delete(name);
    }
    for (const service of config.services) {
      const r = this.running.get(service.name);
      if (!r) {
        this.add(service, config).scheduler?.start();
        continue;
      }
      notes.push(...this.carry(r, service, config, now, graceMs));
    }
    return notes;
  }

  /** One service's new snapshot over its carried runtime. */
  private carry(r: Running, service: ServiceConfig, config: Config, now: number, graceMs: number): string[] {
    const notes: string[] = [];
    const { runtime } = r;
    const before = new Map(r.config.servers.map((s) => [s.id, s.state]));
    const stateChanged = new Set(service.servers.filter((s) => before.has(s.id) && before.get(s.id) !== s.state).map((s) => s.id));
    runtime.health.reconcile(tableServers(service), healthSettings(service), stateChanged, now);
    runtime.upstream.reconcile(service.servers.map((s) => ({ id: s.id, origin: s.url, tls: s.tls })), poolSettings(service, config), graceMs);
    const ids = new Set(service.servers.map((s) => s.id));
    runtime.keepServers(ids);
    // An operator's weight stays until the file changes that server's weight (or removes it).
    const configured = new Map(r.config.servers.map((s) => [s.id, s.weight]));
    for (const s of service.servers) if (configured.get(s.id) !== s.weight) runtime.weights.delete(s.id);
    for (const id of runtime.weights.keys()) if (!ids.has(id)) runtime.weights.delete(id);
    configureNewKeys(runtime, service, this.events, this.env);
    if (!isDeepStrictEqual(r.config.persistence, service.persistence)) notes.push(...this.carrySessions(r, service));
    // The method knows the servers too (their cookie tokens, what explain calls configured): rebuilt over the new set.
    else if (!isDeepStrictEqual(r.config.servers.map((s) => s.id), service.servers.map((s) => s.id))) runtime.persistence = buildPersistence(service.persistence, service.servers.map((s) => s.id), runtime);
    r.scheduler?.stop();
    r.scheduler = this.scheduler(service, runtime);
    r.scheduler?.start();
    r.config = service;
    // Failover state carries over while the service keeps a standby; its settings follow the file.
    runtime.latency = buildLatency(service, runtime.latency);
    if (!runtime.failover) runtime.failover = buildFailover(service, this.events, this.env, this.stores, this.leads);
    else if (!service.datacenters.some((dc) => dc.standby)) runtime.failover = undefined;
    else runtime.failover.settings = failoverSettings(service);
    swapIn(service, runtime, this.env, this.share);
    this.evaluateFailover(service.name);
    return notes;
  }

  /**
   * The persistence method rebuilt over the same sessions with the new settings (a new idle timeout
   * or bound applies to sessions already there); a new method starts with no sessions, since the
   * old one's keys mean nothing to it.
   */
  private carrySessions(r: Running, service: ServiceConfig): string[] {
    const { runtime } = r;
    const limits = storeLimits(service.persistence);
    const notes: string[] = [];
    if (r.config.persistence.method === service.persistence.method) runtime.store.configure(limits);
    else {
      runtime.store.close?.();
      runtime.store = sessionStore(this.stores, service, () => runtime);
      if (r.config.persistence.method !== 'none') notes.push(`service ${service.name}: persistence method changed from ${r.config.persistence.method} to ${service.persistence.method}, so its sessions start anew (signed cookies that still verify keep their server)`);
    }
    runtime.persistence = buildPersistence(service.persistence, service.servers.map((s) => s.id), runtime);
    return notes;
  }

  /**
   * An operator's weight for one server, until a reload changes its configured weight. Rebuilds
   * the service's snapshot (balancers are built over weights); requests under way are unaffected.
   * False when the service has no such server.
   */
  setWeight(serviceName: string, id: string, weight: number): boolean {
    const r = this.running.get(serviceName);
    if (!r || !r.config.servers.some((s) => s.id === id)) return false;
    const before = r.runtime.current.server(id)?.weight;
    if (before === weight) return true;
    r.runtime.weights.set(id, weight);
    swapIn(r.config, r.runtime, this.env, this.share);
    this.events.emit({ at: this.env.clock.now(), type: 'weight', service: serviceName, server: id, from: String(before), to: String(weight), reason: 'set through the admin API' });
    return true;
  }

  /** A service's configured balancing algorithm and persistence method (undefined: no such service). */
  describe(serviceName: string): { readonly algorithm: string; readonly persistence: string } | undefined {
    const service = this.running.get(serviceName)?.config;
    return service && { algorithm: service.balance.algorithm, persistence: service.persistence.method };
  }

  private add(service: ServiceConfig, config: Config): Running {
    const runtime = buildRuntime(service, config, this.env, this.events, this.stores, this.leads);
    swapIn(service, runtime, this.env, this.share);
    const r: Running = { runtime, config: service, scheduler: this.scheduler(service, runtime) };
    this.running.set(service.name, r);
    this.handles.set(service.name, runtime);
    this.evaluateFailover(service.name);
    return r;
  }

  private scheduler(service: ServiceConfig, runtime: ServiceHandle): HealthScheduler | undefined {
    if (!this.leads) return undefined;
    const monitored = service.servers.map((s) => ({ id: s.id, origin: s.url, tls: s.tls, monitors: monitorsOf(service, s) })).filter((s) => s.monitors.length > 0);
    if (monitored.length === 0) return undefined;
    const now = () => this.env.clock.now();
    const { link } = this.stores;
    const votes = service.quorum && link ? new InstanceVotes(link, service.name, service.quorum.required, runtime.health, now) : undefined;
    return new HealthScheduler(monitored, service.monitorsRequired, runtime.health, now, this.env.random, votes, runtime.checks);
  }

  private evaluateFailover(service: string): void {
    const runtime = this.handles.get(service);
    if (runtime?.failover && runtime.current) runtime.failover.evaluate(runtime.current.failoverView(), this.env.clock.now());
  }

  private housekeeping(): void {
    const now = this.env.clock.now();
    for (const runtime of this.handles.values()) {
      if (runtime.failover) runtime.failover.evaluate(runtime.current.failoverView(), now);
      runtime.sweep(now);
      runtime.health.tick(now, (id) => runtime.remaining(id));
      if (runtime.latency) runtime.latency.tick(now, probeTargets(runtime));
      runtime.queue.wake();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    for (const r of this.running.values()) {
      r.scheduler?.stop();
      r.runtime.latency?.close();
    }
  }

  /** Closes every service's pools, waiting up to `waitMs` for requests still on them. */
  async close(waitMs?: number): Promise<void> {
    await Promise.all([...this.handles.values()].map((runtime) => runtime.upstream.close(waitMs)));
  }

  destroy(): void {
    for (const runtime of this.handles.values()) runtime.upstream.destroy();
  }
}

/** Where best-connection-time may probe each data center: its servers that take new sessions now. */
function probeTargets(runtime: ServiceHandle): ProbeTarget[] {
  const { health } = runtime;
  return runtime.current.datacenters.map((dc) => ({ name: dc.name, servers: dc.servers.filter((s) => health.acceptsNew(s.id)) }));
}
