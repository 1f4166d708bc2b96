// round-robin: new sessions take the UP data centers in turn (the others follow as fallbacks).
import type { GslbMode } from './types.ts';

export const roundRobin: GslbMode = {
  name: 'round-robin',
  build() {
    let turn = 0;
    return {
      order(up) {
        if (up.length < 2) return up;
        const first = turn++ % up.length;
        return [...up.slice(first), ...up.slice(0, first)];
      },
    };
  },
};
