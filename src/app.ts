// Composition root: wires listeners, services and settings from a Config; start, reload and
// graceful stop.
import type { Config, ListenerConfig } from './config/schema.ts';
import { blockListOf } from './config/fields.ts';
import { ConfigError } from './config/load.ts';
import { loadConfigFileOffThread } from './config/load-off-thread.ts';
import { unchangeable } from './config/unchangeable.ts';
import { configChanges } from './config/changes.ts';
import { systemClock, systemRandom, type Clock, type Random } from './core/clock.ts';
import { EventLog, eventSubject } from './core/events.ts';
import { createLogger, type Logger } from './log.ts';
import { GeoDatabase } from './rules/geoip.ts';
import { ListenerRouter } from './rules/router.ts';
import { Topology } from './topology/topology.ts';
import type { ServiceHandle } from './topology/service.ts';
import { Operator } from './topology/operator.ts';
import { sessionStores, type SessionStores } from './state/stores.ts';
import cluster from 'node:cluster';
import { PrimaryLink, type WorkerParts } from './cluster/primary-link.ts';
import { workerShare } from './cluster/shares.ts';
import type { Activity, ListenerContext } from './proxy/context.ts';
import { DeadlineList } from './proxy/deadlines.ts';
import { applyListenerSettings, createListener, listen, listenerFacts, type BoundListener } from './proxy/listener.ts';
import { createAccessLog, type AccessLog } from './observe/access-log.ts';
import { RecordHub, type RecordSink } from './observe/record.ts';
import { Metrics } from './observe/metrics.ts';
import { ServerStats } from './observe/server-stats.ts';
import { startAdmin, type AdminListener } from './admin/server.ts';
import { reloadSummary, type AdminControl, type ReloadOutcome } from './admin/control.ts';
import { version } from './version.ts';

export interface AppOptions {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  /** The file the config came from: what a reload without a config reads again. */
  configFile?: string;
}

export type ReloadResult = ReloadOutcome;

/** What the admin listener reads of traffic: kept only while it is configured. */
interface Observers {
  readonly stats: ServerStats;
  readonly metrics: Metrics;
}

/** Upstream calls' overall allowance: connect, then the answer's head, then a second of slack. */
function deadlineAllowance(config: Config): number {
  return config.timeouts.connect + config.timeouts.response + 1000;
}

export class App {
  private stopping: Promise<void> | undefined;
  /** The reload from the file under way, if any: the next waits for it. */
  private reloading: Promise<unknown> = Promise.resolve();
  private accessLog: AccessLog | undefined;
  /** Finished requests and tunnels, handed to the access log, statistics and metrics once per event-loop turn. */
  private readonly records = new RecordHub();
  /** The geo-IP database that country and continent rules read; undefined without geoip:. */
  private geo: GeoDatabase | undefined;
  private deadlines: DeadlineList;
  private readonly contexts = new Map<string, ListenerContext>();
  private readonly observers: Observers | undefined;
  private readonly startedAt = Date.now();
  /** The admin listener, when `admin:` is configured. */
  admin: AdminListener | undefined;
  /** Where operator commands (drain, weight, end a session, failback) are applied. */
  readonly operator: Operator;

  private constructor(
    private running: Config,
    private readonly topology: Topology,
    readonly events: EventLog,
    private readonly activity: Activity,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly configFile: string | undefined,
    private readonly stores: SessionStores,
    /** This worker's line to the primary, with `workers: N`. */
    private readonly primary: PrimaryLink | undefined,
  ) {
    this.deadlines = new DeadlineList(deadlineAllowance(running));
    this.operator = new Operator(topology, () => clock.now());
    if (stores.commands) this.operator.share(stores.commands, (text, why) => log.warn({ command: text.slice(0, 200), why }, 'operator command from another instance not applied'));
    this.accessLog = this.openAccessLog(running);
    if (running.admin) {
      const now = () => clock.now();
      const listenerFactsNow = () => this.listeners.map((b) => ({ name: b.name, ...listenerFacts(b.server) }));
      this.observers = { stats: new ServerStats(now), metrics: new Metrics(() => this.topology.handles.values(), now, () => stores.up, listenerFactsNow) };
      events.subscribe(this.observers.metrics.onEvent);
    }
    this.records.setSinks(this.sinks());
  }

