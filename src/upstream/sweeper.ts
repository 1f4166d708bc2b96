// One ticker for every upstream client in the process: each health monitor has a client of its
// own (1,000 servers, 1,000 clients), and a timer each would cost more than the probes. The tick is
// the shortest any client asks for. A client with nothing under way (idle connections only) rests
// until its first idle connection's keep-alive runs out, or until its next request wakes it.

export interface Sweepable {
  /** How often its timeouts need checking, in milliseconds. */
  readonly tickMs: number;
  /**
   * Checks its timeouts and says when it needs the next check (performance.now() ms): at or before
   * `now` while something is under way (every tick), later when it can rest till then (Infinity:
   * till `wake`).
   */
  sweep(now: number): number;
}

/**
 * How often the resting are looked at for a keep-alive run out: well inside the second kept before
 * a server's own Keep-Alive timeout. Sweeping 1,000 idle probe clients every 50 ms, then every
 * 250 ms, was most of the probes' cost beyond their sockets; now a resting client costs a
 * comparison until its time.
 */
const RESTING_MS = 250;

const active = new Set<Sweepable>();
/** Resting clients and when each needs its next sweep. */
const resting = new Map<Sweepable, number>();
let ticker: NodeJS.Timeout | undefined;
let tickMs = 0;
let restingSweptAt = 0;

function restart(): void {
  clearInterval(ticker);
  ticker = undefined;
  if (active.size + resting.size === 0) return;
  tickMs = Math.min(...[...active, ...resting.keys()].map((c) => c.tickMs));
  // Unref'd: open connections must not keep a stopping process alive.
  ticker = setInterval(sweepAll, tickMs).unref();
}

function sweepAll(): void {
  const now = performance.now();
  for (const client of active) {
    const next = client.sweep(now);
    // Still watched: a sweep may end with the client unwatching itself (its last pool gone).
    if (next <= now || !active.has(client)) continue;
    active.delete(client);
    resting.set(client, next);
  }
  if (now - restingSweptAt < RESTING_MS) return;
  restingSweptAt = now;
  for (const [client, due] of resting) {
    if (due > now) continue;
    const next = client.sweep(now);
    if (!resting.has(client)) continue;
    if (next > now) resting.set(client, next);
    else {
      resting.delete(client);
      active.add(client);
    }
  }
}

export function watch(client: Sweepable): void {
  if (active.has(client) || resting.has(client)) return;
  active.add(client);
  if (!ticker || client.tickMs < tickMs) restart();
}

/** Something was started: swept on every tick again. */
export function wake(client: Sweepable): void {
  if (resting.delete(client)) active.add(client);
}

export function unwatch(client: Sweepable): void {
  const was = active.delete(client) || resting.delete(client);
  if (was && (active.size + resting.size === 0 || client.tickMs === tickMs)) restart();
}
