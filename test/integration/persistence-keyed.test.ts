// Keyed persistence for clients without cookies: client IP (with masks and trusted proxies), a
// header (given or learned from the response), a query parameter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { get, startBackend, startMooring, type Backend } from '../helpers.ts';

describe('persistence: client-ip, header, query', () => {
  let backends: Backend[];
  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          if (req.url === '/initialize') res.setHeader('mcp-session-id', `session-from-${name}-${Math.random()}`);
          res.end(name);
        }),
      ),
    );
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  it('client-ip: each client address sticks; trusted X-Forwarded-For names the client; masks group neighbours', async () => {
    const app = await startMooring(backends, {
      service: { persistence: { method: 'client-ip', clientIp: { ipv4Prefix: 24 }, debugHeader: true } },
      top: { trustedProxies: ['127.0.0.1'] },
    });
    try {
      const home = new Map<string, string>();
      for (let round = 0; round < 5; round++) {
        for (const ip of ['198.51.100.7', '203.0.113.9', '192.0.2.44', '2001:db8:1:2::9']) {
          const res = await get(app.url(), { 'x-forwarded-for': ip });
          if (round === 0) home.set(ip, res.body);
          else assert.equal(res.body, home.get(ip), `${ip} moved`);
        }
      }
      assert.equal(new Set(home.values()).size, 3, 'four clients, three servers: all used');
      // Same /24 as 198.51.100.7: same server.
      assert.equal((await get(app.url(), { 'x-forwarded-for': '198.51.100.200' })).body, home.get('198.51.100.7'));
      // A /64 neighbour of the IPv6 client.
      assert.equal((await get(app.url(), { 'x-forwarded-for': '2001:db8:1:2::abcd' })).body, home.get('2001:db8:1:2::9'));
    } finally {
      await app.stop();
    }
  });

  it('client-ip from an untrusted peer: its X-Forwarded-For cannot pick another session', async () => {
    const app = await startMooring(backends, { service: { persistence: { method: 'client-ip' } } });
    try {
      const first = (await get(app.url(), { 'x-forwarded-for': '1.1.1.1' })).body;
      for (let i = 0; i < 6; i++) assert.equal((await get(app.url(), { 'x-forwarded-for': `9.9.9.${i}` })).body, first);
    } finally {
      await app.stop();
    }
  });

  it('header: each X-Session-Id sticks; requests without it are spread', async () => {
    const app = await startMooring(backends, { service: { persistence: { method: 'header', header: 'X-Session-Id', debugHeader: true } } });
    try {
      const home = new Map<string, string>();
      for (let round = 0; round < 4; round++) {
        for (const sid of ['s1', 's2', 's3', 's4', 's5']) {
          const res = await get(app.url(), { 'x-session-id': sid });
          if (round === 0) home.set(sid, res.body);
          else {
            assert.equal(res.body, home.get(sid));
            assert.equal(res.headers['mooring-decision'], `honored; server=${res.body}`);
          }
        }
      }
      const plain = await Promise.all([1, 2, 3].map(() => get(app.url())));
      assert.equal(new Set(plain.map((r) => r.body)).size, 3);
      assert.match(String(plain[0]!.headers['mooring-decision']), /^new; /);
    } finally {
      await app.stop();
    }
  });

  it('header with learnFromResponse: the key the server hands out routes the client back to it', async () => {
    const app = await startMooring(backends, { service: { persistence: { method: 'header', header: 'Mcp-Session-Id', learnFromResponse: true } } });
    try {
      for (let client = 0; client < 3; client++) {
        const init = await get(`${app.url()}/initialize`);
        const sid = String(init.headers['mcp-session-id']);
        assert.match(sid, new RegExp(`^session-from-${init.body}-`));
        for (let i = 0; i < 5; i++) assert.equal((await get(`${app.url()}/call`, { 'mcp-session-id': sid })).body, init.body);
      }
    } finally {
      await app.stop();
    }
  });

  it('query: ?sid= sticks', async () => {
    const app = await startMooring(backends, { service: { persistence: { method: 'query', query: 'sid' } } });
    try {
      const home = (await get(`${app.url()}/x?sid=abc&y=1`)).body;
      for (let i = 0; i < 6; i++) assert.equal((await get(`${app.url()}/page/${i}?y=${i}&sid=abc`)).body, home);
    } finally {
      await app.stop();
    }
  });
});
