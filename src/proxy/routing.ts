// Choosing a request's server, attempt by attempt: the sticky plan first (honour, move, wait,
// refuse), then the balancer among servers that accept new sessions, then what a failure means.
// Also what every attempt tells the rest of Mooring, for requests and tunnels alike: the migration
// notice to the server, the session to persistence, the outcome to passive health.
import { pickWithRamp } from '../balancer/ramp.ts';
import type { PickContext } from '../balancer/types.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Server } from '../core/server.ts';
import { afterPinnedFailure, plan, type Plan } from '../persistence/router.ts';
import type { Decision, Identity, MigrationReason, PersistRequest } from '../persistence/types.ts';
import type { Outcome } from '../health/ejection.ts';
import type { Service } from '../topology/service.ts';
import type { Place } from '../gslb/types.ts';
import { failureCode, failureOf, failureOutcome, mayRetry, type FailureKind } from './retry.ts';
import type { UpstreamErrorKind } from '../upstream/client.ts';

export type Choice = { server: Server } | { refuse: ErrorCode } | { wait: true };

export class Routing implements PickContext {
  attempt = 0;
  decision: Decision = 'none';
  /** The decision was made while the shared session store was unreachable (from this process's sessions). */
  degraded = false;
  movedFrom: string | undefined;
  reason: MigrationReason | undefined;
  /** A routing rule's data center: new sessions go there while it is UP. */
  routeDatacenter: string | undefined;
  /** The client's place from the geo-IP database, looked up only if a geo GSLB mode asks. */
  placeOf: (() => Place) | undefined;
  private current: Plan | undefined;
  private tried: Server[] | undefined;
  private lastFailure: FailureKind | undefined;
  private unreachedOnly = true;
  /** Connections refused (or not taken in time) in this request, by data center. */
  private refusedIn: Map<string, number> | undefined;
  /** Data centers this request found refusing (two of their servers, or their only one): its retries go elsewhere. */
  private unreachable: Set<string> | undefined;

  constructor(
    readonly service: Service,
    public identity: Identity | undefined,
    readonly key: string | undefined,
    /** The client's address (after trusted proxies), for the record. */
    readonly clientIp: string,
    /** The request as persistence reads it; undefined when the service keeps no sessions. */
    readonly persist: PersistRequest | undefined = undefined,
    /** The request's time, when persistence read it already; else read from the service's clock when first needed. */
    private at?: number,
  ) {}

  /** The request's time (the service's clock), the same for every decision about it. */
  get now(): number {
    return (this.at ??= this.service.env.clock.now());
  }

  /**
   * The session this process has not seen may be known to other instances (a shared store): ask
   * them, one bounded round trip, then read the identity again. Undefined: nothing to ask.
   */
  lookup(): Promise<void> | undefined {
    const identity = this.identity;
    if (!identity || !this.persist) return undefined;
    const fetching = identity.missed !== undefined ? this.service.sessions.fetch?.(identity.missed) : identity.missedBurst !== undefined ? this.service.runtime.bursts?.fetch?.(identity.missedBurst) : undefined;
    if (!fetching) return undefined;
    const persist = this.persist;
    return fetching.then(() => {
      this.identity = this.service.persistence!.identify(persist);
    });
  }

  /** New sessions go only to servers that accept them; a retry never returns to a server tried. */
  eligible(server: Server): boolean {
    return this.service.acceptsNew(server) && server.id !== this.movedFrom && (this.tried === undefined || !this.tried.includes(server));
  }

  weightFactor(server: Server): number {
    return this.service.health.weightFactor(server.id, this.now);
  }

  /** The server a request told to wait waits for: its session's; undefined for any server with room. */
  get pinned(): string | undefined {
    return this.current?.pinned?.id;
  }

  /** The server for this attempt, or why there is none. */
  choose(): Choice {
    this.current ??= this.adopt(plan(this.identity, this.service));
    const p = this.current;
    if (p.refuse) return { refuse: p.refuse };
    if (p.pinned) {
      if (p.wait && this.service.overloaded(p.pinned)) return { wait: true };
      return { server: p.pinned };
    }
    if (this.placeOf && this.service.readsPlace && this.service.refuses(this.placeOf)) return { refuse: 'MOORING_GEO_REFUSED' };
    const server = this.pickNew();
    if (server) return { server };
    return this.noServer();
  }

  /** A server for a new session: the data centers in GSLB order (a moved client's own first), each through its balancer. */
  private pickNew(): Server | undefined {
    const { health, env } = this.service;
    const home = this.homeDatacenter();
    const place = this.service.readsPlace ? this.placeOf : undefined;
    const order =
      home === undefined && this.routeDatacenter !== undefined ? this.service.order(this.routeDatacenter, true, place, this.unreachable) : this.service.order(home, false, place, this.unreachable);
    let homeHadNone = home !== undefined && !order.some((dc) => dc.name === home);
    for (const dc of order) {
      const server = health.anyRamping ? pickWithRamp(dc.balancer, this, env.random) : dc.balancer.pick(this);
      if (!server) {
        if (dc.name === home) homeHadNone = true;
        continue;
      }
      // A moved client whose own data center had no server left for it (down, refusing, or every
      // server out) leaves it in a failover, whether or not its fall has been called yet.
      if (this.reason === 'down' && homeHadNone && dc.name !== home) {
        this.reason = 'failover';
        this.decision = 'failover';
      }
      return server;
    }
    return undefined;
  }

