// One monitor's verdict on one server from its results in a row: `rise` passes to go up, `fall`
// failures to go down (as HAProxy's check rise/fall). Until a first verdict the server counts as
// `assume`, so a first result that agrees with the assumption settles it at once.
import type { HealthState } from './table.ts';

export interface RiseFall {
  readonly state: HealthState;
  /** Passes (or failures) in a row toward changing state. */
  readonly passes: number;
  readonly fails: number;
}

export interface Thresholds {
  readonly rise: number;
  readonly fall: number;
  readonly assume: 'up' | 'down';
}

export const UNKNOWN: RiseFall = { state: 'unknown', passes: 0, fails: 0 };

export function nextVerdict(current: RiseFall, passed: boolean, t: Thresholds): RiseFall {
  const { state } = current;
  if (passed) {
    if (state === 'up') return current.fails === 0 ? current : { state, passes: 0, fails: 0 };
    if (state === 'unknown' && t.assume === 'up') return { state: 'up', passes: 0, fails: 0 };
    const passes = current.passes + 1;
    return passes >= t.rise ? { state: 'up', passes: 0, fails: 0 } : { state, passes, fails: 0 };
  }
  if (state === 'down') return current.passes === 0 ? current : { state, passes: 0, fails: 0 };
  if (state === 'unknown' && t.assume === 'down') return { state: 'down', passes: 0, fails: 0 };
  const fails = current.fails + 1;
  return fails >= t.fall ? { state: 'down', passes: 0, fails: 0 } : { state, passes: 0, fails };
}
