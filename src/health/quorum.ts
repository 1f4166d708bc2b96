// Several monitors on one server decide together: it is DOWN when at least `monitorsRequired` of
// them say so ("most" = more than half), UP once that can no longer happen, else unknown. Other
// Mooring instances' votes will join the same count.
import type { HealthState } from './table.ts';

export type Required = 'one' | 'most' | 'all' | number;

/** Down votes needed among `n` monitors (a number above n means all of them). */
export function votesNeeded(required: Required, n: number): number {
  if (required === 'one') return Math.min(1, n);
  if (required === 'most') return Math.floor(n / 2) + 1;
  if (required === 'all') return n;
  return Math.min(required, n);
}

export function quorum(votes: readonly HealthState[], required: Required): HealthState {
  const n = votes.length;
  if (n === 0) return 'unknown';
  const need = votesNeeded(required, n);
  let down = 0;
  let up = 0;
  for (const v of votes) {
    if (v === 'down') down++;
    else if (v === 'up') up++;
  }
  if (down >= need) return 'down';
  // Even if every monitor not yet up turned down, there would not be enough down votes.
  if (n - up < need) return 'up';
  return 'unknown';
}
