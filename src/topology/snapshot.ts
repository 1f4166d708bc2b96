// An immutable view of one service for the data plane: its servers, their balancer and policies,
// built from config; plus the runtime (load, health, sessions, pools) that outlives snapshots.
import type { Balancer, BuildEnv } from '../balancer/types.ts';
import type { KeySource } from '../balancer/key.ts';
import type { GslbOrder, Place } from '../gslb/types.ts';
import type { KickstartConfig } from '../config/kickstart-schema.ts';
import type { FailoverView } from './failover.ts';
import type { Server } from '../core/server.ts';
import type { PlanView, SessionPolicy, Standing } from '../persistence/router.ts';
import type { PersistenceMethod } from '../persistence/types.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { ServiceRuntime } from './runtime.ts';

/** A data center of a snapshot: its settings, its servers and the balancer built over them. */
export interface Datacenter {
  readonly name: string;
  readonly standby: boolean;
  readonly minServersUp: number;
  readonly weight: number;
  readonly kickstart: KickstartConfig | undefined;
  readonly servers: readonly Server[];
  readonly balancer: Balancer;
}

const NONE: readonly Datacenter[] = [];

export class ServiceSnapshot implements PlanView {
  readonly byId: ReadonlyMap<string, Server>;
  private readonly dcOf: ReadonlyMap<string, Datacenter>;
  private readonly active: readonly Datacenter[];
  private readonly standbys: readonly Datacenter[];
  private readonly single: Datacenter | undefined;
  /** The method at build time: a request identifies and commits with the same one, even across a
   *  reload that replaces it. */
  readonly persistence: PersistenceMethod | undefined;
  /** The store that method keeps its sessions in (their counts are what maxSessions limits). */
  private readonly sessions: SessionStore;

  constructor(
    readonly name: string,
    readonly servers: readonly Server[],
    readonly datacenters: readonly Datacenter[],
    private readonly gslb: GslbOrder,
    private readonly gslbReadsPlace: boolean,
    readonly retries: number,
    readonly policy: SessionPolicy,
    readonly runtime: ServiceRuntime,
    readonly env: BuildEnv,
  ) {
    this.byId = new Map(servers.map((s) => [s.id, s]));
    this.dcOf = new Map(datacenters.flatMap((dc) => dc.servers.map((s) => [s.id, dc] as const)));
    this.active = datacenters.filter((dc) => !dc.standby);
    this.standbys = datacenters.filter((dc) => dc.standby);
    this.single = datacenters.length === 1 ? datacenters[0] : undefined;
    this.persistence = runtime.persistence;
    this.sessions = runtime.store;
  }

  /** Where key-based algorithms read a request's key (the same algorithm in every data center). */
  get keySource(): KeySource | undefined {
    return this.datacenters[0]!.balancer.keySource;
  }

  /** UP: at least minServersUp of its servers take new sessions (its backups count while no primary does). */
  datacenterUp(dc: Datacenter): boolean {
    return this.runtime.health.servingIn(dc.name) >= dc.minServersUp;
  }

  /**
   * The data centers a new session may go to, best first: the UP active ones in the GSLB mode's
   * order, or, while none is UP, the UP standbys. `preferred` (the data center a moved client
   * leaves from) comes first while it is UP and data-center persistence is on (`always`: a routing
   * rule's data center, whatever the persistence setting).
   */
  order(preferred?: string, always = false, place?: () => Place): readonly Datacenter[] {
    // One data center (the servers: shorthand) and no geo mode: nothing to order, nothing to allocate.
    if (this.single && place === undefined) return this.datacenterUp(this.single) ? this.datacenters : NONE;
    const failover = this.runtime.failover;
    const upActive = this.active.filter((dc) => this.datacenterUp(dc));
    let up = failover ? upActive.filter((dc) => failover.admitted(dc.name)) : upActive;
    if (up.length === 0) up = this.standbys.filter((dc) => this.datacenterUp(dc));
    // No standby UP either: an active data center still waiting for failback beats no answer.
    if (up.length === 0) up = upActive;
    // Geo modes read the place even with one data center UP (geo-required may refuse it).
    const ordered = up.length < 2 && place === undefined ? up : (this.gslb.order(up, place) as readonly Datacenter[]);
    if (preferred === undefined || (!always && !this.policy.datacenterPersistence) || ordered[0]?.name === preferred) return ordered;
    const home = ordered.find((dc) => dc.name === preferred);
    return home ? [home, ...ordered.filter((dc) => dc !== home)] : ordered;
  }

  /** Geo-required: no data center serves the client's place at all. */
  refuses(place: () => Place): boolean {
    return this.gslb.refuses?.(place) ?? false;
  }

  /** Whether the GSLB mode reads the client's place (a geo mode). */
  get readsPlace(): boolean {
    return this.gslbReadsPlace;
  }

  /** What the failover controller reads: each active data center UP or not, and the standbys. */
  failoverView(): FailoverView {
    return {
      active: this.active.map((dc) => ({ name: dc.name, up: this.datacenterUp(dc) })),
      standbys: this.standbys.map((dc) => ({ name: dc.name, kickstart: dc.kickstart })),
    };
  }

  datacenterOf(serverId: string): Datacenter | undefined {
    return this.dcOf.get(serverId);
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
    this.dcOf.get(server.id)?.balancer.loadChanged?.(server);
    const live = this.runtime.current;
    if (live !== this) live.loadChanged(server.id);
  }

  /** The request ends: the other half of acquire(), exactly once per acquire. */
  release(server: Server): void {
    server.load.inflight--;
    this.dcOf.get(server.id)?.balancer.loadChanged?.(server);
    // A request that began before a reload ends: the balancer that now picks must hear of it too.
    const live = this.runtime.current;
    if (live !== this) live.loadChanged(server.id);
  }

  /** Server `id`'s load changed outside this snapshot's own acquire/release. */
  loadChanged(id: string): void {
    const server = this.byId.get(id);
    if (server) this.dcOf.get(id)?.balancer.loadChanged?.(server);
  }

  standing(server: Server): Standing {
    const { health } = this.runtime;
    const id = server.id;
    if (!health.acceptsExisting(id)) return health.admin(id) === 'disabled' && health.health(id) !== 'down' ? 'disabled' : 'down';
    if (health.isBackup(id) && health.primaryAvailable(server.datacenter)) return 'failback';
    // Its data center fell below minServersUp while another is UP: the session follows the failover.
    const dc = this.dcOf.get(id);
    if (dc && this.datacenters.length > 1 && !this.datacenterUp(dc) && this.order().length > 0) return 'failover';
    // Failed back with failbackSessions: move: standby sessions return to an admitted active data center.
    if (dc?.standby && this.policy.failbackSessions === 'move' && this.order()[0]?.standby === false) return 'failback';
    if (health.admin(id) === 'draining' && health.drainMove(id, this.env.clock.now())) return 'drained';
    return 'ok';
  }

  /** May take a new session now: healthy, enabled, and below both of its limits. */
  acceptsNew(server: Server): boolean {
    return (
      this.runtime.health.acceptsNew(server.id) &&
      server.load.inflight < server.maxConnections &&
      (this.persistence === undefined || this.sessions.countOn(server.id) < server.maxSessions)
    );
  }

  /** Over a limit for a session already bound to it (it counts among the sessions already). */
  overloaded(server: Server): boolean {
    return server.load.inflight >= server.maxConnections || (this.persistence !== undefined && this.sessions.countOn(server.id) > server.maxSessions);
  }
}

/** A service's current snapshot; the control plane swaps `current`, requests read it once. */
export interface ServiceHandle {
  current: ServiceSnapshot;
}
