// One ticker for every upstream client in the process: each health monitor has a client of its
// own (1,000 servers, 1,000 clients), and a timer each would cost more than the probes. The tick is
// the shortest any client asks for.

export interface Sweepable {
  /** How often its timeouts need checking, in milliseconds. */
  readonly tickMs: number;
  sweep(now: number): void;
}

const watched = new Set<Sweepable>();
let ticker: NodeJS.Timeout | undefined;
let tickMs = 0;

function restart(): void {
  clearInterval(ticker);
  ticker = undefined;
  if (watched.size === 0) return;
  tickMs = Math.min(...[...watched].map((c) => c.tickMs));
  // Unref'd: open connections must not keep a stopping process alive.
  ticker = setInterval(sweepAll, tickMs).unref();
}

function sweepAll(): void {
  const now = performance.now();
  for (const client of watched) client.sweep(now);
}

export function watch(client: Sweepable): void {
  if (watched.has(client)) return;
  watched.add(client);
  if (!ticker || client.tickMs < tickMs) restart();
}

export function unwatch(client: Sweepable): void {
  if (watched.delete(client) && (watched.size === 0 || client.tickMs === tickMs)) restart();
}
