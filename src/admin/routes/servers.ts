// Services, data centers and servers: what each is doing now, and an operator's changes to a
// server (admin state, weight).
import type { AdminState } from '../../health/table.ts';
import { adminStates } from '../../health/schema.ts';
import type { TrafficView } from '../../observe/server-stats.ts';
import { datacenterRows, serverRows, type ServerRow } from '../../topology/view.ts';
import { AdminError, readJsonObject, sendJson } from '../http.ts';
import { serviceWithServer, servicesOf, type Route, type RouteContext } from './route.ts';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function serverJson(view: TrafficView, row: ServerRow) {
  const traffic = view.of(row.service, row.id);
  return {
    service: row.service,
    id: row.id,
    url: row.url,
    datacenter: row.datacenter,
    backup: row.backup,
    state: row.admin,
    health: row.health,
    healthSince: iso(row.healthSince),
    lastCheck: row.lastCheck ? { at: iso(row.lastCheck.at), ok: row.lastCheck.ok, monitor: row.lastCheck.monitor, detail: row.lastCheck.detail, durationMs: Math.round(row.lastCheck.ms * 10) / 10 } : null,
    acceptsNewSessions: row.acceptsNew,
    ejectedUntil: iso(row.ejectedUntil),
    weight: row.weight,
    slowStartFactor: row.weightFactor,
    sessions: row.sessions,
    inflight: row.inflight,
    queued: row.queued,
    requestsPerSecond: traffic.rps,
    bytesInPerSecond: Math.round(traffic.bytesInPerSecond),
    bytesOutPerSecond: Math.round(traffic.bytesOutPerSecond),
    errorRate: traffic.errorRate,
    p50Ms: traffic.p50 ?? null,
    p99Ms: traffic.p99 ?? null,
    drain: row.admin === 'draining' ? { since: iso(row.drainingSince), remaining: row.remaining, done: row.drained } : null,
  };
}

function rows(ctx: RouteContext): ServerRow[] {
  return servicesOf(ctx).flatMap((r) => serverRows(r, ctx.control.now()));
}

const listServers: Route = {
  method: 'GET',
  path: /^\/api\/v1\/servers$/,
  access: 'token',
  async handle(ctx) {
    const traffic = await ctx.control.traffic();
    sendJson(ctx.res, 200, { servers: rows(ctx).map((row) => serverJson(traffic, row)) });
  },
};

const listServices: Route = {
  method: 'GET',
  path: /^\/api\/v1\/services$/,
  access: 'token',
  async handle(ctx) {
    const view = await ctx.control.traffic();
    const services = servicesOf(ctx).map((runtime) => {
      const list = serverRows(runtime, ctx.control.now());
      const traffic = list.map((row) => view.of(row.service, row.id));
      const described = ctx.control.describeService(runtime.name);
      return {
        name: runtime.name,
        algorithm: described?.algorithm,
        persistence: described?.persistence,
        up: list.some((r) => r.acceptsNew),
        // Degraded: it serves, but some of its servers are down or disabled.
        state: !list.some((r) => r.acceptsNew) ? 'down' : list.some((r) => r.health === 'down' || r.admin === 'disabled') ? 'degraded' : 'up',
        servers: list.length,
        eligible: list.filter((r) => r.acceptsNew).length,
        sessions: list.reduce((n, r) => n + r.sessions, 0),
        inflight: list.reduce((n, r) => n + r.inflight, 0),
        requestsPerSecond: traffic.reduce((n, t) => n + t.rps, 0),
      };
    });
    sendJson(ctx.res, 200, { services });
  },
};

