// A service as its config describes it, immutable: its servers, its data centers each with the
// balancer built over their own servers, the GSLB order and the policies. It holds no live state
// (health, sessions, operator state live in the runtime; service.ts joins the two for requests).
import type { Balancer, BuildEnv } from '../balancer/types.ts';
import type { KeySource } from '../balancer/key.ts';
import type { GslbOrder, Place } from '../gslb/types.ts';
import type { KickstartConfig } from '../config/kickstart-schema.ts';
import type { Server } from '../core/server.ts';
import type { SessionPolicy } from '../persistence/router.ts';

/** A data center of a snapshot: its settings, its servers and the balancer built over them. */
export interface Datacenter {
  readonly name: string;
  readonly standby: boolean;
  readonly minServersUp: number;
  readonly weight: number;
  readonly kickstart: KickstartConfig | undefined;
  readonly servers: readonly Server[];
  readonly balancer: Balancer;
}

export class ServiceSnapshot {
  readonly byId: ReadonlyMap<string, Server>;
  private readonly dcOf: ReadonlyMap<string, Datacenter>;
  readonly active: readonly Datacenter[];
  readonly standbys: readonly Datacenter[];
  /** The only data center, when there is one (the servers: shorthand): nothing to order. */
  readonly single: Datacenter | undefined;

  constructor(
    readonly name: string,
    readonly servers: readonly Server[],
    readonly datacenters: readonly Datacenter[],
    readonly gslb: GslbOrder,
    /** Whether the GSLB mode reads the client's place (a geo mode). */
    readonly readsPlace: boolean,
    readonly retries: number,
    /** retryOn: [timeout]: an idempotent request without a body moves on after timeouts.perTry without an answer. */
    readonly retryOnTimeout: boolean,
    readonly policy: SessionPolicy,
    readonly env: BuildEnv,
  ) {
    this.byId = new Map(servers.map((s) => [s.id, s]));
    this.dcOf = new Map(datacenters.flatMap((dc) => dc.servers.map((s) => [s.id, dc] as const)));
    this.active = datacenters.filter((dc) => !dc.standby);
    this.standbys = datacenters.filter((dc) => dc.standby);
    this.single = datacenters.length === 1 ? datacenters[0] : undefined;
  }

  /** Where key-based algorithms read a request's key (the same algorithm in every data center). */
  get keySource(): KeySource | undefined {
    return this.datacenters[0]!.balancer.keySource;
  }

  /** Geo-required: no data center serves the client's place at all. */
  refuses(place: () => Place): boolean {
    return this.gslb.refuses?.(place) ?? false;
  }

  datacenterOf(serverId: string): Datacenter | undefined {
    return this.dcOf.get(serverId);
  }

  server(id: string): Server | undefined {
    return this.byId.get(id);
  }
}
