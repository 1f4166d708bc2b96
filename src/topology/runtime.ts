// The long-lived state of one service, keyed by server id: load counters, upstream pools, sessions,
// the health table, requests waiting for room. Snapshots come and go (reload); the runtime stays,
// so what servers that remain have learned is never lost. It is also the service's handle: requests
// read `current` once and keep that snapshot to the end.
import { newLoad, type ServerLoad } from '../core/server.ts';
import { WaitQueue } from '../core/wait-queue.ts';
import type { HealthTable } from '../health/table.ts';
import type { PersistenceMethod } from '../persistence/types.ts';
import type { UpstreamPools } from '../upstream/pools.ts';
import type { ServiceHandle, ServiceSnapshot } from './snapshot.ts';
import type { Failover } from './failover.ts';

export class ServiceRuntime implements ServiceHandle {
  private readonly loads = new Map<string, ServerLoad>();
  readonly queue = new WaitQueue();
  /** Weights an operator set through the admin API, by server id, over the configured ones. */
  readonly weights = new Map<string, number>();
  /** Failover between data centers, for a service with a standby one. */
  failover: Failover | undefined;
  /** The snapshot new requests use; set once built, swapped by a reload. */
  current!: ServiceSnapshot;

  constructor(
    readonly name: string,
    readonly pools: UpstreamPools,
    readonly health: HealthTable,
    /** The session stores of the service's persistence method; undefined for method none. A reload
     *  that changes the persistence settings replaces it. */
    public persistence: PersistenceMethod | undefined,
  ) {}

  /** The load counters of server `id`, the same object for every snapshot. */
  loadOf(id: string): ServerLoad {
    let load = this.loads.get(id);
    if (!load) this.loads.set(id, (load = newLoad()));
    return load;
  }

  /** Forgets the counters of servers no longer configured (requests still on them keep the object). */
  keepLoads(ids: ReadonlySet<string>): void {
    for (const id of this.loads.keys()) if (!ids.has(id)) this.loads.delete(id);
  }

  /** Sessions bound to server `id` plus requests under way on it: what a drain waits for. */
  remaining(id: string): number {
    return (this.persistence?.sessionsOn(id) ?? 0) + (this.loads.get(id)?.inflight ?? 0);
  }
}
