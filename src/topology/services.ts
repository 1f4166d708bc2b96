// Builds each service's runtime (load, health, sessions, pools) and snapshot (servers, balancer,
// policies) from its config, and runs the service's periodic housekeeping.
import type { Config, ServerConfig, ServiceConfig } from '../config/schema.ts';
import { balancerFactory } from '../balancer/registry.ts';
import type { Server } from '../core/server.ts';
import type { BuildEnv } from '../balancer/types.ts';
import type { EventLog } from '../core/events.ts';
import { HealthTable } from '../health/table.ts';
import { HealthScheduler } from '../health/scheduler.ts';
import { quorum } from '../health/quorum.ts';
import type { MonitorConfig } from '../health/schema.ts';
import { UpstreamPools } from '../upstream/pools.ts';
import { buildPersistence } from '../persistence/registry.ts';
import { ServiceRuntime } from './runtime.ts';
import { ServiceSnapshot, type ServiceHandle } from './snapshot.ts';

/** The data center that the `servers:` shorthand puts servers in. */
export const DEFAULT_DATACENTER = 'default';

/** How often expired sessions are swept, health timers checked, and waiting requests told that room may have appeared. */
const SWEEP_EVERY_MS = 1000;

export function buildServers(service: ServiceConfig, runtime: ServiceRuntime): Server[] {
  return service.servers.map((s) => ({
    id: s.id,
    url: s.url,
    origin: s.url,
    weight: s.weight,
    datacenter: DEFAULT_DATACENTER,
    maxConnections: s.maxConnections ?? Infinity,
    maxSessions: s.maxSessions ?? Infinity,
    load: runtime.loadOf(s.id),
  }));
}

/** A server's monitors: its own, or the service's, or none (`health: false`). */
export function monitorsOf(service: ServiceConfig, server: ServerConfig): readonly MonitorConfig[] {
  if (server.health === false) return [];
  return server.health ?? service.health ?? [];
}

function buildHealthTable(service: ServiceConfig, env: BuildEnv, events: EventLog): HealthTable {
  const members = service.servers.map((s) => {
    const assumed = quorum(monitorsOf(service, s).map((m) => m.assume), service.monitorsRequired);
    return { id: s.id, datacenter: DEFAULT_DATACENTER, backup: s.backup, admin: s.state, assume: assumed === 'down' ? ('down' as const) : ('up' as const) };
  });
  const { slowStart, drainDeadline, drainRate, passive } = service;
  return new HealthTable(service.name, members, { slowStart, drainDeadline, drainRate, passive: passive === false ? undefined : passive }, events, env.clock.now());
}

export function buildRuntime(service: ServiceConfig, config: Config, env: BuildEnv, events: EventLog): ServiceRuntime {
  const health = buildHealthTable(service, env, events);
  const pools = new UpstreamPools({ ...service.pool, timeouts: config.timeouts });
  return new ServiceRuntime(service.name, pools, health, buildPersistence(service.persistence, service.servers.map((s) => s.id)));
}

export function buildSnapshot(service: ServiceConfig, runtime: ServiceRuntime, env: BuildEnv): ServiceSnapshot {
  const servers = buildServers(service, runtime);
  const factory = balancerFactory(service.balance.algorithm);
  if (!factory) throw new Error(`unknown balancing algorithm ${service.balance.algorithm}`);
  const { onOverload, strict, debugHeader } = service.persistence;
  return new ServiceSnapshot(service.name, servers, factory.build(servers, service.balance.options, env), service.retries, { onOverload, strict, debugHeader }, runtime, env);
}

export interface Services {
  readonly handles: Map<string, ServiceHandle>;
  stop(): void;
}

export function buildServices(config: Config, env: BuildEnv, events: EventLog): Services {
  const handles = new Map<string, ServiceHandle>();
  const schedulers: HealthScheduler[] = [];
  for (const service of config.services) {
    const runtime = buildRuntime(service, config, env, events);
    handles.set(service.name, { current: buildSnapshot(service, runtime, env) });
    const monitored = service.servers.map((s) => ({ id: s.id, origin: s.url, monitors: monitorsOf(service, s) })).filter((s) => s.monitors.length > 0);
    if (monitored.length > 0) schedulers.push(new HealthScheduler(monitored, service.monitorsRequired, runtime.health, () => env.clock.now(), env.random));
  }
  for (const scheduler of schedulers) scheduler.start();
  const timer = setInterval(() => {
    const now = env.clock.now();
    for (const { current } of handles.values()) {
      const { runtime } = current;
      runtime.persistence?.sweep(now);
      runtime.health.tick(now, (id) => runtime.remaining(id));
      runtime.queue.wake();
    }
  }, SWEEP_EVERY_MS);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    for (const scheduler of schedulers) scheduler.stop();
  };
  return { handles, stop };
}