  /** What observes finished requests and tunnels. */
  private sinks(): (RecordSink | undefined)[] {
    return [this.accessLog?.sink, this.observers?.stats.sink, this.observers?.metrics.sink];
  }

  readonly listeners: BoundListener[] = [];

  get config(): Config {
    return this.running;
  }

  /** Each service's handle, by name (the current set: a reload may add or remove services). */
  get services(): ReadonlyMap<string, ServiceHandle> {
    return this.topology.handles;
  }

  static async start(config: Config, options: AppOptions = {}): Promise<App> {
    const log = options.logger ?? createLogger(config.log.level, process.stdout, config.log.format);
    const events = new EventLog();
    events.subscribe((event) => {
      const level = event.type === 'reload-refused' ? 'error' : 'info';
      log[level]({ event }, `${eventSubject(event)}: ${event.type} (${event.reason})`);
    });
    const clock = options.clock ?? systemClock;
    // A worker of several: the primary runs the monitors, makes failover decisions and, without
    // Redis, shares its sessions and passes operator commands between workers.
    const inWorker = cluster.isWorker && config.workers > 1;
    const primary = inWorker ? new PrimaryLink(() => clock.now()) : undefined;
    const shared = sessionStores(config.store, log, inWorker);
    const stores: SessionStores = primary && config.store.type === 'memory' ? { ...shared, commands: primary.commands } : shared;
    const topology = new Topology(config, { clock, random: options.random ?? systemRandom }, events, { stores, leads: !inWorker, connectionShare: inWorker ? workerShare(config.workers) : undefined });
    const app = new App(config, topology, events, { requests: 0, tunnels: new Set() }, log, clock, options.configFile, stores, primary);
    try {
      app.geo = config.geoip ? GeoDatabase.open(config.geoip.database) : undefined;
      for (const listener of config.listeners) {
        const ctx = app.contextFor(listener, config);
        app.contexts.set(listener.name, ctx);
        app.listeners.push(await listen(createListener(listener, ctx), listener));
      }
      // A worker's admin is the primary's: it asks this worker for its figures.
      if (app.observers && !primary) app.admin = await startAdmin(app.adminControl(app.observers), log);
    } catch (err) {
      for (const b of app.listeners) b.server.close();
      topology.destroy();
      topology.stop();
      app.deadlines.stop();
      await stores.close(0);
      throw err;
    }
    for (const b of app.listeners) log.info({ listener: b.name, host: b.host, port: b.port }, 'listening');
    primary?.attach(app.workerParts());
    return app;
  }

  private contextFor(listener: ListenerConfig, config: Config): ListenerContext {
    return {
      listener: listener.name,
      proto: listener.tls ? 'https' : 'http',
      router: new ListenerRouter(listener.rules, this.topology.handles, listener.service === undefined ? undefined : this.topology.handles.get(listener.service)!, this.geo),
      defaultService: listener.service ?? '-',
      trusted: blockListOf(config.trustedProxies),
      trustsProxies: config.trustedProxies.length > 0,
      limits: config.limits,
      timeouts: config.timeouts,
      log: this.log.child({ listener: listener.name }),
      activity: this.activity,
      deadlines: this.deadlines,
      records: this.records.taker,
    };
  }

  /** What the primary's control plane reads and asks of this worker. */
  private workerParts(): WorkerParts {
    const observers = this.observers;
    return {
      topology: this.topology,
      events: this.events,
      listeners: this.listeners.map((b) => ({ name: b.name, url: this.url(b.name) })),
      activity: () => ({ requests: this.activity.requests, tunnels: this.activity.tunnels.size }),
      report: async () => (observers ? { traffic: observers.stats.windows(), metrics: await observers.metrics.traffic.registry.getMetricsAsJSON() } : { traffic: [], metrics: [] }),
      reload: () => this.reloadFile(),
    };
  }

