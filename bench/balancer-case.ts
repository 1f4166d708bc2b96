// One balancer micro-benchmark case in a process of its own (so one algorithm's call sites do not
// slow another's): prints the median nanoseconds per pick. Usage: balancer-case.ts NAME SERVERS
import { balancerFactory } from '../src/balancer/registry.ts';
import { makeServers } from '../src/balancer/test-servers.ts';
import { seededRandom, systemClock } from '../src/core/clock.ts';
import type { PickContext } from '../src/balancer/types.ts';
import { measure } from './measure.ts';

const [name = 'round-robin', countText = '3'] = process.argv.slice(2);
const factory = balancerFactory(name);
if (!factory) throw new Error(`unknown algorithm ${name}`);
const servers = makeServers(Array.from({ length: Number(countText) }, (_, i) => 1 + (i % 3)));
const balancer = factory.build(servers, factory.options.parse({}), { random: seededRandom(1), clock: systemClock });
const contexts: PickContext[] = Array.from({ length: 1024 }, (_, i) => ({ key: `client-${i}`, attempt: 0, eligible: () => true, weightFactor: () => 1 }));
// Each pick starts a request on its server and ends the one picked 32 picks ago: a steady load.
const inflight: (typeof servers)[number][] = [];
const result = measure('pick', 200_000, (i) => {
  const server = balancer.pick(contexts[i & 1023]!)!;
  server.load.inflight++;
  balancer.loadChanged?.(server);
  inflight.push(server);
  if (inflight.length > 32) {
    const done = inflight.shift()!;
    done.load.inflight--;
    balancer.loadChanged?.(done);
  }
});
console.log(result.ns.toFixed(0));
