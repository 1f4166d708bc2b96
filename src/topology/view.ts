// What the control plane shows of a service's servers (admin API, dashboard, metrics): one row per
// server, read from the runtime and the current snapshot; nothing here changes state.
import type { ServerHealth } from '../health/table.ts';
import type { LastCheck } from '../health/check-log.ts';
import type { ServiceHandle } from './service.ts';

export interface ServerRow extends ServerHealth {
  readonly service: string;
  readonly id: string;
  readonly url: string;
  readonly datacenter: string;
  readonly backup: boolean;
  readonly weight: number;
  /** Requests (and tunnels) under way on it now. */
  readonly inflight: number;
  /** Live sessions bound to it (0 for persistence none). */
  readonly sessions: number;
  /** Sessions and requests a drain still waits for. */
  readonly remaining: number;
  /** Requests waiting for room on it (onOverload: queue). */
  readonly queued: number;
  /** Its last active check; undefined: none yet (or no monitor). */
  readonly lastCheck: LastCheck | undefined;
}

export function serverRows(runtime: ServiceHandle, now: number): ServerRow[] {
  const snapshot = runtime.current;
  return snapshot.servers.map((s) => ({
    service: runtime.name,
    id: s.id,
    url: s.url,
    datacenter: s.datacenter,
    backup: runtime.health.isBackup(s.id),
    weight: s.weight,
    inflight: s.load.inflight,
    sessions: runtime.sessionsOn(s.id),
    remaining: runtime.remaining(s.id),
    queued: runtime.queue.countFor(s.id),
    lastCheck: runtime.checks.lastOf(s.id),
    ...runtime.health.describe(s.id, now),
    // Healthy and enabled is not enough: a server at its maxSessions or maxConnections takes no new session either.
    acceptsNew: snapshot.acceptsNew(s),
  }));
}

/** A data center of a service: UP while at least minServersUp of its servers take new sessions. */
export interface DatacenterRow {
  readonly service: string;
  readonly name: string;
  readonly up: boolean;
  readonly standby: boolean;
  /** Whether new sessions go to it now (an UP active one, or an UP standby while no active one is). */
  readonly serving: boolean;
  readonly minServersUp: number;
  readonly servers: number;
  readonly eligible: number;
  /** best-connection-time: its time to answer (ms, rounded to 0.1) and whether it is among the fastest; undefined when the service does not measure. */
  readonly connectionTimeMs: number | undefined;
  readonly fastest: boolean | undefined;
}

export function datacenterRows(runtime: ServiceHandle, rows: readonly ServerRow[]): DatacenterRow[] {
  const snapshot = runtime.current;
  const serving = new Set(snapshot.order().map((dc) => dc.name));
  const latency = runtime.latency;
  return snapshot.datacenters.map((dc) => {
    const mine = rows.filter((r) => r.datacenter === dc.name);
    return {
      service: runtime.name,
      name: dc.name,
      up: snapshot.datacenterUp(dc),
      standby: dc.standby,
      serving: serving.has(dc.name),
      minServersUp: dc.minServersUp,
      servers: mine.length,
      // As `up` counts them: servers healthy and enabled, whatever their load.
      eligible: mine.filter((r) => runtime.health.acceptsNew(r.id)).length,
      connectionTimeMs: latency && round(latency.score(dc.name)),
      fastest: latency?.isFastest(dc.name),
    };
  });
}

const round = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms * 10) / 10);