  /** What the admin listener may see and do. */
  private adminControl(observers: Observers): AdminControl {
    return {
      settings: () => this.running.admin!,
      services: () => this.topology.handles,
      describeService: (name) => this.topology.describe(name),
      command: (command) => this.operator.command(command),
      reload: () => this.reloadFile(),
      status: () => ({
        version: version(),
        pid: process.pid,
        startedAt: this.startedAt,
        configFile: this.configFile,
        listeners: this.listeners.map((b) => ({ name: b.name, url: this.url(b.name), service: this.running.listeners.find((l) => l.name === b.name)!.service ?? null })),
        requests: this.activity.requests,
        tunnels: this.activity.tunnels.size,
      }),
      events: this.events,
      traffic: async () => observers.stats,
      metrics: async () => ({ contentType: observers.metrics.contentType, text: await observers.metrics.text() }),
      now: () => this.clock.now(),
    };
  }

  /**
   * Applies a new config in place, or refuses it and keeps the running one. Requests under way
   * finish on the snapshot they began with; tunnels stay up; servers that remain keep their
   * sessions, health and connections.
   */
  reload(next: Config): ReloadResult {
    let result: ReloadResult;
    try {
      result = this.tryReload(next);
    } catch (err) {
      // Whatever goes wrong, a reload never takes the running config (or the process) down with it.
      this.log.error({ err }, 'reload failed');
      result = { applied: false, errors: [`the reload failed: ${(err as Error).message}`] };
    }
    return this.said(result);
  }

  /**
   * Reads the config file again, on a worker thread (traffic goes on meanwhile), and applies it as
   * reload() does. Reloads asked for while one is under way run after it, in the order asked.
   */
  reloadFile(): Promise<ReloadResult> {
    const turn = this.reloading.then(async (): Promise<ReloadResult> => {
      if (this.stopping) return this.said({ applied: false, errors: ['Mooring is stopping'] });
      if (!this.configFile) return this.said({ applied: false, errors: ['no config file to read again (Mooring was started from a config object)'] });
      let next: Config;
      try {
        next = await loadConfigFileOffThread(this.configFile);
      } catch (err) {
        return this.said({ applied: false, errors: err instanceof ConfigError ? err.message.split('\n') : [`${this.configFile}: cannot be read as a config: ${(err as Error).message}`] });
      }
      return this.reload(next);
    });
    this.reloading = turn.catch(() => undefined);
    return turn;
  }

  /** The reload's event: what it changed, or why it was refused. */
  private said(result: ReloadResult): ReloadResult {
    const at = Date.now();
    if (result.applied) {
      this.events.emit({ at, type: 'reload', from: 'running', to: 'reloaded', reason: reloadSummary(result) });
    } else {
      this.events.emit({ at, type: 'reload-refused', from: 'running', to: 'running', reason: result.errors.join('; ') });
    }
    return result;
  }

  private tryReload(next: Config): ReloadResult {
    if (this.stopping) return { applied: false, errors: ['Mooring is stopping'] };
    const errors = unchangeable(this.running, next);
    if (errors.length > 0) return { applied: false, errors };
    // The geo-IP database is opened again at each reload (a changed file takes effect; an unchanged one is not read twice), before anything changes.
    let geo: GeoDatabase | undefined;
    try {
      geo = next.geoip ? GeoDatabase.open(next.geoip.database) : undefined;
    } catch (err) {
      return { applied: false, errors: [(err as Error).message] };
    }
    // The access log file is opened again before anything changes (one that cannot be written refuses
    // the reload): a new name takes effect, and a file renamed by log rotation starts anew.
    const reopen = next.log.access !== this.running.log.access || next.log.file !== undefined;
    let accessLog = this.accessLog;
    if (reopen) {
      try {
        accessLog = this.openAccessLog(next);
      } catch (err) {
        return { applied: false, errors: [(err as Error).message] };
      }
    }
    const tlsErrors = this.applyTls(next);
    if (tlsErrors.length > 0) {
      if (accessLog !== this.accessLog) void accessLog?.close();
      return { applied: false, errors: tlsErrors };
    }
    if (accessLog !== this.accessLog) {
      const old = this.accessLog;
      this.accessLog = accessLog;
      // Records still waiting go to the log they were made under, before it closes.
      this.records.setSinks(this.sinks());
      void old?.close();
    }
    this.geo = geo;
    const changes = configChanges(this.running, next);
    const notes = this.topology.reload(next, next.timeouts.shutdown);
    this.applySettings(next);
    this.running = next;
    const configured = (service: string, server: string) => this.topology.handles.get(service)?.current.server(server) !== undefined;
    this.observers?.stats.prune(configured);
    this.observers?.metrics.prune(configured);
    return { applied: true, changes, notes };
  }