const listDatacenters: Route = {
  method: 'GET',
  path: /^\/api\/v1\/datacenters$/,
  access: 'token',
  handle(ctx) {
    const datacenters = servicesOf(ctx).flatMap((runtime) =>
      datacenterRows(runtime, serverRows(runtime, ctx.control.now())).map((dc) => {
        const waiting = runtime.failover?.waiting().find((w) => w.datacenter === dc.name);
        return {
          service: dc.service,
          name: dc.name,
          state: dc.up ? 'up' : 'down',
          role: dc.standby ? 'standby' : 'active',
          serving: dc.serving,
          minServersUp: dc.minServersUp,
          servers: dc.servers,
          eligible: dc.eligible,
          // best-connection-time: its measured time to answer, and whether it is among the fastest now.
          connectionTimeMs: dc.connectionTimeMs ?? null,
          fastest: dc.fastest ?? null,
          // An active data center UP again after a failover, not yet failed back to; and when it will be (null: manual failback).
          waitingForFailbackSince: iso(waiting?.upSince),
          failbackAt: waiting && runtime.failover?.settings.failback === 'auto' ? iso(waiting.upSince + runtime.failover.settings.failbackAfter) : null,
          failovers: (runtime.failover?.history ?? []).filter((h) => h.datacenter === dc.name).map((h) => ({ at: iso(h.at), kind: h.kind, reason: h.reason })),
        };
      }),
    );
    sendJson(ctx.res, 200, { datacenters });
  },
};

const STATES = new Set<string>(adminStates);

const patchServer: Route = {
  method: 'PATCH',
  path: /^\/api\/v1\/servers\/([^/]+)$/,
  access: 'token',
  async handle(ctx) {
    const id = ctx.params[0]!;
    const runtime = serviceWithServer(ctx, id);
    const body = await readJsonObject(ctx.req);
    const unknown = Object.keys(body).filter((k) => k !== 'state' && k !== 'weight');
    if (unknown.length > 0) throw new AdminError(400, 'BAD_FIELD', `unknown field ${unknown.join(', ')}: expected "state" and/or "weight"`);
    if (body['state'] === undefined && body['weight'] === undefined) throw new AdminError(400, 'BAD_FIELD', 'expected "state" and/or "weight"');
    const { state, weight } = body;
    if (state !== undefined && (typeof state !== 'string' || !STATES.has(state))) throw new AdminError(400, 'BAD_FIELD', `state: expected one of ${adminStates.join(', ')}, got ${JSON.stringify(state)}`);
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 10000)) throw new AdminError(400, 'BAD_FIELD', `weight: expected a whole number from 1 to 10000, got ${JSON.stringify(weight)}`);
    if (weight !== undefined) ctx.control.command({ type: 'server-weight', service: runtime.name, server: id, weight: weight as number });
    if (state !== undefined) ctx.control.command({ type: 'server-state', service: runtime.name, server: id, state: state as AdminState });
    const row = serverRows(runtime, ctx.control.now()).find((r) => r.id === id)!;
    sendJson(ctx.res, 200, serverJson(await ctx.control.traffic(), row));
  },
};

const failback: Route = {
  method: 'POST',
  path: /^\/api\/v1\/datacenters\/([^/]+)\/failback$/,
  access: 'token',
  handle(ctx) {
    const name = ctx.params[0]!;
    const runtimes = servicesOf(ctx).filter((r) => r.current.datacenters.some((dc) => dc.name === name && !dc.standby));
    if (runtimes.length === 0) throw new AdminError(404, 'NO_SUCH_DATACENTER', `no active data center named ${JSON.stringify(name)}`);
    if (runtimes.length > 1) throw new AdminError(409, 'AMBIGUOUS_DATACENTER', `data center ${JSON.stringify(name)} is in services ${runtimes.map((r) => r.name).join(', ')}; add ?service=NAME`);
    const runtime = runtimes[0]!;
    const result = ctx.control.command({ type: 'failback', service: runtime.name, datacenter: name });
    if (!result.ok && result.why === 'no-failover') throw new AdminError(409, 'NO_FAILOVER', `service ${runtime.name} has no standby data center, so there is nothing to fail back from`);
    if (!result.ok) throw new AdminError(409, 'DATACENTER_DOWN', `data center ${name} is not UP (fewer than minServersUp servers take new sessions); it cannot take sessions back yet`);
    sendJson(ctx.res, 200, { service: runtime.name, datacenter: name, failedBack: true });
  },
};

export const serverRoutes: readonly Route[] = [listServers, listServices, listDatacenters, patchServer, failback];
