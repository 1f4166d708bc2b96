// The primary of `workers: N` as the control plane: it runs the services' health monitors once
// (not once per worker) over a topology of its own that serves no traffic, sends each verdict to
// every worker (and the current ones to a worker that starts), makes the failover decisions (and
// kickstart calls) once and sends them too, keeps the workers' shared sessions (the hub), and speaks for the whole group on
// the admin listener: operator commands are applied here and sent to every worker, a reload is
// made by every worker, and what the API shows is the group's (sessions here; requests in flight
// as the workers last reported them, within a second; traffic and metrics asked of them at once).
import type { Worker } from 'node:cluster';
import { startAdmin, type AdminListener } from '../admin/server.ts';
import { reloadSummary, type AdminControl, type ReloadOutcome } from '../admin/control.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';
import { loadConfigFileOffThread } from '../config/load-off-thread.ts';
import { unchangeable } from '../config/unchangeable.ts';
import { configChanges } from '../config/changes.ts';
import { systemClock, systemRandom } from '../core/clock.ts';
import { EventLog, eventSubject } from '../core/events.ts';
import type { Logger } from '../log.ts';
import { GroupMetrics, type MetricsJson } from '../observe/group-metrics.ts';
import { groupTraffic, type TrafficWindow } from '../observe/server-stats.ts';
import { SessionHub } from '../state/session-hub.ts';
import { sessionStores, type CommandChannel, type SessionStores } from '../state/stores.ts';
import { Operator } from '../topology/operator.ts';
import { Topology } from '../topology/topology.ts';
import { version } from '../version.ts';
import { isControlMessage, type ControlMessage, type LoadMessage } from './messages.ts';

/** How long the admin API waits for workers' figures, and for their reloads. */
const REPORT_TIMEOUT_MS = 1000;
const RELOAD_TIMEOUT_MS = 10_000;

interface WorkerReport {
  readonly traffic: readonly TrafficWindow[];
  readonly metrics: MetricsJson;
}

type Answer = { readonly kind: 'report'; readonly report: WorkerReport } | { readonly kind: 'reloaded'; readonly outcome: ReloadOutcome };

export class ControlPlane {
  private running: Config;
  private readonly topology: Topology;
  private readonly events = new EventLog();
  private readonly stores: SessionStores;
  private readonly hub: SessionHub;
  private readonly operator: Operator;
  private readonly commandListeners: ((command: string) => void)[] = [];
  /** What each worker last said of its load. */
  private readonly loads = new Map<Worker, LoadMessage>();
  /** Each worker's listeners as it reported them once started (a port 0 is known only then). */
  private readonly urls = new Map<string, string>();
  private readonly waiting = new Map<number, (worker: Worker, answer: Answer) => void>();
  private nextId = 1;
  /** The reload under way, if any: the next waits for it. */
  private reloading: Promise<unknown> = Promise.resolve();
  private readonly metrics: GroupMetrics | undefined;
  private readonly startedAt = Date.now();
  /** Each service's failover decisions as last sent to the workers (JSON). */
  private readonly decided = new Map<string, string>();
  private readonly decisionTimer: NodeJS.Timeout;
  admin: AdminListener | undefined;

  constructor(
    config: Config,
    private readonly log: Logger,
    private readonly configFile: string,
    private readonly workers: () => Iterable<Worker>,
  ) {
    this.running = config;
    this.events.subscribe((event) => {
      log.info({ event }, `${eventSubject(event)}: ${event.type} (${event.reason})`);
      if ((event.type === 'up' || event.type === 'down') && event.service !== undefined && event.server !== undefined) {
        this.broadcast({ mooring: 'control-health', service: event.service, server: event.server, state: event.type, reason: event.reason });
      }
      // Once the topology has weighed the event (it hears it after this), and after the verdict above.
      queueMicrotask(() => this.sendDecisions());
    });
    // Failback after failbackAfter is decided by time, not by an event.
    this.decisionTimer = setInterval(() => this.sendDecisions(), 1000);
    this.decisionTimer.unref();
    this.hub = new SessionHub(workers);
    // Sessions kept in memory are the hub's: this topology reads (and an operator ends) the very
    // sessions the workers share. With Redis it reads Redis, votes with other instances and claims
    // kickstarts there (one call per failover across instances).
    const shared = sessionStores(config.store, log);
    this.stores = config.store.type === 'memory' ? { ...shared, make: (ns, limits) => this.hub.storeFor(ns, limits) } : shared;
    this.topology = new Topology(config, { clock: systemClock, random: systemRandom }, this.events, { stores: this.stores });
    this.operator = new Operator(this.topology, () => Date.now());
    // Commands made here reach every worker: through Redis (each worker hears it there), or sent to each.
    const toWorkers: CommandChannel = { send: (command) => this.broadcast({ mooring: 'control-command', command }), receive: (listener) => this.commandListeners.push(listener) };
    this.operator.share(this.stores.commands ?? toWorkers, (text, why) => log.warn({ command: text.slice(0, 200), why }, 'operator command not applied by the control plane'));
    if (config.admin) {
      this.metrics = new GroupMetrics(() => this.topology.handles.values(), () => Date.now(), () => this.stores.up);
      this.events.subscribe(this.metrics.onEvent);
    }
  }

