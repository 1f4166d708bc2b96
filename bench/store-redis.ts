// The Redis session store's cost, side by side with the memory store in one run: (1) a pinned
// app-cookie request's work in Mooring (resolve, route, choose, commit) with each store, alternating
// rounds, as CPU time per request; (2) a new session's wait: Redis commands awaited per new session
// (counted by Redis itself) and its time against one PING round trip. Needs Redis on 127.0.0.1:6379.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createClient } from 'redis';
import { parseConfigObject } from '../src/config/load.ts';
import { EventLog } from '../src/core/events.ts';
import { systemClock, systemRandom } from '../src/core/clock.ts';
import { blockListOf } from '../src/config/fields.ts';
import { silentLogger } from '../src/log.ts';
import { Topology } from '../src/topology/topology.ts';
import { resolveRequest, routeRequest } from '../src/proxy/handler.ts';
import { ListenerRouter } from '../src/rules/router.ts';
import { DeadlineList } from '../src/proxy/deadlines.ts';
import type { ListenerContext } from '../src/proxy/context.ts';
import { memoryStores, sessionStores, type SessionStores } from '../src/state/stores.ts';
import type { StoreConfig } from '../src/state/schema.ts';

const KEY = 'bench-cookie-key-0123456789abcdef0123';
const REDIS = 'redis://127.0.0.1:6379';
const prefix = `mooring-bench:${randomBytes(4).toString('hex')}:`;

function setup(stores: SessionStores) {
  const config = parseConfigObject({
    listeners: [{ name: 'w', address: '127.0.0.1:0', service: 's' }],
    services: [{ name: 's', persistence: { method: 'app-cookie', appCookie: 'JSESSIONID', keys: [KEY] }, servers: ['a', 'b', 'c'].map((id, i) => ({ id, url: `http://127.0.0.1:${9000 + i}` })) }],
  });
  const topology = new Topology(config, { clock: systemClock, random: systemRandom }, new EventLog(), { stores });
  const handle = topology.handles.get('s')!;
  const ctx: ListenerContext = {
    listener: 'w', proto: 'http', router: new ListenerRouter([], topology.handles, handle, undefined), defaultService: 's', trusted: blockListOf([]), trustsProxies: false,
    limits: config.limits, timeouts: config.timeouts, log: silentLogger, activity: { requests: 0, tunnels: new Set() }, deadlines: new DeadlineList(1000), records: undefined,
  };
  const socket = { remoteAddress: '127.0.0.1' };
  const request = (cookie: string) => ({ url: '/1k', method: 'GET', socket, rawHeaders: ['Host', '127.0.0.1:8080', 'User-Agent', 'wrk', 'Cookie', cookie] }) as unknown as IncomingMessage;
  /** One request's work; returns its Set-Cookie headers. */
  const once = async (req: IncomingMessage, awaitLookup: boolean): Promise<string[]> => {
    const routing = routeRequest(handle.current, req, resolveRequest(ctx, req, false));
    const lookup = awaitLookup ? routing.lookup() : undefined;
    if (lookup) await lookup;
    const choice = routing.choose();
    const response = ['content-length', '1024'];
    if (routing.persist && routing.identity && 'server' in choice) handle.current.persistence!.commit({ req: routing.persist, identity: routing.identity, server: choice.server, response });
    return response.filter((_, i) => i % 2 === 1 && response[i - 1] === 'set-cookie');
  };
  return { topology, request, once };
}

/** 64 pinned clients: each has its app cookie and the Mooring cookie Mooring gave it. */
async function pinnedClients(s: ReturnType<typeof setup>): Promise<IncomingMessage[]> {
  const out: IncomingMessage[] = [];
  for (let i = 0; i < 64; i++) {
    const app = `JSESSIONID=${randomBytes(12).toString('hex')}`;
    const set = await s.once(s.request(app), true);
    const mooring = set.find((c) => c.startsWith('mooring='))?.split(';')[0];
    out.push(s.request(mooring ? `${app}; ${mooring}` : app));
  }
  return out;
}

function cpuPerRequest(s: ReturnType<typeof setup>, reqs: IncomingMessage[], n: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) void s.once(reqs[i & 63]!, false);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

const redisStores = sessionStores({ type: 'redis', url: REDIS, prefix, timeout: 250 } as StoreConfig, silentLogger);
const until = Date.now() + 5000;
while (!redisStores.up && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
if (!redisStores.up) throw new Error('Redis on 127.0.0.1:6379 does not answer');
const mem = setup(memoryStores);
const red = setup(redisStores);
const memReqs = await pinnedClients(mem);
const redReqs = await pinnedClients(red);

const ROUNDS = 9;
const N = 100_000;
cpuPerRequest(mem, memReqs, 20_000);
cpuPerRequest(red, redReqs, 20_000);
const ratios: number[] = [];
const m: number[] = [];
const r: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const a = cpuPerRequest(mem, memReqs, N);
  const b = cpuPerRequest(red, redReqs, N);
  m.push(a);
  r.push(b);
  ratios.push(b / a);
  await new Promise((res) => setImmediate(res));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

// New sessions: commands awaited, by Redis's own count of GETs, and time against a PING.
const probe = createClient({ url: REDIS });
await probe.connect();
const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await probe.info('commandstats'))?.[1] ?? 0);
const NEW = 2000;
const before = await gets();
let t = process.hrtime.bigint();
for (let i = 0; i < NEW; i++) await red.once(red.request(`JSESSIONID=${randomBytes(12).toString('hex')}`), true);
const newNs = Number(process.hrtime.bigint() - t) / NEW;
const getsPerNew = ((await gets()) - before - 1) / NEW;
t = process.hrtime.bigint();
for (let i = 0; i < NEW; i++) await probe.ping();
const pingNs = Number(process.hrtime.bigint() - t) / NEW;

console.log(`pinned app-cookie request, Mooring's own work (CPU per request, median of ${ROUNDS} alternating rounds):`);
console.log(`  memory store ${(median(m) / 1000).toFixed(2)} µs, redis store ${(median(r) / 1000).toFixed(2)} µs: ratio ${median(ratios).toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
console.log(`new session with the redis store: ${getsPerNew.toFixed(2)} GETs awaited per new session; ${(newNs / 1000).toFixed(0)} µs each vs ${(pingNs / 1000).toFixed(0)} µs per PING round trip (${(newNs / pingNs).toFixed(2)}x)`);

const keys: string[] = [];
for await (const batch of probe.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
if (keys.length > 0) await probe.del(keys);
await probe.close();
mem.topology.stop();
red.topology.stop();
await redisStores.close(1000);