  private openAccessLog(config: Config): AccessLog | undefined {
    if (!config.log.access) return undefined;
    return createAccessLog(config.log.file, (err) => this.log.error({ err, file: config.log.file }, `access log: cannot write (${err.message}); retried every second; lines are dropped once too much waits`));
  }

  /** Reads every TLS listener's certificate and key again (a renewed certificate takes effect). */
  private applyTls(next: Config): string[] {
    const errors: string[] = [];
    const apply: (() => void)[] = [];
    for (const l of next.listeners) {
      const bound = this.listeners.find((b) => b.name === l.name);
      if (!l.tls || !bound) continue;
      try {
        apply.push(applyListenerSettings.tls(bound.server, l.tls));
      } catch (err) {
        errors.push(`listener ${l.name}: ${(err as Error).message}`);
      }
    }
    if (errors.length === 0) for (const a of apply) a();
    return errors;
  }

  /** Process-wide settings and each listener's service, swapped in one synchronous step. */
  private applySettings(next: Config): void {
    // Only a level the file changed: a logger handed in (tests, the demo) keeps its own otherwise.
    if (next.log.level !== this.running.log.level) this.log.level = next.log.level;
    if (deadlineAllowance(next) !== this.deadlines.allowanceMs) this.deadlines = new DeadlineList(deadlineAllowance(next));
    for (const l of next.listeners) {
      const ctx = this.contexts.get(l.name)!;
      const fresh = this.contextFor(l, next);
      Object.assign(ctx, { ...fresh, log: ctx.log });
      const bound = this.listeners.find((b) => b.name === l.name);
      if (bound) applyListenerSettings.timeouts(bound.server, next.timeouts);
    }
  }

  /** The URL a listener answers on (the first listener by default). */
  url(name?: string): string {
    const b = name ? this.listeners.find((l) => l.name === name) : this.listeners[0];
    if (!b) throw new Error(`no listener named ${name}`);
    const tls = this.running.listeners.find((l) => l.name === b.name)?.tls;
    const host = b.host === '::' || b.host === '0.0.0.0' ? '127.0.0.1' : b.host.includes(':') ? `[${b.host}]` : b.host;
    return `${tls ? 'https' : 'http'}://${host}:${b.port}`;
  }

  /**
   * Graceful stop: refuse new connections at once, let requests under way finish for up to
   * `graceMs` (timeouts.shutdown by default), then close whatever is left.
   */
  stop(graceMs = this.running.timeouts.shutdown): Promise<void> {
    this.stopping ??= this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    this.log.info({ requests: this.activity.requests, tunnels: this.activity.tunnels.size, graceMs }, 'stopping');
    const closed = this.listeners.map((b) => new Promise<void>((resolve) => b.server.close(() => resolve())));
    const deadline = Date.now() + graceMs;
    while (this.activity.requests > 0 && Date.now() < deadline) {
      for (const b of this.listeners) b.server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 25));
    }
    if (this.activity.requests > 0) this.log.warn({ requests: this.activity.requests }, 'grace period over; closing requests still under way');
    for (const socket of this.activity.tunnels) socket.destroy();
    for (const b of this.listeners) b.server.closeAllConnections();
    await Promise.all(closed);
    await this.admin?.close();
    this.primary?.detach();
    this.topology.stop();
    this.deadlines.stop();
    this.records.flush();
    await this.accessLog?.close();
    await this.topology.close();
    await this.stores.close(1000);
    this.log.info('stopped');
  }
}
