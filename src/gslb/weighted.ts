// weighted: each new session picks a data center with probability weight / sum of the UP ones'
// weights; the others follow in config order as fallbacks.
import type { GslbMode } from './types.ts';

export const weighted: GslbMode = {
  name: 'weighted',
  build(_all, env) {
    return {
      order(up) {
        if (up.length < 2) return up;
        const total = up.reduce((n, dc) => n + dc.weight, 0);
        let ticket = env.random.next() * total;
        const first = up.findIndex((dc) => (ticket -= dc.weight) < 0);
        const chosen = up[first === -1 ? up.length - 1 : first]!;
        return [chosen, ...up.filter((dc) => dc !== chosen)];
      },
    };
  },
};
