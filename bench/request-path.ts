// Mooring's own per-request work without sockets: resolve the client, route (persistence included),
// choose a server, commit the session. Shows what Mooring adds on top of node:http and undici.
import { parseConfigObject } from '../src/config/load.ts';
import { EventLog } from '../src/core/events.ts';
import { Topology } from '../src/topology/topology.ts';
import { resolveRequest, routeRequest } from '../src/proxy/handler.ts';
import { ListenerRouter } from '../src/rules/router.ts';
import type { ListenerContext } from '../src/proxy/context.ts';
import { DeadlineList } from '../src/proxy/deadlines.ts';
import { systemClock, systemRandom } from '../src/core/clock.ts';
import { blockListOf } from '../src/config/fields.ts';
import { silentLogger } from '../src/log.ts';
import { CookieCodec } from '../src/persistence/cookie-codec.ts';
import { newSessionId } from '../src/persistence/session-id.ts';
import type { IncomingMessage } from 'node:http';
import { measure } from './measure.ts';

const KEY = 'bench-cookie-key-0123456789abcdef0123';
const codec = new CookieCodec([KEY], ['a', 'b', 'c']);
const now = Math.floor(Date.now() / 1000);
const cookies = Array.from({ length: 64 }, (_, i) => `mooring=${codec.encode({ serverId: 'abc'[i % 3]!, sessionId: newSessionId(), issuedAt: now, lastSeen: now, expiresAt: 0 })}`);

export function requestPathCases() {
  const methods = [{ method: 'none' }, { method: 'cookie', keys: [KEY], cookie: { idleTimeout: '30m' } }, { method: 'client-ip' }];
  return methods.map((persistence) => {
    const config = parseConfigObject({
      listeners: [{ name: 'w', address: '127.0.0.1:0', service: 's' }],
      services: [{ name: 's', persistence, servers: ['a', 'b', 'c'].map((id, i) => ({ id, url: `http://127.0.0.1:${9000 + i}` })) }],
    });
    const topology = new Topology(config, { clock: systemClock, random: systemRandom }, new EventLog());
    const handle = topology.handles.get('s')!;
    const ctx: ListenerContext = {
      listener: 'w', proto: 'http', router: new ListenerRouter([], topology.handles, handle, undefined), defaultService: 's', trusted: blockListOf([]), trustsProxies: false,
      limits: config.limits, timeouts: config.timeouts, log: silentLogger, activity: { requests: 0, tunnels: new Set() },
      deadlines: new DeadlineList(1000), records: undefined,
    };
    const socket = { remoteAddress: '127.0.0.1' };
    const reqs = cookies.map((c) => ({ url: '/1k', method: 'GET', socket, rawHeaders: ['Host', '127.0.0.1:8080', 'User-Agent', 'wrk', 'Cookie', c] }) as unknown as IncomingMessage);
    const result = measure(`request path, persistence ${persistence.method}`, 200_000, (i) => {
      const req = reqs[i & 63]!;
      const resolved = resolveRequest(ctx, req, false);
      const routing = routeRequest(handle.current, req, resolved);
      const { persist } = routing;
      const choice = routing.choose();
      if (persist && routing.identity && 'server' in choice) {
        handle.current.persistence!.commit({ req: persist, identity: routing.identity, server: choice.server, response: ['content-length', '1024'] });
      }
    });
    topology.stop();
    return result;
  });
}
