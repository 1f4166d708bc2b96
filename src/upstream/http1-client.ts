// Mooring's own HTTP/1.1 upstream client: a pool of keep-alive connections per server (keyed by
// server id), each running one request at a time, answers parsed by node's native llhttp. One
// coarse ticker for the process checks every connection's timeouts, so a request allocates no timer.
import { Call } from './call.ts';
import { connectionKey, poolsToRetire, slowHoldCapOf, type ClientSettings, type UpgradeHandler, type UpstreamClient, type UpstreamHandler, type UpstreamRequest, type UpstreamTarget } from './client.ts';
import type { NativeParserClass } from './llhttp.ts';
import { endpointOf, Pool, type PoolSettings } from './pool.ts';
import { unwatch, wake, watch, type Sweepable } from './sweeper.ts';

/** How often timeouts are checked: a small share of the shortest, within [10 ms, 250 ms]. */
function tickOf(settings: PoolSettings): number {
  const { connect, response, idle, perTry = response } = settings.timeouts;
  return Math.max(10, Math.min(250, Math.floor(Math.min(connect, response, idle, perTry, settings.keepAlive) / 20)));
}

export class Http1Client implements UpstreamClient, Sweepable {
  private readonly pools = new Map<string, Pool>();
  private readonly origins = new Map<string, string>();
  /** Pools of servers a reload removed or moved, finishing their calls before they close. */
  private readonly retiring = new Set<Pool>();

  constructor(
    private settings: ClientSettings,
    private readonly parserClass: NativeParserClass,
  ) {}

  get tickMs(): number {
    return tickOf(this.settings);
  }

  get slowHoldCap(): number {
    return slowHoldCapOf(this.settings);
  }

  dispatch(target: UpstreamTarget, request: UpstreamRequest, handler: UpstreamHandler): void {
    this.pool(target).dispatch(new Call(request, handler));
    wake(this);
  }

  upgrade(target: UpstreamTarget, request: UpstreamRequest, handler: UpgradeHandler): void {
    this.pool(target).upgrade(new Call(request, handler, handler));
    wake(this);
  }

  private pool(target: UpstreamTarget): Pool {
    let pool = this.pools.get(target.id);
    if (!pool) {
      pool = new Pool(endpointOf(target.origin, target.tls), this.settings, this.parserClass);
      this.pools.set(target.id, pool);
      this.origins.set(target.id, connectionKey(target));
      watch(this);
    }
    return pool;
  }

  /** Checks every connection's timeouts; unwatched once no pool is left. Says when the next check is due (see Sweepable). */
  sweep(now: number): number {
    let next = this.retiring.size > 0 ? now : Infinity;
    for (const pool of this.pools.values()) next = Math.min(next, pool.sweep(now));
    for (const pool of this.retiring) pool.sweep(now);
    if (this.pools.size === 0 && this.retiring.size === 0) unwatch(this);
    return next;
  }

  /**
   * A reload: pools of servers that remain at the same origin stay warm; the others (and all of
   * them when connection settings changed) retire — finish their calls, take no new ones, close.
   */
  reconcile(targets: readonly UpstreamTarget[], settings: ClientSettings, graceMs: number): void {
    // Watched again under the new settings' tick.
    unwatch(this);
    for (const pool of poolsToRetire(this.pools, this.origins, targets, this.settings, settings)) {
      this.retiring.add(pool);
      void pool.close(graceMs).then(() => this.retiring.delete(pool));
    }
    this.settings = settings;
    if (this.pools.size > 0 || this.retiring.size > 0) watch(this);
  }

  async close(waitMs = 1000): Promise<void> {
    const pools = [...this.pools.values(), ...this.retiring];
    this.pools.clear();
    this.origins.clear();
    this.retiring.clear();
    await Promise.all(pools.map((pool) => pool.close(waitMs)));
    unwatch(this);
  }

  destroy(): void {
    for (const pool of [...this.pools.values(), ...this.retiring]) pool.destroy();
    this.pools.clear();
    this.origins.clear();
    this.retiring.clear();
    unwatch(this);
  }
}
