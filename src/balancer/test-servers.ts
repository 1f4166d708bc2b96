// Server lists for balancer tests and benchmarks (no sockets).
import { newLoad, type Server } from '../core/server.ts';
import type { PickContext } from './types.ts';

export function makeServers(weights: readonly number[], prefix = 's'): Server[] {
  return weights.map((weight, index) => ({
    id: `${prefix}${index}`,
    url: `http://127.0.0.1:${10000 + index}`,
    origin: `http://127.0.0.1:${10000 + index}`,
    weight,
    datacenter: 'default',
    maxConnections: Infinity,
    maxSessions: Infinity,
    load: newLoad(),
  }));
}

/** A pick context for tests: every server at full weight unless `weightFactor` says otherwise. */
export function pickContext(
  eligible: (s: Server) => boolean = () => true,
  key?: string,
  weightFactor: (s: Server) => number = () => 1,
): PickContext {
  return { key, attempt: 0, eligible, weightFactor };
}
