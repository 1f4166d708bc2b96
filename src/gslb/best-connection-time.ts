// best-connection-time: new sessions go to the UP data center that answers soonest, as measured
// continuously by a light probe of every data center (latency.ts), not by the traffic each happens
// to get: a data center once slow is measured again and wins back new sessions once it is fast.
// Data centers among the fastest (within a margin, with hysteresis) share new sessions in turn, so
// two that answer alike split them instead of one winning on noise. The rest follow by their time.
import type { DcView, GslbMode } from './types.ts';

export const bestConnectionTime: GslbMode = {
  name: 'best-connection-time',
  build(_all, _env, _geo, measures) {
    let turn = 0;
    const byTime = (a: DcView, b: DcView) => (measures.score(a.name) ?? 0) - (measures.score(b.name) ?? 0);
    return {
      order(up) {
        if (up.length < 2) return up;
        const fastest = up.filter((dc) => measures.isFastest(dc.name));
        const first = fastest.length > 0 ? fastest[turn++ % fastest.length]! : [...up].sort(byTime)[0]!;
        return [first, ...up.filter((dc) => dc !== first).sort(byTime)];
      },
    };
  },
};
