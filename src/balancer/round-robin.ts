// round-robin: each eligible server in turn; weights are ignored (use weighted-round-robin).
import { z } from 'zod';
import { defineBalancer } from './types.ts';
import { firstEligible } from './scan.ts';

export const roundRobin = defineBalancer({
  name: 'round-robin',
  options: z.strictObject({}),
  build(servers) {
    let next = 0;
    return {
      pick(ctx) {
        const server = firstEligible(servers, ctx, next);
        if (server) next = (server.index + 1) % servers.length;
        return server;
      },
    };
  },
});
