// The primary of `workers: N` as the control plane: it runs the services' health monitors once
// (not once per worker) over a topology of its own that serves no traffic, sends each verdict to
// every worker (and the current ones to a worker that starts), grants claims (one kickstart call
// per failover), and passes operator commands between workers.
import type { Worker } from 'node:cluster';
import type { Config } from '../config/schema.ts';
import { systemClock, systemRandom } from '../core/clock.ts';
import { EventLog, eventSubject } from '../core/events.ts';
import type { Logger } from '../log.ts';
import { sessionStores, type SessionStores } from '../state/stores.ts';
import { Topology } from '../topology/topology.ts';
import { isControlMessage, type ControlMessage } from './messages.ts';

export class ControlPlane {
  private readonly topology: Topology;
  private readonly claims = new Map<string, number>();
  private readonly stores: SessionStores;

  constructor(
    config: Config,
    log: Logger,
    private readonly workers: () => Iterable<Worker>,
  ) {
    const events = new EventLog();
    events.subscribe((event) => {
      log.info({ event }, `${eventSubject(event)}: ${event.type} (${event.reason})`);
      if ((event.type === 'up' || event.type === 'down') && event.service !== undefined && event.server !== undefined) {
        this.broadcast({ mooring: 'control-health', service: event.service, server: event.server, state: event.type, reason: event.reason });
      }
    });
    // Sessions are the hub's (or Redis's) business; this topology watches health. With a Redis store
    // it votes with other instances and claims kickstarts there.
    // Claims (a kickstart per failover) are granted here to workers and to this topology alike.
    const shared = sessionStores(config.store, log);
    this.stores = config.store.type === 'memory' ? { ...shared, claim: async (name, ttlMs) => this.claim(name, ttlMs) } : shared;
    this.topology = new Topology(config, { clock: systemClock, random: systemRandom }, events, { stores: this.stores });
  }

  /** The file changed: monitors follow the new config. */
  reload(config: Config): void {
    this.topology.reload(config, 0);
  }

  async stop(): Promise<void> {
    this.topology.stop();
    await this.stores.close(500);
  }

  /** A message from `from`; false when it is not for the control plane. */
  heard(from: Worker, message: unknown): boolean {
    if (!isControlMessage(message)) return false;
    if (message.mooring === 'control-hello') this.welcome(from);
    else if (message.mooring === 'control-command') this.broadcast(message, from);
    else if (message.mooring === 'control-claim') this.post(from, { mooring: 'control-claimed', id: message.id, granted: this.claim(message.name, message.ttlMs) });
    return true;
  }

  /** What the monitors have said so far, to a worker that has just started. */
  private welcome(worker: Worker): void {
    for (const handle of this.topology.handles.values()) {
      for (const server of handle.current.servers) {
        const state = handle.health.monitored(server.id);
        if (state !== 'unknown') this.post(worker, { mooring: 'control-health', service: handle.name, server: server.id, state, reason: 'the monitors\' verdict so far' });
      }
    }
  }

  private claim(name: string, ttlMs: number): boolean {
    const now = Date.now();
    if ((this.claims.get(name) ?? 0) > now) return false;
    this.claims.set(name, now + ttlMs);
    for (const [n, until] of this.claims) if (until <= now) this.claims.delete(n);
    return true;
  }

  private broadcast(message: ControlMessage, except?: Worker): void {
    for (const worker of this.workers()) if (worker !== except) this.post(worker, message);
  }

  private post(worker: Worker, message: ControlMessage): void {
    if (worker.isConnected()) worker.send(message, undefined, () => undefined);
  }
}