  /** The data center a moved client leaves from: its server's, or the one its identity records. */
  private homeDatacenter(): string | undefined {
    if (this.movedFrom === undefined) return undefined;
    return this.service.datacenterOf(this.movedFrom)?.name ?? this.identity?.datacenter;
  }

  /**
   * An attempt on `server` failed, for requests and tunnels alike: passive health hears it, and the
   * answer is whether the request may go on to another server (then `choose()` again) or not
   * (then answer `failure()`).
   */
  attemptFailed(server: Server, kind: UpstreamErrorKind, reachedServer: boolean, method: string, hasBody: boolean): boolean {
    const failure = failureOf(kind);
    this.reportFailure(server, failureOutcome[failure]);
    return this.failed(server, failure, reachedServer, mayRetry(failure, reachedServer, method, hasBody, this.service.retryOnTimeout));
  }

  private failed(server: Server, kind: FailureKind, reachedServer: boolean, retryable: boolean): boolean {
    (this.tried ??= []).push(server);
    if (kind === 'refused' || kind === 'connect-timeout') this.refusedBy(server);
    this.lastFailure = kind;
    // A connect failure reached nothing, even after the request went out on a kept connection the
    // server had closed unread (the upstream client then sends it again on a fresh one).
    if (reachedServer && kind !== 'refused' && kind !== 'connect-timeout') this.unreachedOnly = false;
    if (!retryable || this.attempt >= this.service.retries) return false;
    if (this.current?.pinned === server) {
      // The server holding the session failed: move the client (strict: refuse instead).
      this.current = this.adopt(afterPinnedFailure(this.service, server));
    }
    this.attempt++;
    return true;
  }

  /**
   * A connection to `server` was refused or not taken in time. Once two servers of its data center
   * did so (or its only one), the data center counts as down for the rest of this request, so its
   * retries go to another one (a standby, when no other active data center is UP) instead of
   * spending themselves on servers that all died together; passive health makes it down for the
   * requests that follow.
   */
  private refusedBy(server: Server): void {
    // With one data center there is nowhere else to go: retries stay among its servers.
    if (this.service.datacenters.length < 2) return;
    const dc = this.service.datacenterOf(server.id);
    if (!dc) return;
    const count = ((this.refusedIn ??= new Map()).get(dc.name) ?? 0) + 1;
    this.refusedIn.set(dc.name, count);
    if (count >= Math.min(2, dc.servers.length)) (this.unreachable ??= new Set()).add(dc.name);
  }

  /** The answer owed when no attempt succeeded: 503 if nothing could be reached, else the last failure. */
  failure(): ErrorCode {
    const kind = this.lastFailure;
    // Left: a server this request could still be sent to, in a data center that takes new sessions now.
    const noneLeft = !this.service.order(this.homeDatacenter(), false, undefined, this.unreachable).some((dc) => dc.servers.some((s) => this.eligible(s)));
    if (kind === undefined || (noneLeft && this.unreachedOnly)) return 'MOORING_NO_SERVER';
    return failureCode[kind];
  }

  /** Mooring-Migrated-From for the upstream request, when the client is being moved. */
  migration(): string | undefined {
    return this.movedFrom === undefined ? undefined : `${this.movedFrom}; reason=${this.reason}`;
  }

  /** The attempt goes to `server`: tell it a client was moved (once; a client-sent value was already dropped), tell persistence. */
  sending(server: Server, headers: string[]): void {
    const value = this.migration();
    if (value !== undefined) {
      const at = headers.indexOf('mooring-migrated-from');
      if (at >= 0) headers[at + 1] = value;
      else headers.push('mooring-migrated-from', value);
    }
    if (this.persist && this.identity) this.service.persistence!.routed?.(this.identity, this.persist, server);
  }

  /** `server` answered with `status`: passive health hears it, the session is bound, the debug header added. */
  answered(server: Server, status: number, response: string[]): void {
    const { service } = this;
    // A success only resets the failure count: the clock is read for failures alone (per request, hot).
    if (status >= 500) service.health.report(server.id, '5xx', service.env.clock.now());
    else service.health.report(server.id, 'success', 0);
    if (this.persist && this.identity) service.persistence!.commit({ req: this.persist, identity: this.identity, server, response });
    if (service.policy.debugHeader) response.push('mooring-decision', this.degraded ? `${this.decision}; server=${server.id}; degraded` : `${this.decision}; server=${server.id}`);
  }

  /** The attempt on `server` failed this way: passive health hears it. */
  reportFailure(server: Server, outcome: Outcome): void {
    this.service.health.report(server.id, outcome, this.service.env.clock.now());
  }

  private adopt(p: Plan): Plan {
    this.decision = p.decision;
    if (this.service.sessions.degraded === true) this.degraded = true;
    if (p.movedFrom !== undefined) {
      this.movedFrom = p.movedFrom;
      this.reason = p.reason;
    }
    return p;
  }

  /** No server takes a new session: full (overload policy decides) or none available at all. */
  private noServer(): Choice {
    if (this.lastFailure !== undefined) return { refuse: this.failure() };
    const { health } = this.service;
    const open = this.service.order().some((dc) => dc.servers.some((s) => health.acceptsNew(s.id) && s.id !== this.movedFrom));
    const full = this.decision === 'overloaded' || open;
    if (!full) return { refuse: 'MOORING_NO_SERVER' };
    if (this.service.policy.onOverload === 'queue') return { wait: true };
    return { refuse: 'MOORING_OVERLOADED' };
  }
}
