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
  /** Milliseconds: to connect, for the answer's head, and between body chunks. */
  readonly timeouts: { readonly connect: number; readonly response: number; readonly idle: number };
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly settings: PoolSettings) {}

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
    }
    return pool;
  }

  /** Closes idle connections and waits up to `waitMs` for busy ones, then destroys the rest. */
  async close(waitMs = 1000): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      pools.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => {}), waitMs);
        await pool.close().catch(() => {});
        clearTimeout(timer);
      }),
    );
  }

  destroy(): void {
    for (const pool of this.pools.values()) void pool.destroy();
    this.pools.clear();
  }
}
