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

/** Where a client is, from the geo-IP database (both undefined: not known). */
export interface Place {
  readonly country: string | undefined;
  readonly continent: string | undefined;
}

export interface GslbOrder {
  /** `up` in the order new sessions should try them; never adds a data center. `place` is read only by geo modes. */
  order(up: readonly DcView[], place?: () => Place): readonly DcView[];
  /** Geo-required: whether no data center serves this place at all (the client is refused, 403). */
  refuses?(place: () => Place): boolean;
}

/** The geo modes' settings: country and continent → data center, and the order for the rest. */
export interface GeoSettings {
  readonly countries: Readonly<Record<string, string>>;
  readonly continents: Readonly<Record<string, string>>;
  /** geo-preferred: the order of the other data centers (and of clients no mapping names). */
  readonly fallback: GslbOrder;
}

/** What best-connection-time reads: each data center's measured time to answer (latency.ts). */
export interface DatacenterMeasures {
  /** Among the fastest now (or not measured yet). */
  isFastest(datacenter: string): boolean;
  /** Its time to answer, ms; undefined until measured. */
  score(datacenter: string): number | undefined;
}

export interface GslbMode {
  readonly name: string;
  build(all: readonly DcView[], env: BuildEnv, geo: GeoSettings, measures: DatacenterMeasures): GslbOrder;
}
