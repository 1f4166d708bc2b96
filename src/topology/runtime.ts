// The long-lived state of one service, keyed by server id: load counters, upstream pools, sessions,
// the health table, requests waiting for room. Snapshots come and go (reload); the runtime stays,
// so what servers that remain have learned is never lost. It knows nothing of snapshots.
import { newLoad, type ServerLoad } from '../core/server.ts';
import { WaitQueue } from '../core/wait-queue.ts';
import type { HealthTable } from '../health/table.ts';
import { CheckLog } from '../health/check-log.ts';
import { EndedSessions } from '../persistence/ended-sessions.ts';
import { NewKeyBudget } from '../persistence/new-key-budget.ts';
import type { PersistenceMethod, SessionParts } from '../persistence/types.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { Failover } from './failover.ts';
import type { DatacenterLatency } from '../gslb/latency.ts';

export class ServiceRuntime implements SessionParts {
  private readonly loads = new Map<string, ServerLoad>();
  readonly queue = new WaitQueue();
  /** What active checks found per server: the last check, and every check's duration. */
  readonly checks = new CheckLog();
  /** Weights an operator set through the admin API, by server id, over the configured ones. */
  readonly weights = new Map<string, number>();
  /** Sessions ended early (an operator, a logout), kept whatever a reload changes. */
  readonly ended = new EndedSessions();
  /** New sessions per client address and minute with keys clients bring (header, query); the rate follows the config. */
  readonly newKeys = new NewKeyBudget(1000);
  /** Failover between data centers, for a service with a standby one. */
  failover: Failover | undefined;
  /** The data centers' measured times, for best-connection-time among several. */
  latency: DatacenterLatency | undefined;
  /** First-burst groups shared with other processes (cookie persistence), when sessions are shared. */
  bursts: SessionStore | undefined;

  constructor(
    readonly name: string,
    /** Connections to the servers, kept across reloads. */
    readonly upstream: UpstreamClient,
    readonly health: HealthTable,
    /** The sessions of the service's persistence method. A reload keeps them unless it changes the method. */
    public store: SessionStore,
  ) {}

  /** The persistence method over `store`; undefined for method none. A reload rebuilds it. */
  persistence: PersistenceMethod | undefined;

  /** Live sessions bound to server `id`. */
  sessionsOn(id: string): number {
    return this.store.countOn(id);
  }

  /** Expired sessions and ended-session marks go; the method clears its own short-lived state. */
  sweep(now: number): void {
    this.store.sweep(now);
    this.bursts?.sweep(now);
    this.ended.sweep(now);
    this.newKeys.sweep(now);
    this.persistence?.sweep?.(now);
  }

  /** The load counters of server `id`, the same object for every snapshot. */
  loadOf(id: string): ServerLoad {
    let load = this.loads.get(id);
    if (!load) this.loads.set(id, (load = newLoad()));
    return load;
  }

  /** Forgets the counters and checks of servers no longer configured (requests still on them keep the object). */
  keepServers(ids: ReadonlySet<string>): void {
    for (const id of this.loads.keys()) if (!ids.has(id)) this.loads.delete(id);
    this.checks.keep(ids);
  }

  /** Sessions bound to server `id` plus requests under way on it: what a drain waits for. */
  remaining(id: string): number {
    return this.store.countOn(id) + (this.loads.get(id)?.inflight ?? 0);
  }
}
