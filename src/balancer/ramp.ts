// Slow start for every algorithm alike: a pick that lands on a server still ramping up is kept with
// a probability equal to its weight factor; otherwise the algorithm picks again without it. A
// ramping server so gets about `factor` times its usual share, whatever the algorithm.
import type { Random } from '../core/clock.ts';
import type { Server } from '../core/server.ts';
import type { Balancer, PickContext } from './types.ts';

/** Ramping servers declined in one pick before taking the first one anyway. */
const MAX_DECLINED = 4;

export function pickWithRamp(balancer: Balancer, ctx: PickContext, random: Random): Server | undefined {
  const first = balancer.pick(ctx);
  if (!first || keep(first, ctx, random)) return first;
  const declined: Server[] = [first];
  const without: PickContext = {
    key: ctx.key,
    attempt: ctx.attempt,
    eligible: (s) => !declined.includes(s) && ctx.eligible(s),
    weightFactor: (s) => ctx.weightFactor(s),
  };
  while (declined.length <= MAX_DECLINED) {
    const next = balancer.pick(without);
    if (!next) break;
    if (keep(next, ctx, random)) return next;
    declined.push(next);
  }
  // Every server left is ramping (they all came back together): serve rather than refuse.
  return first;
}

function keep(server: Server, ctx: PickContext, random: Random): boolean {
  const factor = ctx.weightFactor(server);
  return factor >= 1 || random.next() < factor;
}
