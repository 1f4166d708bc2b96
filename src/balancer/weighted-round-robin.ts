// weighted-round-robin: smooth weighted round robin (as in nginx): over any window each server gets
// its share of picks, interleaved rather than in bursts (weights 5,1,1 give a a b a c a a, not a a a a a b c).
import { z } from 'zod';
import { defineBalancer } from './types.ts';

export const weightedRoundRobin = defineBalancer({
  name: 'weighted-round-robin',
  options: z.strictObject({}),
  build(servers) {
    const current = new Float64Array(servers.length);
    return {
      pick(ctx) {
        let total = 0;
        let best = -1;
        for (let i = 0; i < servers.length; i++) {
          const server = servers[i]!;
          if (!ctx.eligible(server)) continue;
          current[i]! += server.weight;
          total += server.weight;
          if (best < 0 || current[i]! > current[best]!) best = i;
        }
        if (best < 0) return undefined;
        current[best]! -= total;
        return servers[best];
      },
    };
  },
});
