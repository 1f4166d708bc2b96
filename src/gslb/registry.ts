// The only place GSLB mode names appear: adding a mode is one file and one line here.
import { bestConnectionTime } from './best-connection-time.ts';
import { failover } from './failover.ts';
import { roundRobin } from './round-robin.ts';
import type { GslbMode } from './types.ts';
import { weighted } from './weighted.ts';

const modes: readonly GslbMode[] = [bestConnectionTime, failover, weighted, roundRobin];

export const gslbModeNames = modes.map((m) => m.name) as [string, ...string[]];

export function gslbMode(name: string): GslbMode | undefined {
  return modes.find((m) => m.name === name);
}
