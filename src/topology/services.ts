// Builds a service's runtime (load, health, sessions, pools) and snapshot (servers, balancer,
// policies) from its config.
import type { Config, ServerConfig, ServiceConfig } from '../config/schema.ts';
import { balancerFactory } from '../balancer/registry.ts';
import type { Server } from '../core/server.ts';
import type { BuildEnv } from '../balancer/types.ts';
import type { EventLog } from '../core/events.ts';
import { HealthTable, type HealthSettings, type TableServer } from '../health/table.ts';
import { quorum } from '../health/quorum.ts';
import type { MonitorConfig } from '../health/schema.ts';
import type { ClientSettings } from '../upstream/client.ts';
import { makeUpstreamClient } from '../upstream/make-client.ts';
import { buildPersistence, storeLimits } from '../persistence/registry.ts';
import type { SessionStores } from '../state/stores.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { KickstartConfig } from '../config/kickstart-schema.ts';
import type { ServiceRuntime } from './runtime.ts';
import { ServiceSnapshot, type Datacenter } from './snapshot.ts';
import { Service, ServiceHandle } from './service.ts';
import { geoModeNames, gslbMode } from '../gslb/registry.ts';
import { NO_GEO } from '../gslb/geo.ts';
import { DatacenterLatency, NO_MEASURES } from '../gslb/latency.ts';
import { Failover, type FailoverSettings } from './failover.ts';
import { kickstart } from './kickstart.ts';

export function buildServers(service: ServiceConfig, runtime: ServiceRuntime, share: (limit: number) => number = (limit) => limit): Server[] {
  return service.servers.map((s) => ({
    id: s.id,
    url: s.url,
    origin: s.url,
    tls: s.tls,
    weight: runtime.weights.get(s.id) ?? s.weight,
    datacenter: s.datacenter,
    maxConnections: s.maxConnections === undefined ? Infinity : share(s.maxConnections),
    maxSessions: s.maxSessions ?? Infinity,
    load: runtime.loadOf(s.id),
  }));
}

/** A server's monitors: its own, or the service's, or none (`health: false`). */
export function monitorsOf(service: ServiceConfig, server: ServerConfig): readonly MonitorConfig[] {
  if (server.health === false) return [];
  return server.health ?? service.health ?? [];
}

/** The health table's view of a service's servers. */
export function tableServers(service: ServiceConfig): TableServer[] {
  return service.servers.map((s) => {
    const assumed = quorum(monitorsOf(service, s).map((m) => m.assume), service.monitorsRequired);
    return { id: s.id, datacenter: s.datacenter, backup: s.backup, admin: s.state, assume: assumed === 'down' ? ('down' as const) : ('up' as const) };
  });
}

export function healthSettings(service: ServiceConfig): HealthSettings {
  const { slowStart, drainDeadline, drainRate, passive } = service;
  return { slowStart, drainDeadline, drainRate, passive: passive === false ? undefined : passive };
}

export function poolSettings(service: ServiceConfig, config: Config): ClientSettings {
  return { ...service.pool, timeouts: config.timeouts, maxHeaderBytes: config.limits.maxHeaderBytes };
}

/** The store of `service`'s sessions under its persistence method. */
export function sessionStore(stores: SessionStores, service: ServiceConfig, handle: () => ServiceHandle): SessionStore {
  const servers = () => handle().current.servers.map((s) => s.id);
  return stores.make(`${service.name}:${service.persistence.method}`, storeLimits(service.persistence), servers);
}

/** Bursts last a few seconds at most; entries carry their own end. */
const BURST_LIMITS = { maxEntries: 50_000, idleMs: 60_000 };

/** Where `service`'s first-burst groups are shared, when its processes share sessions at all. */
export function burstStore(stores: SessionStores, service: string): SessionStore | undefined {
  return stores.shared ? stores.make(`${service}:burst`, BURST_LIMITS, () => []) : undefined;
}

export function buildRuntime(service: ServiceConfig, config: Config, env: BuildEnv, events: EventLog, stores: SessionStores, leads = true): ServiceHandle {
  const health = new HealthTable(service.name, tableServers(service), healthSettings(service), events, env.clock.now());
  const upstream = makeUpstreamClient(poolSettings(service, config));
  const runtime: ServiceHandle = new ServiceHandle(service.name, upstream, health, sessionStore(stores, service, () => runtime));
  runtime.bursts = burstStore(stores, service.name);
  configureNewKeys(runtime, service, events, env);
  runtime.persistence = buildPersistence(service.persistence, service.servers.map((s) => s.id), runtime);
  runtime.failover = buildFailover(service, events, env, stores, leads);
  runtime.latency = buildLatency(service, runtime.latency);
  return runtime;
}

/**
 * The data centers' measured times, for a service that chooses by them (best-connection-time, as
 * its mode or a geo mode's fallback) among more than one: kept across reloads, set as configured.
 */
