// One ticker for every upstream client in the process: each health monitor has a client of its
// own (1,000 servers, 1,000 clients), and a timer each would cost more than the probes. The tick is
// the shortest any client asks for. A client with nothing under way (idle connections only) rests:
// it is swept every RESTING_MS for its keep-alive, not on every tick, until its next request.

export interface Sweepable {
  /** How often its timeouts need checking, in milliseconds. */
  readonly tickMs: number;
  /** Checks its timeouts; false when nothing is under way (it then rests until `wake`). */
  sweep(now: number): boolean;
}

/**
 * How often resting clients are swept: well inside the second kept before a server's own
 * Keep-Alive timeout. Sweeping 1,000 idle probe clients every 50 ms was most of the probes' cost
 * beyond their sockets.
 */
const RESTING_MS = 250;

const active = new Set<Sweepable>();
const resting = new Set<Sweepable>();
let ticker: NodeJS.Timeout | undefined;
let tickMs = 0;
let restingSweptAt = 0;

function restart(): void {
  clearInterval(ticker);
  ticker = undefined;
  if (active.size + resting.size === 0) return;
  tickMs = Math.min(...[...active, ...resting].map((c) => c.tickMs));
  // Unref'd: open connections must not keep a stopping process alive.
  ticker = setInterval(sweepAll, tickMs).unref();
}

function sweepAll(): void {
  const now = performance.now();
  for (const client of active) {
    if (client.sweep(now)) continue;
    active.delete(client);
    resting.add(client);
  }
  if (now - restingSweptAt < RESTING_MS) return;
  restingSweptAt = now;
  for (const client of resting) client.sweep(now);
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
