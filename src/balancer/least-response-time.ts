// least-response-time: lowest expected wait = EWMA of time to first byte × (in-flight + 1) / weight.
// The average decays with time since its last sample, so a server that was slow once is tried again
// instead of being starved forever. Unmeasured servers score 0 and are tried first.
import { z } from 'zod';
import { defineBalancer } from './types.ts';
import { lowestScoreAt } from './scan.ts';

/** After this long without a sample, a server's average counts half as much. */
const HALF_LIFE_MS = 5000;

export const leastResponseTime = defineBalancer({
  name: 'least-response-time',
  options: z.strictObject({}),
  build(servers, _options, env) {
    let start = 0;
    const lastSampleAt = new Float64Array(servers.length);
    const lastSeen = new Float64Array(servers.length);
    return {
      pick(ctx) {
        const now = env.clock.now();
        start = (start + 1) % servers.length;
        const at = lowestScoreAt(servers, ctx, start, (s, i) => {
          // A changed average means a new sample arrived since we last looked.
          if (lastSeen[i] !== s.load.ewmaTtfbMs) {
            lastSeen[i] = s.load.ewmaTtfbMs;
            lastSampleAt[i] = now;
          }
          const decay = Math.pow(0.5, (now - lastSampleAt[i]!) / HALF_LIFE_MS);
          return (s.load.ewmaTtfbMs * decay * (s.load.inflight + 1)) / s.weight;
        });
        return at < 0 ? undefined : servers[at];
      },
    };
  },
});