export function buildLatency(service: ServiceConfig, kept: DatacenterLatency | undefined): DatacenterLatency | undefined {
  const reads = service.gslb.mode === 'best-connection-time' || (geoModeNames.includes(service.gslb.mode) && service.gslb.fallback === 'best-connection-time');
  if (!reads || service.datacenters.length < 2) {
    kept?.close();
    return undefined;
  }
  if (!kept) return new DatacenterLatency(service.gslb.probe);
  kept.configure(service.gslb.probe);
  return kept;
}

/** The new-key budget per client address as `service` sets it (at start and each reload). */
export function configureNewKeys(runtime: ServiceRuntime, service: ServiceConfig, events: EventLog, env: BuildEnv): void {
  runtime.newKeys.perMinute = service.persistence.table.newKeysPerMinute;
  runtime.newKeys.onOver = floodNotice(service.name, service.persistence, events, () => env.clock.now());
}

/** Notices of clients over their new-key budget: at most one event per service every 10 s, so a flood from many addresses cannot flood the event list too. */
const FLOOD_NOTICE_EVERY_MS = 10_000;

function floodNotice(service: string, persistence: ServiceConfig['persistence'], events: EventLog, now: () => number): (client: string, perMinute: number) => void {
  let last = -Infinity;
  let unsaid = 0;
  return (client, perMinute) => {
    const at = now();
    if (at - last < FLOOD_NOTICE_EVERY_MS) return void unsaid++;
    const carrier = persistence.method === 'query' ? `query parameter ${persistence.query}` : `header ${persistence.header}`;
    const others = unsaid > 0 ? ` (and ${unsaid} more over budget since the last notice)` : '';
    events.emit({ at, type: 'key-flood', service, from: 'under budget', to: 'over budget', reason: `client ${client} brought more than ${perMinute} new session keys (${carrier}) within a minute: the rest are not remembered until its minute ends, so other users' sessions stay${others}` });
    last = at;
    unsaid = 0;
  };
}

export function failoverSettings(service: ServiceConfig): FailoverSettings {
  return { failback: service.gslb.failback, failbackAfter: service.gslb.failbackAfter };
}

/** Failover control, for a service with a standby data center (without one there is nothing to fail over to). */
/** A failover's kickstart is claimed among instances this long: one call per failover. */
const KICK_CLAIM_MS = 30_000;

/** `leads` false: a worker's controller, which follows the primary's decisions. */
export function buildFailover(service: ServiceConfig, events: EventLog, env: BuildEnv, stores: SessionStores, leads = true): Failover | undefined {
  if (!service.datacenters.some((dc) => dc.standby)) return undefined;
  const now = () => env.clock.now();
  const kick = async (datacenter: string, config: KickstartConfig) => {
    if (await stores.claim(`kick:${service.name}:${datacenter}`, KICK_CLAIM_MS)) return void (await kickstart({ service: service.name, datacenter, config }, events, now));
    events.emit({ at: now(), type: 'kickstart', service: service.name, datacenter, from: 'asleep', to: 'kicked-elsewhere', reason: 'another instance is calling the kickstart URL for this failover' });
  };
  return new Failover(service.name, failoverSettings(service), events, (datacenter, config) => void kick(datacenter, config), leads);
}

export function buildSnapshot(service: ServiceConfig, runtime: ServiceRuntime, env: BuildEnv, share?: (limit: number) => number): ServiceSnapshot {
  const servers = buildServers(service, runtime, share);
  const factory = balancerFactory(service.balance.algorithm);
  if (!factory) throw new Error(`unknown balancing algorithm ${service.balance.algorithm}`);
  const mode = gslbMode(service.gslb.mode);
  if (!mode) throw new Error(`unknown GSLB mode ${service.gslb.mode}`);
  // One balancer per data center, over its own servers.
  const datacenters: Datacenter[] = service.datacenters.map((dc) => {
    const own = servers.filter((s) => s.datacenter === dc.name);
    return { ...dc, kickstart: dc.kickstart, servers: own, balancer: factory.build(own, service.balance.options, env) };
  });
  const { countries, continents, fallback } = service.gslb;
  const fallbackMode = gslbMode(fallback)!;
  const measures = runtime.latency ?? NO_MEASURES;
  const geo = { countries, continents, fallback: fallbackMode.build(datacenters, env, NO_GEO, measures) };
  const { onOverload, strict, debugHeader } = service.persistence;
  const policy = { onOverload, strict, debugHeader, datacenterPersistence: service.gslb.persistence, failbackSessions: service.gslb.failbackSessions };
  return new ServiceSnapshot(service.name, servers, datacenters, mode.build(datacenters, env, geo, measures), geoModeNames.includes(mode.name), service.retries, service.retryOn.includes('timeout'), policy, env);
}

/** Swaps in what requests use from now on: a new snapshot of `service` over the handle's runtime. */
export function swapIn(service: ServiceConfig, handle: ServiceHandle, env: BuildEnv, share?: (limit: number) => number): void {
  handle.current = new Service(buildSnapshot(service, handle, env, share), handle);
}
