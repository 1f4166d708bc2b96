// Shared scans for the algorithms that compare every eligible server (O(n) per pick). They work on
// positions in the list the balancer was built over (a data center's servers, say), never on an
// index kept on the server itself, so a balancer may be built over any subset of a service.
import type { Server } from '../core/server.ts';
import type { PickContext } from './types.ts';

/**
 * The position of the eligible server with the lowest score (-1: none); ties go to the first found
 * scanning from `start`, so equal servers take turns when the caller rotates `start`.
 */
export function lowestScoreAt(
  servers: readonly Server[],
  ctx: PickContext,
  start: number,
  score: (server: Server, at: number) => number,
): number {
  const n = servers.length;
  let best = -1;
  let bestScore = Infinity;
  for (let i = 0; i < n; i++) {
    const at = (start + i) % n;
    const server = servers[at]!;
    if (!ctx.eligible(server)) continue;
    const s = score(server, at);
    if (s < bestScore) {
      best = at;
      bestScore = s;
    }
  }
  return best;
}

/** The position of the first eligible server scanning from `start`, wrapping around (-1: none). */
export function firstEligibleAt(servers: readonly Server[], ctx: PickContext, start: number): number {
  const n = servers.length;
  for (let i = 0; i < n; i++) {
    const at = (start + i) % n;
    if (ctx.eligible(servers[at]!)) return at;
  }
  return -1;
}

/** The first eligible server scanning from `start`, wrapping around. */
export function firstEligible(servers: readonly Server[], ctx: PickContext, start: number): Server | undefined {
  const at = firstEligibleAt(servers, ctx, start);
  return at < 0 ? undefined : servers[at];
}
