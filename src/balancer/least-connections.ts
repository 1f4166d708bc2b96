// least-connections: the server with the fewest in-flight requests per unit of weight; equal
// servers take turns.
import { z } from 'zod';
import { defineBalancer } from './types.ts';
import { lowestScore } from './scan.ts';
import type { Server } from '../core/server.ts';

const score = (s: Server): number => (s.load.inflight + 1) / s.weight;

export const leastConnections = defineBalancer({
  name: 'least-connections',
  options: z.strictObject({}),
  build(servers) {
    let start = 0;
    return {
      pick(ctx) {
        start = (start + 1) % servers.length;
        return lowestScore(servers, ctx, start, score);
      },
    };
  },
});
