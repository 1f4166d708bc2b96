// One undici Pool per server (keyed by server id), kept warm with long keep-alive; bodies stream.
import { createRequire } from 'node:module';
import type { Pool as PoolType } from 'undici';
import type { Server } from '../core/server.ts';

// undici's index loads all of undici (fetch, WebSocket, caches, mocks) and through them node's own
// bundled copy: ~8 MiB of resident memory that Mooring never uses (measured: 59.5 vs 51.3 MiB idle).
// The Pool module is undici's public Pool class itself; only its file is named directly.
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof PoolType;
type Pool = PoolType;

export interface PoolSettings {
  readonly connections: number;
  readonly keepAlive: number;
  /** Share of the connections kept for requests whose clients keep up (0 to 0.9). */
  readonly reserved: number;
  /** Milliseconds: to connect, for the answer's head, and between body chunks. */
  readonly timeouts: { readonly connect: number; readonly response: number; readonly idle: number };
}

/** A server as far as its pool is concerned. */
export interface PoolTarget {
  readonly id: string;
  readonly origin: string;
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  /** The origin each pool connects to (a reload may move a server id elsewhere). */
  private readonly origins = new Map<string, string>();
  /** Pools of servers a reload removed or moved, closing once their requests are done. */
  private readonly retiring = new Set<Pool>();

  constructor(private settings: PoolSettings) {}

  /** Most connections of one server's pool that slow clients may hold at once (at least one); the rest are reserved. */
  get slowHoldCap(): number {
    return Math.max(1, Math.floor(this.settings.connections * (1 - this.settings.reserved)));
  }

  get(server: Server): Pool {
    let pool = this.pools.get(server.id);
    if (!pool) {
      const { connections, keepAlive, timeouts } = this.settings;
      pool = new Pool(server.origin, {
        connections,
        pipelining: 1,
        connect: { timeout: timeouts.connect },
        headersTimeout: timeouts.response,
        bodyTimeout: timeouts.idle,
        // Idle upstream sockets live `keepAlive`, or less when the server's Keep-Alive hint says so.
        keepAliveTimeout: keepAlive,
        keepAliveMaxTimeout: keepAlive,
        // Responses are streamed as they come: no size limit, no redirects, no decompression.
        maxResponseSize: -1,
      });
      // Connection errors are reported to the request that needed the connection; the pool itself
      // must not crash the process with an unhandled 'error'.
      pool.on('connectionError', () => {});
      this.pools.set(server.id, pool);
      this.origins.set(server.id, server.origin);
    }
    return pool;
  }

  /**
   * A reload: pools of servers that remain at the same origin stay (warm connections and all);
   * the others retire — they finish the requests they have, take no new ones, and close. New
   * settings retire every pool. (A request begun before the reload that still asks for a removed
   * server gets a fresh pool; the next reconcile or the stop closes it.)
   */
  reconcile(targets: readonly PoolTarget[], settings: PoolSettings, graceMs: number): void {
    // The reserve is Mooring's own bookkeeping: a change to it alone keeps the pools.
    const same = JSON.stringify({ ...settings, reserved: 0 }) === JSON.stringify({ ...this.settings, reserved: 0 });
    this.settings = settings;
    const wanted = new Map(targets.map((t) => [t.id, t.origin]));
    for (const [id, pool] of this.pools) {
      if (same && wanted.get(id) === this.origins.get(id)) continue;
      this.pools.delete(id);
      this.origins.delete(id);
      this.retire(pool, graceMs);
    }
  }

  private retire(pool: Pool, graceMs: number): void {
    this.retiring.add(pool);
    const timer = setTimeout(() => void pool.destroy().catch(() => {}), graceMs).unref();
    void pool
      .close()
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.retiring.delete(pool);
      });
  }

  /** Closes idle connections and waits up to `waitMs` for busy ones, then destroys the rest. */
  async close(waitMs = 1000): Promise<void> {
    const pools = [...this.pools.values(), ...this.retiring];
    this.pools.clear();
    this.retiring.clear();
    await Promise.all(
      pools.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => {}), waitMs);
        await pool.close().catch(() => {});
        clearTimeout(timer);
      }),
    );
  }

  destroy(): void {
    for (const pool of [...this.pools.values(), ...this.retiring]) void pool.destroy();
    this.pools.clear();
    this.retiring.clear();
  }
}
