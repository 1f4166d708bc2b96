// The long-lived state of one service, keyed by server id: load counters, upstream pools, sessions,
// the health table, requests waiting for room. Snapshots come and go (reload); the runtime stays,
// so what servers that remain have learned is never lost.
import { newLoad, type ServerLoad } from '../core/server.ts';
import { WaitQueue } from '../core/wait-queue.ts';
import type { HealthTable } from '../health/table.ts';
import type { PersistenceMethod } from '../persistence/types.ts';
import type { UpstreamPools } from '../upstream/pools.ts';

export class ServiceRuntime {
  private readonly loads = new Map<string, ServerLoad>();
  readonly queue = new WaitQueue();

  constructor(
    readonly name: string,
    readonly pools: UpstreamPools,
    readonly health: HealthTable,
    /** The session stores of the service's persistence method; undefined for method none. */
    readonly persistence: PersistenceMethod | undefined,
  ) {}

  /** The load counters of server `id`, the same object for every snapshot. */
  loadOf(id: string): ServerLoad {
    let load = this.loads.get(id);
    if (!load) this.loads.set(id, (load = newLoad()));
    return load;
  }

  /** Sessions bound to server `id` plus requests under way on it: what a drain waits for. */
  remaining(id: string): number {
    return (this.persistence?.sessionsOn(id) ?? 0) + (this.loads.get(id)?.inflight ?? 0);
  }
}
