// An immutable view of one service for the data plane: its servers, their balancer and policies,
// built from config; plus the runtime (load, health, sessions, pools) that outlives snapshots.
import type { Balancer, BuildEnv } from '../balancer/types.ts';
import type { Server } from '../core/server.ts';
import type { PlanView, SessionPolicy, Standing } from '../persistence/router.ts';
import type { PersistenceMethod } from '../persistence/types.ts';
import type { ServiceRuntime } from './runtime.ts';

export class ServiceSnapshot implements PlanView {
  readonly byId: ReadonlyMap<string, Server>;
  /** The method at build time: a request identifies and commits with the same one, even across a
   *  reload that replaces it. */
  readonly persistence: PersistenceMethod | undefined;

  constructor(
    readonly name: string,
    readonly servers: readonly Server[],
    readonly balancer: Balancer,
    readonly retries: number,
    readonly policy: SessionPolicy,
    readonly runtime: ServiceRuntime,
    readonly env: BuildEnv,
  ) {
    this.byId = new Map(servers.map((s) => [s.id, s]));
    this.persistence = runtime.persistence;
  }


  get health() {
    return this.runtime.health;
  }

  server(id: string): Server | undefined {
    return this.byId.get(id);
  }

  /** A request (or tunnel) starts on `server`: count it, and keep load-ordered balancers in order. */
  acquire(server: Server): void {
    server.load.inflight++;
    this.balancer.loadChanged?.(server);
    const live = this.runtime.current;
    if (live !== this) live.loadChanged(server.id);
  }

  /** The request ends: the other half of acquire(), exactly once per acquire. */
  release(server: Server): void {
    server.load.inflight--;
    this.balancer.loadChanged?.(server);
    // A request that began before a reload ends: the balancer that now picks must hear of it too.
    const live = this.runtime.current;
    if (live !== this) live.loadChanged(server.id);
  }

  /** Server `id`'s load changed outside this snapshot's own acquire/release. */
  loadChanged(id: string): void {
    const server = this.byId.get(id);
    if (server) this.balancer.loadChanged?.(server);
  }

  standing(server: Server): Standing {
    const { health } = this.runtime;
    const id = server.id;
    if (!health.acceptsExisting(id)) return health.admin(id) === 'disabled' && health.health(id) !== 'down' ? 'disabled' : 'down';
    if (health.isBackup(id) && health.primaryAvailable(server.datacenter)) return 'failback';
    if (health.admin(id) === 'draining' && health.drainMove(id, this.env.clock.now())) return 'drained';
    return 'ok';
  }

  /** May take a new session now: healthy, enabled, and below both of its limits. */
  acceptsNew(server: Server): boolean {
    return (
      this.runtime.health.acceptsNew(server.id) &&
      server.load.inflight < server.maxConnections &&
      (this.persistence === undefined || this.persistence.sessionsOn(server.id) < server.maxSessions)
    );
  }

  /** Over a limit for a session already bound to it (it counts among the sessions already). */
  overloaded(server: Server): boolean {
    return server.load.inflight >= server.maxConnections || (this.persistence !== undefined && this.persistence.sessionsOn(server.id) > server.maxSessions);
  }
}

/** A service's current snapshot; the control plane swaps `current`, requests read it once. */
export interface ServiceHandle {
  current: ServiceSnapshot;
}