  /** Opens the admin listener, when `admin:` is configured. */
  async start(): Promise<void> {
    if (this.metrics) this.admin = await startAdmin(this.adminControl(this.metrics), this.log);
  }

  async stop(): Promise<void> {
    clearInterval(this.decisionTimer);
    await this.admin?.close();
    this.topology.stop();
    this.hub.stop();
    await this.stores.close(500);
  }

  /** A message from `from`; false when it is for no part of the control plane. */
  heard(from: Worker, message: unknown): boolean {
    if (this.hub.heard(from, message)) return true;
    if (!isControlMessage(message)) return false;
    switch (message.mooring) {
      case 'control-hello':
        this.welcome(from);
        for (const l of message.listeners) this.urls.set(l.name, l.url);
        break;
      case 'control-command':
        for (const listener of this.commandListeners) listener(message.command);
        this.broadcast(message, from);
        break;
      case 'control-load':
        this.loads.set(from, message);
        this.applyLoads();
        break;
      case 'control-ejected':
        this.topology.handles.get(message.service)?.health.eject(message.server, message.until, `${message.reason} (seen by worker ${from.process.pid})`, Date.now());
        this.broadcast(message, from);
        break;
      case 'control-report':
        this.waiting.get(message.id)?.(from, { kind: 'report', report: message });
        break;
      case 'control-reloaded':
        this.waiting.get(message.id)?.(from, { kind: 'reloaded', outcome: message.outcome });
        break;
      default:
        break;
    }
    return true;
  }

  /** A worker is gone: its load no longer counts. */
  forget(worker: Worker): void {
    this.loads.delete(worker);
    this.applyLoads();
  }

  /**
   * Reads the file again; every worker reloads it, then the control plane. Refused (nothing
   * changes here) when the file is invalid or a worker refused it; what a worker refused is said.
   */
  reload(): Promise<ReloadOutcome> {
    // One reload at a time, in the order asked: a later file never lands under an earlier one.
    const turn = this.reloading.then(() => this.reloadNow());
    this.reloading = turn.catch(() => undefined);
    return turn;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const outcome = await this.tryReload().catch((err: unknown): ReloadOutcome => {
      this.log.error({ err }, 'reload failed');
      return { applied: false, errors: [`the reload failed: ${(err as Error).message}`] };
    });
    const at = Date.now();
    if (outcome.applied) this.events.emit({ at, type: 'reload', from: 'running', to: 'reloaded', reason: reloadSummary(outcome) });
    else this.events.emit({ at, type: 'reload-refused', from: 'running', to: 'running', reason: outcome.errors.join('; ') });
    return outcome;
  }

  private async tryReload(): Promise<ReloadOutcome> {
    let next: Config;
    try {
      next = await loadConfigFileOffThread(this.configFile);
    } catch (err) {
      return { applied: false, errors: err instanceof ConfigError ? err.message.split('\n') : [(err as Error).message] };
    }
    const errors = unchangeable(this.running, next);
    if (errors.length > 0) return { applied: false, errors };
    const answers = await this.ask((id) => ({ mooring: 'control-reload', id }), RELOAD_TIMEOUT_MS);
    const refused = answers.flatMap(({ worker, answer }) => (answer.kind === 'reloaded' && !answer.outcome.applied ? answer.outcome.errors.map((e) => `worker ${worker.process.pid}: ${e}`) : []));
    if (refused.length > 0) return { applied: false, errors: refused };
    const changes = configChanges(this.running, next);
    const notes = this.topology.reload(next, 0);
    this.running = next;
    return { applied: true, changes, notes };
  }

