// A backend server as the data plane sees it: immutable identity plus live load counters.

/** Counters shared by balancers and the forwarder; the only mutable part of a Server. */
/** The data center that a service's `servers:` shorthand puts its servers in. */
export const DEFAULT_DATACENTER = 'default';

export interface ServerLoad {
  /** Requests sent to this server and not yet finished. */
  inflight: number;
  /** Exponentially weighted moving average of time to first byte, in ms; 0 until measured. */
  ewmaTtfbMs: number;
  /** Pool connections held by a slow client: an upload streaming in, or an answer the client is behind on. */
  slowHolds: number;
}

export interface Server {
  /** Stable config id: the identity used in cookies, store keys, metrics and admin URLs. */
  readonly id: string;
  readonly url: string;
  /** scheme://host:port, where the upstream client connects. */
  readonly origin: string;
  /** For an https:// server: how its certificate is checked (the upstream client's UpstreamTls); absent: the system's CAs. */
  readonly tls?: { readonly ca?: string | undefined; readonly servername?: string | undefined; readonly verify: boolean } | undefined;
  readonly weight: number;
  readonly datacenter: string;
  /** Most requests at once (Infinity: no limit). */
  readonly maxConnections: number;
  /** Most live sessions bound to it (Infinity: no limit). */
  readonly maxSessions: number;
  readonly load: ServerLoad;
}

export function newLoad(): ServerLoad {
  return { inflight: 0, ewmaTtfbMs: 0, slowHolds: 0 };
}

/** Weight of the newest sample in the time-to-first-byte average. */
const EWMA_ALPHA = 0.3;

export function recordTtfb(load: ServerLoad, ms: number): void {
  load.ewmaTtfbMs = load.ewmaTtfbMs === 0 ? ms : load.ewmaTtfbMs + EWMA_ALPHA * (ms - load.ewmaTtfbMs);
}
