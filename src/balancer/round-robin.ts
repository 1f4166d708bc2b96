// round-robin: each eligible server in turn; weights are ignored (use weighted-round-robin).
import { z } from 'zod';
import { defineBalancer } from './types.ts';
import { firstEligibleAt } from './scan.ts';

export const roundRobin = defineBalancer({
  name: 'round-robin',
  options: z.strictObject({}),
  build(servers) {
    let next = 0;
    return {
      pick(ctx) {
        const at = firstEligibleAt(servers, ctx, next);
        if (at < 0) return undefined;
        next = (at + 1) % servers.length;
        return servers[at];
      },
    };
  },
});
