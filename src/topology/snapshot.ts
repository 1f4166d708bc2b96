// An immutable view of one service for the data plane: servers, their balancer, persistence and
// policies; plus the service's mutable state (server statuses, requests waiting for room).
import type { Balancer } from '../balancer/types.ts';
import type { Server, ServerStatus } from '../core/server.ts';
import type { UpstreamPools } from '../proxy/forwarder.ts';
import type { WaitQueue } from '../proxy/wait-queue.ts';
import type { PersistenceConfig } from '../persistence/schema.ts';
import type { PersistenceMethod } from '../persistence/types.ts';

export interface SessionPolicy {
  readonly onOverload: PersistenceConfig['onOverload'];
  readonly strict: boolean;
  readonly debugHeader: boolean;
}

export class ServiceSnapshot {
  readonly byId: ReadonlyMap<string, Server>;

  constructor(
    readonly name: string,
    readonly servers: readonly Server[],
    readonly balancer: Balancer,
    readonly retries: number,
    readonly pools: UpstreamPools,
    /** Undefined for method none. */
    readonly persistence: PersistenceMethod | undefined,
    readonly policy: SessionPolicy,
    /** Server id → status; servers not listed are up. Shared with the control plane. */
    readonly statuses: Map<string, ServerStatus>,
    readonly queue: WaitQueue,
  ) {
    this.byId = new Map(servers.map((s) => [s.id, s]));
  }

  /** A request (or tunnel) starts on `server`: count it, and keep load-ordered balancers in order. */
  acquire(server: Server): void {
    server.load.inflight++;
    this.balancer.loadChanged?.(server);
  }

  /** The request ends: the other half of acquire(), exactly once per acquire. */
  release(server: Server): void {
    server.load.inflight--;
    this.balancer.loadChanged?.(server);
  }

  status(server: Server): ServerStatus {
    return this.statuses.get(server.id) ?? 'up';
  }

  /** May take requests of sessions already bound to it (up or draining). */
  isAvailable(server: Server): boolean {
    const status = this.status(server);
    return status === 'up' || status === 'draining';
  }

  /** May take a new session now: up, and below both of its limits. */
  acceptsNew(server: Server): boolean {
    return (
      this.status(server) === 'up' &&
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
