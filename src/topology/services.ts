// Builds each service's runtime (servers, balancer, upstream pools) from its config.
import type { Config, ServiceConfig } from '../config/schema.ts';
import { balancerFactory } from '../balancer/registry.ts';
import { newLoad, type Server } from '../core/server.ts';
import type { BuildEnv } from '../balancer/types.ts';
import { UpstreamPools } from '../proxy/forwarder.ts';
import type { ServiceHandle, ServiceSnapshot } from './snapshot.ts';

/** The data center that the `servers:` shorthand puts servers in. */
export const DEFAULT_DATACENTER = 'default';

export function buildServers(service: ServiceConfig): Server[] {
  return service.servers.map((s, index) => ({
    id: s.id,
    index,
    url: s.url,
    origin: s.url,
    weight: s.weight,
    datacenter: DEFAULT_DATACENTER,
    load: newLoad(),
  }));
}

export function buildSnapshot(service: ServiceConfig, config: Config, env: BuildEnv): ServiceSnapshot {
  const servers = buildServers(service);
  const factory = balancerFactory(service.balance.algorithm);
  if (!factory) throw new Error(`unknown balancing algorithm ${service.balance.algorithm}`);
  return {
    name: service.name,
    servers,
    balancer: factory.build(servers, service.balance.options, env),
    retries: service.retries,
    pools: new UpstreamPools({ ...service.pool, timeouts: config.timeouts }),
    isAvailable: () => true,
  };
}

export function buildServices(config: Config, env: BuildEnv): Map<string, ServiceHandle> {
  const handles = new Map<string, ServiceHandle>();
  for (const service of config.services) handles.set(service.name, { current: buildSnapshot(service, config, env) });
  return handles;
}
