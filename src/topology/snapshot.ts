// An immutable view of one service for the data plane: servers, their balancer, and retry policy.
import type { Balancer } from '../balancer/types.ts';
import type { Server } from '../core/server.ts';
import type { UpstreamPools } from '../proxy/forwarder.ts';

export interface ServiceSnapshot {
  readonly name: string;
  readonly servers: readonly Server[];
  readonly balancer: Balancer;
  readonly retries: number;
  readonly pools: UpstreamPools;
  /** Health, drain and admin state: whether a server may take new requests. Never touches the balancer. */
  isAvailable(server: Server): boolean;
}

/** A service's current snapshot; the control plane swaps `current`, requests read it once. */
export interface ServiceHandle {
  current: ServiceSnapshot;
}
