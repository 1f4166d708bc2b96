// A service as requests see it: its snapshot (the config's value) joined with its runtime's live
// state (health, sessions, failover, load). Every live decision is here, a function of those two:
// is a data center UP, in which order do new sessions try them, where does a pinned server stand,
// may a server take a new session. Built once per snapshot swap; a request reads it once.
import type { Server } from '../core/server.ts';
import type { FailoverView } from './failover.ts';
import type { Place } from '../gslb/types.ts';
import type { PlanView, Standing } from '../persistence/router.ts';
import type { PersistenceMethod } from '../persistence/types.ts';
import type { SessionStore } from '../state/session-store.ts';
import { ServiceRuntime } from './runtime.ts';
import type { Datacenter, ServiceSnapshot } from './snapshot.ts';

const NONE: readonly Datacenter[] = [];

export class Service implements PlanView {
  /** The method at build time: a request identifies and commits with the same one, even across a
   *  reload that replaces it. */
  readonly persistence: PersistenceMethod | undefined;
  /** The store that method keeps its sessions in (their counts are what maxSessions limits). */
  readonly sessions: SessionStore;

  constructor(
    readonly snapshot: ServiceSnapshot,
    readonly runtime: ServiceHandle,
  ) {
    this.persistence = runtime.persistence;
    this.sessions = runtime.store;
  }

  get name() { return this.snapshot.name; }
  get servers() { return this.snapshot.servers; }
  get datacenters() { return this.snapshot.datacenters; }
  get retries() { return this.snapshot.retries; }
  get retryOnTimeout() { return this.snapshot.retryOnTimeout; }
  get policy() { return this.snapshot.policy; }
  get env() { return this.snapshot.env; }
  get keySource() { return this.snapshot.keySource; }
  get readsPlace() { return this.snapshot.readsPlace; }
  get health() { return this.runtime.health; }

  server(id: string): Server | undefined {
    return this.snapshot.byId.get(id);
  }

  datacenterOf(serverId: string): Datacenter | undefined {
    return this.snapshot.datacenterOf(serverId);
  }

  refuses(place: () => Place): boolean {
    return this.snapshot.refuses(place);
  }

  /** UP: at least minServersUp of its servers take new sessions (its backups count while no primary does). */
  datacenterUp(dc: Datacenter): boolean {
    return this.runtime.health.servingIn(dc.name) >= dc.minServersUp;
  }

  /**
   * The data centers a new session may go to, best first: the UP active ones in the GSLB mode's
   * order, or, while none is UP, the UP standbys. `preferred` (the data center a moved client
   * leaves from) comes first while it is UP and data-center persistence is on (`always`: a routing
   * rule's data center, whatever the persistence setting). `unreachable`: data centers a request
   * found refusing its connections, which it counts as down (its retries go on to a standby).
   */
  order(preferred?: string, always = false, place?: () => Place, unreachable?: ReadonlySet<string>): readonly Datacenter[] {
    const { single, active, standbys, gslb, policy } = this.snapshot;
    const up = (dc: Datacenter) => this.datacenterUp(dc) && !unreachable?.has(dc.name);
    // One data center (the servers: shorthand) and no geo mode: nothing to order, nothing to allocate.
    if (single && place === undefined) return up(single) ? this.snapshot.datacenters : NONE;
    const failover = this.runtime.failover;
    const upActive = active.filter(up);
    let serving = failover ? upActive.filter((dc) => failover.admitted(dc.name)) : upActive;
    if (serving.length === 0) serving = standbys.filter(up);
    // No standby UP either: an active data center still waiting for failback beats no answer.
    if (serving.length === 0) serving = upActive;
    // Geo modes read the place even with one data center UP (geo-required may refuse it).
    const ordered = serving.length < 2 && place === undefined ? serving : (gslb.order(serving, place) as readonly Datacenter[]);
    if (preferred === undefined || (!always && !policy.datacenterPersistence) || ordered[0]?.name === preferred) return ordered;
    const home = ordered.find((dc) => dc.name === preferred);
    return home ? [home, ...ordered.filter((dc) => dc !== home)] : ordered;
  }

  /** What the failover controller reads: each active data center UP or not, and the standbys. */
  failoverView(): FailoverView {
    return {
      active: this.snapshot.active.map((dc) => ({ name: dc.name, up: this.datacenterUp(dc) })),
      standbys: this.snapshot.standbys.map((dc) => ({ name: dc.name, kickstart: dc.kickstart })),
    };
  }

  /** A request (or tunnel) starts on `server`: count it, and keep load-ordered balancers in order. */
  acquire(server: Server): void {
    server.load.inflight++;
    this.loadChanged(server.id, server);
  }

  /** The request ends: the other half of acquire(), exactly once per acquire. */
  release(server: Server): void {
    server.load.inflight--;
    this.loadChanged(server.id, server);
  }

  /** Server `id`'s load changed: this snapshot's balancer hears it, and the live one's, if a reload
   *  swapped in another since the request began. */
  private loadChanged(id: string, server: Server): void {
    this.snapshot.datacenterOf(id)?.balancer.loadChanged?.(server);
    const live = this.runtime.current;
    if (live === this) return;
    const now = live.snapshot.byId.get(id);
    if (now) live.snapshot.datacenterOf(id)?.balancer.loadChanged?.(now);
  }

  standing(server: Server): Standing {
    const { health } = this.runtime;
    const id = server.id;
    if (!health.acceptsExisting(id)) {
      if (health.admin(id) === 'disabled' && health.health(id) !== 'down') return 'disabled';
      // Down with its whole data center (its servers died, or it fell below minServersUp): a failover.
      return this.datacenterFailedOver(id) ? 'failover' : 'down';
    }
    if (health.isBackup(id) && health.primaryAvailable(server.datacenter)) return 'failback';
    if (this.datacenterFailedOver(id)) return 'failover';
    const dc = this.snapshot.datacenterOf(id);
    // Failed back with failbackSessions: move: standby sessions return to an admitted active data center.
    if (dc?.standby && this.snapshot.policy.failbackSessions === 'move' && this.order()[0]?.standby === false) return 'failback';
    if (health.admin(id) === 'draining' && health.drainMove(id, this.snapshot.env.clock.now())) return 'drained';
    return 'ok';
  }

  /** Server `id`'s data center is down while another takes new sessions: its sessions follow the failover. */
  private datacenterFailedOver(id: string): boolean {
    const dc = this.snapshot.datacenterOf(id);
    return dc !== undefined && this.snapshot.datacenters.length > 1 && !this.datacenterUp(dc) && this.order().length > 0;
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

/** A service's handle, what listeners route to: its runtime, plus the Service requests use now
 *  (the control plane swaps `current`; a request reads it once and keeps it to the end). */
export class ServiceHandle extends ServiceRuntime {
  current!: Service;
}
