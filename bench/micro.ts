// Micro-benchmarks: nanoseconds per operation for the per-request pieces of persistence and
// balancing. Each case runs a warm-up, then several timed rounds; the median round is reported.
import { CookieCodec } from '../src/persistence/cookie-codec.ts';
import { CookiePersistence } from '../src/persistence/cookie.ts';
import { persistenceSchema } from '../src/persistence/schema.ts';
import { newSessionId } from '../src/persistence/session-id.ts';
import { MemorySessionStore } from '../src/state/memory-session-store.ts';
import { EndedSessions } from '../src/persistence/ended-sessions.ts';
import { NewKeyBudget } from '../src/persistence/new-key-budget.ts';
import { makeServers } from '../src/balancer/test-servers.ts';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PersistRequest } from '../src/persistence/types.ts';
import { measure, ROUNDS } from './measure.ts';
import { requestPathCases } from './request-path.ts';
import { ruleCases } from './rules-case.ts';
import { parserCases } from './parser-case.ts';
import { RequestView } from '../src/proxy/request-view.ts';
import { HealthTable } from '../src/health/table.ts';
import { EventLog } from '../src/core/events.ts';

function cookieCases() {
  const key = 'bench-key-0123456789abcdef0123456789';
  const servers = makeServers([1, 1, 1]);
  const codec = new CookieCodec([key], servers.map((s) => s.id));
  const now = Math.floor(Date.now() / 1000);
  const fields = { serverId: 's1', sessionId: newSessionId(), issuedAt: now, lastSeen: now, expiresAt: now + 28_800 };
  const values = Array.from({ length: 100_000 }, () => codec.encode({ ...fields, sessionId: newSessionId() }));
  const method = new CookiePersistence(persistenceSchema.parse({ method: 'cookie', keys: [key], cookie: { maxAge: '8h', idleTimeout: '30m' } }), servers.map((s) => s.id), { store: new MemorySessionStore({ maxEntries: 2_000_000, idleMs: 1_800_000 }), ended: new EndedSessions(), newKeys: new NewKeyBudget(1000) });
  const req = (cookie: string | undefined): PersistRequest => new RequestView(['User-Agent', 'bench'], '10.0.0.1', cookie, '/', false, Date.now());
  const reqs = values.slice(0, 1000).map((v) => req(`theme=dark; mooring=${v}; lang=en`));
  let fresh = 0;
  return [
    measure('cookie: issue (encode + sign)', 100_000, (i) => codec.encode({ ...fields, lastSeen: now + (i & 1023) })),
    // Each value seen once: every verify pays the HMAC (a fresh codec, so nothing is cached).
    (() => {
      const cold = new CookieCodec([key], servers.map((s) => s.id));
      return measure('cookie: verify, first sight (HMAC)', 10_000, () => cold.decode(values[fresh++ % values.length]!));
    })(),
    measure('cookie: verify, returning client (cached)', 200_000, (i) => codec.decode(values[i % 1000]!)),
    measure('cookie method: identify + commit, valid cookie', 200_000, (i) => {
      const r = reqs[i % 1000]!;
      const identity = method.identify(r);
      method.commit({ req: r, identity, server: servers[1]!, response: [] });
    }),
    measure('cookie method: identify + commit, new client (issues a cookie)', 50_000, () => {
      const r = req(undefined);
      const identity = method.identify(r);
      method.commit({ req: r, identity, server: servers[0]!, response: [] });
    }),
  ];
}

function tableCases() {
  const table = new MemorySessionStore({ maxEntries: 2_000_000, idleMs: 1_800_000 });
  const keys = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  for (const k of keys) table.bind(k, 's0', Date.now());
  return [measure('session table: find + touch', 500_000, (i) => {
    const k = keys[i % keys.length]!;
    const e = table.find(k, Date.now());
    if (typeof e === 'object') table.touch(k, e, Date.now());
  })];
}

/** Eligibility, weight and standing of a server, per request: flat in the number of servers. */
function healthCases() {
  return [2, 100, 1000].map((n) => {
    const ids = Array.from({ length: n }, (_, i) => `s${i}`);
    const members = ids.map((id) => ({ id, datacenter: 'dc', backup: false, admin: 'enabled' as const, assume: 'up' as const }));
    const table = new HealthTable('bench', members, { slowStart: 30_000, passive: undefined, drainDeadline: 0, drainRate: 1 }, new EventLog(), 0);
    table.setMonitored('s1', 'down', 'bench', 0);
    table.setMonitored('s1', 'up', 'bench', 0); // one server ramping
    let sink = 0;
    const result = measure(`health: acceptsNew + weightFactor + acceptsExisting, ${n} servers`, 1_000_000, (i) => {
      const id = ids[i % n]!;
      if (table.acceptsNew(id) && table.acceptsExisting(id)) sink += table.weightFactor(id, 1000);
    });
    if (sink < 0) console.log(sink);
    return result;
  });
}

/** Each algorithm and size in its own process: a shared process would make every call site megamorphic. */
function balancerCases() {
  const out = [];
  for (const name of ['round-robin', 'weighted-round-robin', 'least-connections', 'two-random-choices', 'maglev']) {
    for (const n of [2, 100, 1000]) {
      const ns = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('balancer-case.ts', import.meta.url)), name, String(n)], { encoding: 'utf8' });
      out.push({ name: `balancer ${name}, ${n} servers (pick + load update)`, ns: Number(ns.trim()) });
    }
  }
  return out;
}

const results = [...cookieCases(), ...requestPathCases(), ...parserCases(), ...tableCases(), ...healthCases(), ...ruleCases(), ...balancerCases()];
const width = Math.max(...results.map((r) => r.name.length));
console.log(`${'operation'.padEnd(width)}  ns/op (median of ${ROUNDS} rounds)`);
for (const r of results) console.log(`${r.name.padEnd(width)}  ${r.ns.toFixed(0).padStart(8)}`);
