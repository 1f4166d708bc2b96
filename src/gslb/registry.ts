// The only place GSLB mode names appear: adding a mode is one file and one line here.
import { bestConnectionTime } from './best-connection-time.ts';
import { failover } from './failover.ts';
import { geoPreferred } from './geo-preferred.ts';
import { geoRequired } from './geo-required.ts';
import { roundRobin } from './round-robin.ts';
import type { GslbMode } from './types.ts';
import { weighted } from './weighted.ts';

const modes: readonly GslbMode[] = [bestConnectionTime, failover, weighted, roundRobin, geoPreferred, geoRequired];

export const gslbModeNames = modes.map((m) => m.name) as [string, ...string[]];
/** The modes that read a client's place: they need a geo-IP database, and cannot be a fallback. */
export const geoModeNames = ['geo-preferred', 'geo-required'];
export const fallbackModeNames = gslbModeNames.filter((m) => !geoModeNames.includes(m)) as [string, ...string[]];

export function gslbMode(name: string): GslbMode | undefined {
  return modes.find((m) => m.name === name);
}
