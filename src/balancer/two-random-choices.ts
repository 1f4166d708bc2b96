// two-random-choices: draw two servers at random and take the one with fewer in-flight requests per
// unit of weight ("the power of two choices", Mitzenmacher 2001). O(1) per pick at any pool size.
import { z } from 'zod';
import { defineBalancer } from './types.ts';
import { firstEligible } from './scan.ts';
import type { Server } from '../core/server.ts';

/** Random draws before falling back to a scan, when many servers are ineligible. */
const DRAWS = 8;

const score = (s: Server): number => (s.load.inflight + 1) / s.weight;

export const twoRandomChoices = defineBalancer({
  name: 'two-random-choices',
  options: z.strictObject({}),
  build(servers, _options, env) {
    const n = servers.length;
    const draw = (ctx: Parameters<typeof firstEligible>[1], avoid?: Server): Server | undefined => {
      for (let i = 0; i < DRAWS; i++) {
        const s = servers[env.random.int(n)]!;
        if (s !== avoid && ctx.eligible(s)) return s;
      }
      return undefined;
    };
    return {
      pick(ctx) {
        const first = draw(ctx) ?? firstEligible(servers, ctx, env.random.int(n));
        if (!first) return undefined;
        const second = n > 1 ? draw(ctx, first) : undefined;
        if (!second) return first;
        return score(second) < score(first) ? second : first;
      },
    };
  },
});
