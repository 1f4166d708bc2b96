// The balancer seam: an algorithm is built once per membership change, then picks per request.
import type { z } from 'zod';
import type { Random, Clock } from '../core/clock.ts';
import type { Server } from '../core/server.ts';
import type { KeySource } from './key.ts';

export interface PickContext {
  /** Hash key for key-based algorithms (maglev); undefined when the request has none. */
  readonly key: string | undefined;
  /** 0 for the first try, then 1, 2, … for retries. */
  readonly attempt: number;
  /** Whether a server may take this request now (health, drain, already tried). */
  eligible(server: Server): boolean;
  /** Share of its weight a server gets now, in (0, 1]: below 1 while it ramps up (slow start). */
  weightFactor(server: Server): number;
}

export interface Balancer {
  /** Where the request's hash key comes from, for key-based algorithms; absent for the others. */
  readonly keySource?: KeySource;
  /** Synchronous, no I/O; undefined when no eligible server exists. */
  pick(ctx: PickContext): Server | undefined;
  /** Told after a server's in-flight count changed, for algorithms that keep servers ordered by load. */
  loadChanged?(server: Server): void;
}

export interface BuildEnv {
  readonly random: Random;
  readonly clock: Clock;
}

export interface BalancerFactory<Options extends object = object> {
  readonly name: string;
  /** Validates the algorithm's own keys in `balance:` (besides `algorithm`). */
  readonly options: z.ZodType<Options>;
  build(servers: readonly Server[], options: Options, env: BuildEnv): Balancer;
}

/** Identity helper that keeps each factory's option type checked against its build(). */
export function defineBalancer<O extends object>(factory: BalancerFactory<O>): BalancerFactory<O> {
  return factory;
}
