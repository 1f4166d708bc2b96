// best-connection-time: new sessions go to the UP data center whose servers answer soonest, by the
// moving average of their time to first byte (connect included when a connection is opened) from
// real traffic. A data center not measured yet counts as fastest, so it gets measured. The leader
// keeps its place until another is faster by more than HYSTERESIS (and 1 ms), so near-equal data
// centers don't flap.
import type { DcView, GslbMode } from './types.ts';

export const HYSTERESIS = 0.2;

/** The average of its measured servers' times; 0 when none is measured. */
function score(dc: DcView): number {
  let sum = 0;
  let n = 0;
  for (const s of dc.servers) {
    if (s.load.ewmaTtfbMs > 0) {
      sum += s.load.ewmaTtfbMs;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

export const bestConnectionTime: GslbMode = {
  name: 'best-connection-time',
  build() {
    let leader: string | undefined;
    return {
      order(up) {
        if (up.length < 2) return up;
        const scored = up.map((dc) => ({ dc, score: score(dc) })).sort((a, b) => a.score - b.score);
        const best = scored[0]!;
        const current = scored.find((x) => x.dc.name === leader);
        if (!current || current.score > best.score * (1 + HYSTERESIS) + 1) leader = best.dc.name;
        const first = scored.find((x) => x.dc.name === leader)!;
        return [first.dc, ...scored.filter((x) => x !== first).map((x) => x.dc)];
      },
    };
  },
};
