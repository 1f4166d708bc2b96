// `mooring simulate`: what a change of servers would do to N sessions, computed with the service's
// own balancer and persistence rules, before it is made. Sessions are placed one after another on
// idle servers (load-aware algorithms see no requests in flight), within each server's maxSessions.
import type { ServiceConfig } from '../config/schema.ts';
import { balancerFactory } from '../balancer/registry.ts';
import type { Balancer } from '../balancer/types.ts';
import { seededRandom, systemClock } from '../core/clock.ts';
import { newLoad, type Server } from '../core/server.ts';

export type ChangeKind = 'remove' | 'add' | 'drain';

export interface Change {
  readonly kind: ChangeKind;
  readonly server: string;
}

export interface ServerOutcome {
  readonly id: string;
  /** Sessions on it before and after the change (after is undefined for a removed server). */
  readonly before: number;
  readonly after: number | undefined;
  /** Share of new sessions it takes after the change, 0…1. */
  readonly newShare: number;
}

export interface Simulation {
  readonly service: string;
  readonly algorithm: string;
  readonly persistence: string;
  /** Whether a session stays on its server (a persistence method keeps it) or is placed anew by the balancer's key. */
  readonly pinned: boolean;
  readonly sessions: number;
  readonly change: Change;
  readonly servers: ServerOutcome[];
  /** Sessions whose server changed. */
  readonly moved: number;
  /** Sessions that found no server with room (maxSessions), before and after. */
  readonly unplaced: { readonly before: number; readonly after: number };
}

export class SimulationError extends Error {}

function server(id: string, weight: number, maxSessions: number): Server {
  return { id, url: `simulated://${id}`, origin: `simulated://${id}`, weight, datacenter: 'default', maxConnections: Infinity, maxSessions, load: newLoad() };
}

/** The servers that take sessions: enabled primaries (backups only serve when no primary does). */
function primaries(service: ServiceConfig): Server[] {
  return service.servers.filter((s) => s.state !== 'disabled' && !s.backup).map((s) => server(s.id, s.weight, s.maxSessions ?? Infinity));
}

class Placement {
  readonly counts = new Map<string, number>();
  private readonly balancer: Balancer;

  constructor(
    service: ServiceConfig,
    readonly servers: readonly Server[],
    private readonly closed: ReadonlySet<string> = new Set(),
  ) {
    const factory = balancerFactory(service.balance.algorithm)!;
    this.balancer = factory.build(servers, service.balance.options, { random: seededRandom(1), clock: systemClock });
    for (const s of servers) this.counts.set(s.id, 0);
  }

  /** The server a session with `key` would be placed on now, counted; undefined when none has room. */
  place(key: string): string | undefined {
    const picked = this.balancer.pick({
      key,
      attempt: 0,
      eligible: (s) => !this.closed.has(s.id) && this.counts.get(s.id)! < s.maxSessions,
      weightFactor: () => 1,
    });
    if (picked) this.keep(picked.id);
    return picked?.id;
  }

  keep(id: string): void {
    this.counts.set(id, this.counts.get(id)! + 1);
  }
}

const NEW_SAMPLE = 10_000;

export function simulate(service: ServiceConfig, sessions: number, change: Change): Simulation {
  const before = primaries(service);
  const known = new Set(service.servers.map((s) => s.id));
  if (change.kind === 'add' && known.has(change.server)) throw new SimulationError(`--add ${change.server}: service ${service.name} already has a server ${change.server}`);
  if (change.kind !== 'add' && !before.some((s) => s.id === change.server)) {
    const why = known.has(change.server) ? 'is disabled or a backup, so it holds no sessions' : 'is not a server of it';
    throw new SimulationError(`--${change.kind} ${change.server}: in service ${service.name}, ${change.server} ${why} (servers: ${before.map((s) => s.id).join(', ')})`);
  }
  if (before.length === 0) throw new SimulationError(`service ${service.name} has no enabled primary server`);

  const pinned = service.persistence.method !== 'none';
  const first = new Placement(service, before);
  const keys = Array.from({ length: sessions }, (_, i) => `session-${i}`);
  const home = keys.map((k) => first.place(k));

  const afterServers =
    change.kind === 'remove' ? before.filter((s) => s.id !== change.server).map((s) => server(s.id, s.weight, s.maxSessions))
    : change.kind === 'add' ? [...before.map((s) => server(s.id, s.weight, s.maxSessions)), server(change.server, 1, Infinity)]
    : before.map((s) => server(s.id, s.weight, s.maxSessions));
  const closed = change.kind === 'drain' ? new Set([change.server]) : new Set<string>();
  if (afterServers.length === 0) throw new SimulationError(`--remove ${change.server} leaves service ${service.name} with no server`);
  const next = new Placement(service, afterServers, closed);

  // A pinned session stays where it is unless its server is gone (a drain keeps its sessions);
  // without persistence, each session goes wherever the balancer sends its key now.
  const stays = (id: string | undefined) => pinned && id !== undefined && !(change.kind === 'remove' && id === change.server);
  const where = home.map((h) => {
    if (!stays(h)) return undefined;
    next.keep(h!);
    return h;
  });
  keys.forEach((k, i) => {
    if (!stays(home[i])) where[i] = next.place(k);
  });
  const moved = keys.filter((_, i) => home[i] !== undefined && where[i] !== home[i]).length;

  // Where new sessions would go after the change, on a fresh placement (room as configured).
  const fresh = new Placement(service, afterServers.map((s) => server(s.id, s.weight, Infinity)), closed);
  const taken = new Map<string, number>();
  for (let i = 0; i < NEW_SAMPLE; i++) {
    const id = fresh.place(`new-${i}`);
    if (id !== undefined) taken.set(id, (taken.get(id) ?? 0) + 1);
  }

  const ids = [...before.map((s) => s.id), ...(change.kind === 'add' ? [change.server] : [])];
  return {
    service: service.name,
    algorithm: service.balance.algorithm,
    persistence: service.persistence.method,
    pinned,
    sessions,
    change,
    servers: ids.map((id) => ({
      id,
      before: first.counts.get(id) ?? 0,
      after: next.counts.get(id),
      newShare: (taken.get(id) ?? 0) / NEW_SAMPLE,
    })),
    moved,
    unplaced: { before: home.filter((h) => h === undefined).length, after: where.filter((w) => w === undefined).length },
  };
}
