// Rule matching and GSLB ordering per request: a listener router over N CIDR rules (flat in N, the
// prefix trie), and the best-connection-time order over 10 data centers.
import { makeServers } from '../src/balancer/test-servers.ts';
import { seededRandom, systemClock } from '../src/core/clock.ts';
import { DatacenterLatency } from '../src/gslb/latency.ts';
import { bestConnectionTime } from '../src/gslb/best-connection-time.ts';
import { NO_GEO } from '../src/gslb/geo.ts';
import { ListenerRouter, type RouteRequest } from '../src/rules/router.ts';
import { ruleSchema } from '../src/rules/schema.ts';
import { measure } from './measure.ts';

export function ruleCases() {
  const rules = [10, 100, 1000].map((n) => {
    // N disjoint /24 blocks (v4) and /48 blocks (v6), each routing to a service; clients spread over them.
    const configs = Array.from({ length: n }, (_, i) => ruleSchema.parse({ match: { cidr: [`10.${i >> 8}.${i & 255}.0/24`, `2001:db8:${i.toString(16)}::/48`] }, service: 'svc' }));
    const router = new ListenerRouter(configs, new Map([['svc', 'svc']]), 'default', undefined);
    const requests: RouteRequest[] = Array.from({ length: 1024 }, (_, i) => {
      const block = (i * 7919) % n;
      const clientIp = i & 1 ? `2001:db8:${block.toString(16)}::${i}` : `10.${block >> 8}.${block & 255}.${i & 255}`;
      return { method: 'GET', host: 'shop.example', target: '/', clientIp, secure: false, header: () => undefined };
    });
    let hits = 0;
    const result = measure(`rules: route by CIDR, ${n} rules (IPv4 and IPv6 clients)`, 200_000, (i) => {
      if (router.route(requests[i & 1023]!).kind === 'service') hits++;
    });
    if (hits === 0) throw new Error('no rule matched');
    return result;
  });
  const latency = new DatacenterLatency({ path: '/', interval: 2000, timeout: 1000 });
  const dcs = Array.from({ length: 10 }, (_, d) => {
    latency.measured(`dc${d}`, 5 + d);
    return { name: `dc${d}`, weight: 1, servers: makeServers([1, 1, 1], `dc${d}-`) };
  });
  const order = bestConnectionTime.build(dcs, { random: seededRandom(1), clock: systemClock }, NO_GEO, latency);
  const gslb = measure('gslb: best-connection-time order, 10 data centers', 200_000, () => order.order(dcs));
  return [...rules, gslb];
}
