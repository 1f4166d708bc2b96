// Server lists for balancer tests and benchmarks (no sockets).
import { newLoad, type Server } from '../core/server.ts';

export function makeServers(weights: readonly number[], prefix = 's'): Server[] {
  return weights.map((weight, index) => ({
    id: `${prefix}${index}`,
    index,
    url: `http://127.0.0.1:${10000 + index}`,
    origin: `http://127.0.0.1:${10000 + index}`,
    weight,
    datacenter: 'default',
    maxConnections: Infinity,
    maxSessions: Infinity,
    load: newLoad(),
  }));
}
