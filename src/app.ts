// Composition root: wires listeners, services and settings from a Config; start and graceful stop.
import type { Config } from './config/schema.ts';
import { blockListOf } from './config/fields.ts';
import { systemClock, systemRandom, type Clock, type Random } from './core/clock.ts';
import { EventLog } from './core/events.ts';
import { createLogger, type Logger } from './log.ts';
import { buildServices } from './topology/services.ts';
import type { ServiceHandle } from './topology/snapshot.ts';
import type { Activity, ListenerContext } from './proxy/context.ts';
import { DeadlineList } from './proxy/deadlines.ts';
import { createListener, listen, type BoundListener } from './proxy/listener.ts';
import { createAccessLog } from './observe/access-log.ts';

export interface AppOptions {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
}

export class App {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: Config,
    readonly listeners: readonly BoundListener[],
    readonly services: ReadonlyMap<string, ServiceHandle>,
    readonly events: EventLog,
    private readonly activity: Activity,
    private readonly log: Logger,
    private readonly stopTimers: () => void,
  ) {}

  static async start(config: Config, options: AppOptions = {}): Promise<App> {
    const log = options.logger ?? createLogger(config.log.level);
    const events = new EventLog();
    events.subscribe((event) => log.info({ event }, `${event.service}/${event.server}: ${event.type} (${event.reason})`));
    const built = buildServices(config, { clock: options.clock ?? systemClock, random: options.random ?? systemRandom }, events);
    const services = built.handles;
    const activity: Activity = { requests: 0, tunnels: new Set() };
    const { connect, response } = config.timeouts;
    const deadlines = new DeadlineList(connect + response + 1000);
    const trusted = blockListOf(config.trustedProxies);
    const accessLog = config.log.access ? createAccessLog(config.log.file) : undefined;
    const bound: BoundListener[] = [];
    try {
      for (const listener of config.listeners) {
        const ctx: ListenerContext = {
          listener: listener.name,
          proto: listener.tls ? 'https' : 'http',
          service: services.get(listener.service)!,
          trusted,
          trustsProxies: config.trustedProxies.length > 0,
          limits: config.limits,
          timeouts: config.timeouts,
          log: log.child({ listener: listener.name }),
          activity,
          deadlines,
          records: accessLog?.sink,
        };
        bound.push(await listen(createListener(listener, ctx), listener));
      }
    } catch (err) {
      for (const b of bound) b.server.close();
      for (const s of services.values()) s.current.runtime.pools.destroy();
      built.stop();
      deadlines.stop();
      throw err;
    }
    for (const b of bound) log.info({ listener: b.name, host: b.host, port: b.port }, 'listening');
    const stopTimers = () => {
      built.stop();
      deadlines.stop();
      accessLog?.flush();
    };
    return new App(config, bound, services, events, activity, log, stopTimers);
  }

  /** The URL a listener answers on (the first listener by default). */
  url(name?: string): string {
    const b = name ? this.listeners.find((l) => l.name === name) : this.listeners[0];
    if (!b) throw new Error(`no listener named ${name}`);
    const tls = this.config.listeners.find((l) => l.name === b.name)?.tls;
    const host = b.host === '::' || b.host === '0.0.0.0' ? '127.0.0.1' : b.host.includes(':') ? `[${b.host}]` : b.host;
    return `${tls ? 'https' : 'http'}://${host}:${b.port}`;
  }

  /**
   * Graceful stop: refuse new connections at once, let requests under way finish for up to
   * `graceMs` (timeouts.shutdown by default), then close whatever is left.
   */
  stop(graceMs = this.config.timeouts.shutdown): Promise<void> {
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
    this.stopTimers();
    await Promise.all([...this.services.values()].map((s) => s.current.runtime.pools.close()));
    this.log.info('stopped');
  }
}
