// Builds each service's runtime (servers, balancer, persistence, upstream pools) from its config.
import type { Config, ServiceConfig } from '../config/schema.ts';
import { balancerFactory } from '../balancer/registry.ts';
import { newLoad, type Server, type ServerStatus } from '../core/server.ts';
import type { BuildEnv } from '../balancer/types.ts';
import { UpstreamPools } from '../proxy/forwarder.ts';
import { WaitQueue } from '../proxy/wait-queue.ts';
import { buildPersistence } from '../persistence/registry.ts';
import { ServiceSnapshot, type ServiceHandle } from './snapshot.ts';

/** The data center that the `servers:` shorthand puts servers in. */
export const DEFAULT_DATACENTER = 'default';

/** How often expired sessions are swept (and waiting requests told that room may have appeared). */
const SWEEP_EVERY_MS = 1000;

export function buildServers(service: ServiceConfig): Server[] {
  return service.servers.map((s, index) => ({
    id: s.id,
    index,
    url: s.url,
    origin: s.url,
    weight: s.weight,
    datacenter: DEFAULT_DATACENTER,
    maxConnections: s.maxConnections ?? Infinity,
    maxSessions: s.maxSessions ?? Infinity,
    load: newLoad(),
  }));
}

export function buildSnapshot(service: ServiceConfig, config: Config, env: BuildEnv): ServiceSnapshot {
  const servers = buildServers(service);
  const factory = balancerFactory(service.balance.algorithm);
  if (!factory) throw new Error(`unknown balancing algorithm ${service.balance.algorithm}`);
  const { onOverload, strict, debugHeader } = service.persistence;
  return new ServiceSnapshot(
    service.name,
    servers,
    factory.build(servers, service.balance.options, env),
    service.retries,
    new UpstreamPools({ ...service.pool, timeouts: config.timeouts }),
    buildPersistence(service.persistence, servers),
    { onOverload, strict, debugHeader },
    new Map<string, ServerStatus>(),
    new WaitQueue(),
  );
}

export interface Services {
  readonly handles: Map<string, ServiceHandle>;
  stop(): void;
}

export function buildServices(config: Config, env: BuildEnv): Services {
  const handles = new Map<string, ServiceHandle>();
  for (const service of config.services) handles.set(service.name, { current: buildSnapshot(service, config, env) });
  const timer = setInterval(() => {
    const now = env.clock.now();
    for (const { current } of handles.values()) {
      current.persistence?.sweep(now);
      current.queue.wake();
    }
  }, SWEEP_EVERY_MS);
  timer.unref();
  return { handles, stop: () => clearInterval(timer) };
}
