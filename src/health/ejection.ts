// Passive health (outlier detection, as Envoy's): finished requests report how they ended; a server
// with too many failures in a row is ejected for a while, longer each time it happens again.

/** How a finished request ended, as passive health sees it. */
export type Outcome = 'success' | 'connect' | 'timeout' | 'reset' | 'bad-response' | '5xx';

export const failureOutcomes = ['connect', 'timeout', 'reset', 'bad-response', '5xx'] as const;

export interface PassiveSettings {
  readonly consecutiveFailures: number;
  readonly failOn: readonly Outcome[];
  /** First ejection's length, ms; each repeat doubles it up to maxEjectFor. */
  readonly ejectFor: number;
  readonly maxEjectFor: number;
  /** Most servers of one data center ejected at once, as a percentage of its servers. */
  readonly maxEjectedPercent: number;
}

/** Length of an ejection after `previous` earlier ones (reset once a server stays healthy). */
export function ejectionLength(previous: number, s: PassiveSettings): number {
  return Math.min(s.maxEjectFor, s.ejectFor * 2 ** Math.min(previous, 30));
}

/**
 * May one more of `total` servers be ejected while `ejected` already are? Never beyond the
 * percentage: a lone server is never ejected (ejecting it would serve no one better).
 */
export function ejectionAllowed(ejected: number, total: number, maxPercent: number): boolean {
  return ejected + 1 <= Math.floor((total * maxPercent) / 100);
}
