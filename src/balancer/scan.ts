// Shared scans for the algorithms that compare every eligible server (O(n) per pick).
import type { Server } from '../core/server.ts';
import type { PickContext } from './types.ts';

/**
 * The eligible server with the lowest score; ties go to the first found scanning from `start`,
 * so equal servers take turns when the caller rotates `start`.
 */
export function lowestScore(
  servers: readonly Server[],
  ctx: PickContext,
  start: number,
  score: (server: Server) => number,
): Server | undefined {
  const n = servers.length;
  let best: Server | undefined;
  let bestScore = Infinity;
  for (let i = 0; i < n; i++) {
    const server = servers[(start + i) % n]!;
    if (!ctx.eligible(server)) continue;
    const s = score(server);
    if (s < bestScore) {
      best = server;
      bestScore = s;
    }
  }
  return best;
}

/** The first eligible server scanning from `start`, wrapping around. */
export function firstEligible(servers: readonly Server[], ctx: PickContext, start: number): Server | undefined {
  const n = servers.length;
  for (let i = 0; i < n; i++) {
    const server = servers[(start + i) % n]!;
    if (ctx.eligible(server)) return server;
  }
  return undefined;
}
