// The GSLB seam: a mode orders a service's data centers for a new session, best first. It sees only
// the data centers that are UP (the caller drops the others and keeps standbys for failover), and
// never blocks: a pure function of what it was built with and what it has measured.
import type { BuildEnv } from '../balancer/types.ts';
import type { Server } from '../core/server.ts';

/** What a mode sees of a data center. */
export interface DcView {
  readonly name: string;
  /** Relative share for the weighted mode. */
  readonly weight: number;
  /** Its servers (primaries and backups): their load counters carry the measured times. */
  readonly servers: readonly Server[];
}

export interface GslbOrder {
  /** `up` in the order new sessions should try them; never adds a data center. */
  order(up: readonly DcView[]): readonly DcView[];
}

export interface GslbMode {
  readonly name: string;
  build(all: readonly DcView[], env: BuildEnv): GslbOrder;
}
