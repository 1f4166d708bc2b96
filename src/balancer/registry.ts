// The only place balancing algorithm names appear: adding an algorithm is one file and one line here.
import type { BalancerFactory } from './types.ts';
import { roundRobin } from './round-robin.ts';
import { weightedRoundRobin } from './weighted-round-robin.ts';
import { leastConnections } from './least-connections.ts';
import { leastResponseTime } from './least-response-time.ts';
import { twoRandomChoices } from './two-random-choices.ts';
import { maglev } from './maglev.ts';

const factories: readonly BalancerFactory<object>[] = [
  roundRobin,
  weightedRoundRobin,
  leastConnections,
  leastResponseTime,
  twoRandomChoices,
  maglev as BalancerFactory<object>,
];

export const balancerNames = factories.map((f) => f.name) as [string, ...string[]];

export function balancerFactory(name: string): BalancerFactory<object> | undefined {
  return factories.find((f) => f.name === name);
}