  /** The workers' answers to a question, each waited for at most `timeoutMs`. */
  private ask(question: (id: number) => ControlMessage, timeoutMs: number): Promise<{ worker: Worker; answer: Answer }[]> {
    const targets = [...this.workers()].filter((w) => w.isConnected());
    const id = this.nextId++;
    return new Promise((resolve) => {
      const got: { worker: Worker; answer: Answer }[] = [];
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(got);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiting.set(id, (worker, answer) => {
        got.push({ worker, answer });
        if (got.length === targets.length) done();
      });
      if (targets.length === 0) return done();
      for (const w of targets) this.post(w, question(id));
    });
  }

  private async reports(): Promise<WorkerReport[]> {
    const answers = await this.ask((id) => ({ mooring: 'control-report-ask', id }), REPORT_TIMEOUT_MS);
    return answers.flatMap(({ answer }) => (answer.kind === 'report' ? [answer.report] : []));
  }

  /** Requests in flight and waiting per server, the sums of what each worker last reported. */
  private applyLoads(): void {
    const inflight = new Map<string, Map<string, number>>();
    const queued = new Map<string, Map<string, number>>();
    for (const load of this.loads.values()) {
      addUp(inflight, load.inflight);
      addUp(queued, load.queued);
    }
    for (const handle of this.topology.handles.values()) {
      const running = inflight.get(handle.name);
      for (const s of handle.current.servers) handle.loadOf(s.id).inflight = running?.get(s.id) ?? 0;
      handle.queue.setElsewhere(queued.get(handle.name) ?? new Map());
    }
  }

  private adminControl(metrics: GroupMetrics): AdminControl {
    return {
      settings: () => this.running.admin!,
      services: () => this.topology.handles,
      describeService: (name) => this.topology.describe(name),
      command: (command) => this.operator.command(command),
      reload: () => this.reload(),
      status: () => {
        const loads = [...this.loads.values()];
        return {
          version: version(),
          pid: process.pid,
          startedAt: this.startedAt,
          configFile: this.configFile,
          listeners: this.running.listeners.map((l) => ({ name: l.name, url: this.urls.get(l.name) ?? `${l.tls ? 'https' : 'http'}://${l.address.host}:${l.address.port}`, service: l.service ?? null })),
          requests: loads.reduce((n, l) => n + l.requests, 0),
          tunnels: loads.reduce((n, l) => n + l.tunnels, 0),
          workers: [...this.workers()].map((w) => ({ pid: w.process.pid ?? 0, reporting: this.loads.has(w) })),
        };
      },
      events: this.events,
      traffic: async () => groupTraffic((await this.reports()).map((r) => r.traffic), Date.now()),
      metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text((await this.reports()).map((r) => r.metrics)) }),
      now: () => Date.now(),
    };
  }

  /** What the monitors have said so far, to a worker that has just started. */
  private welcome(worker: Worker): void {
    for (const handle of this.topology.handles.values()) {
      for (const server of handle.current.servers) {
        const state = handle.health.monitored(server.id);
        if (state !== 'unknown') this.post(worker, { mooring: 'control-health', service: handle.name, server: server.id, state, reason: 'the monitors\' verdict so far' });
      }
      const decisions = handle.failover?.decisions();
      if (decisions) this.post(worker, { mooring: 'control-failover', service: handle.name, decisions });
    }
  }

  /** Each service's failover decisions that changed since last sent, to every worker. */
  private sendDecisions(): void {
    for (const handle of this.topology.handles.values()) {
      const decisions = handle.failover?.decisions();
      const text = JSON.stringify(decisions ?? null);
      if (this.decided.get(handle.name) === text) continue;
      this.decided.set(handle.name, text);
      if (decisions) this.broadcast({ mooring: 'control-failover', service: handle.name, decisions });
    }
  }

  private broadcast(message: ControlMessage, except?: Worker): void {
    for (const worker of this.workers()) if (worker !== except) this.post(worker, message);
  }

  private post(worker: Worker, message: ControlMessage): void {
    if (worker.isConnected()) worker.send(message, undefined, () => undefined);
  }
}

/** Adds a worker's [service, server, n] figures into service → server → sum. */
function addUp(sums: Map<string, Map<string, number>>, figures: readonly (readonly [string, string, number])[]): void {
  for (const [service, server, n] of figures) {
    let servers = sums.get(service);
    if (!servers) sums.set(service, (servers = new Map()));
    servers.set(server, (servers.get(server) ?? 0) + n);
  }
}
