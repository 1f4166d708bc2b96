// method: cookie, end to end: stickiness, cookie attributes, bad cookies, key rotation, refresh
// policy, and first-burst grouping.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CookieCodec } from '../../src/persistence/cookie-codec.ts';
import { CookieJar, get, jarGet, OLD_TEST_KEY, startBackend, startMooring, TEST_KEY, type Backend } from '../helpers.ts';

const cookieService = (extra: Record<string, unknown> = {}, keys = [TEST_KEY]) => ({
  service: { persistence: { method: 'cookie', keys, debugHeader: true, ...extra } },
});

describe('persistence: cookie', () => {
  let backends: Backend[];
  const seenCookies: (string | undefined)[] = [];
  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          seenCookies.push(req.headers.cookie);
          req.resume();
          res.end(name);
        }),
      ),
    );
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  it('a client with a cookie jar stays on one server for 200 requests while other clients spread evenly', async () => {
    const app = await startMooring(backends, cookieService({ firstBurstWindow: '0s' }));
    try {
      const jar = new CookieJar();
      const first = await jarGet(app.url(), jar);
      assert.equal(first.headers['mooring-decision'], `new; server=${first.body}`);
      const others = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const res = await jarGet(app.url(), jar);
        assert.equal(res.body, first.body, `request ${i} moved`);
        assert.equal(res.headers['mooring-decision'], `honored; server=${first.body}`);
        // Interleaved: a fresh client (no jar) every other request.
        if (i % 2 === 0) {
          const other = await get(app.url());
          others.set(other.body, (others.get(other.body) ?? 0) + 1);
        }
      }
      assert.deepEqual([...others.keys()].sort(), ['a', 'b', 'c']);
      for (const n of others.values()) assert.ok(Math.abs(n - 100 / 3) <= 2, `fresh clients spread ${[...others]}`);
    } finally {
      await app.stop();
    }
  });

  it('sets a signed, opaque cookie with the configured attributes; keeps it from the server and from shared caches', async () => {
    const app = await startMooring(backends, cookieService({ cookie: { name: 'lb', maxAge: '8h', idleTimeout: '30m', domain: 'shop.example' } }));
    try {
      const res = await get(app.url(), { cookie: 'theme=dark' });
      const setCookie = String(res.headers['set-cookie']);
      assert.match(setCookie, /^lb=[A-Za-z0-9_-]+; Max-Age=28800; Domain=shop\.example; Path=\/; HttpOnly; SameSite=Lax$/);
      // The server id is encrypted (the codec's unit test proves it with a long id; a one-letter id
      // like this one appears in any random value by chance, about one cookie in twenty).
      assert.ok(!setCookie.includes('127.0.0.1'), 'the address is not in it');
      assert.equal(res.headers['cache-control'], 'private');
      const jar = new CookieJar();
      jar.take(res.headers['set-cookie']);
      jar.cookies.set('theme', 'dark');
      await jarGet(app.url(), jar);
      assert.equal(seenCookies.at(-1), 'theme=dark', "the server sees the app's cookies, not Mooring's");
      const onlyOurs = new CookieJar();
      onlyOurs.take(res.headers['set-cookie']);
      await jarGet(app.url(), onlyOurs);
      assert.equal(seenCookies.at(-1), undefined);
    } finally {
      await app.stop();
    }
  });

  it('passToServer: true lets the server see the cookie; Secure follows a trusted X-Forwarded-Proto', async () => {
    const app = await startMooring(backends, {
      ...cookieService({ cookie: { passToServer: true, cacheControl: 'no-cache-set-cookie' } }),
      top: { trustedProxies: ['127.0.0.1'] },
    });
    try {
      const jar = new CookieJar();
      const res = await jarGet(app.url(), jar, { 'x-forwarded-proto': 'https' });
      assert.match(String(res.headers['set-cookie']), /; Secure; SameSite=Lax$/);
      assert.equal(res.headers['cache-control'], 'no-cache="Set-Cookie"');
      await jarGet(app.url(), jar);
      assert.match(seenCookies.at(-1) ?? '', /^mooring=/);
    } finally {
      await app.stop();
    }
  });

  it('refreshes the cookie only when a good part of the idle window has passed, not on every response', async () => {
    const app = await startMooring(backends, cookieService({ cookie: { idleTimeout: '30m' } }));
    try {
      const jar = new CookieJar();
      assert.ok((await jarGet(app.url(), jar)).headers['set-cookie']);
      for (let i = 0; i < 5; i++) assert.equal((await jarGet(app.url(), jar)).headers['set-cookie'], undefined);
      // A cookie last seen 10 minutes ago (a third of the window) is refreshed, and stays honored.
      const codec = new CookieCodec([TEST_KEY], ['a', 'b', 'c']);
      const now = Math.floor(Date.now() / 1000);
      const aging = codec.encode({ serverId: 'b', sessionId: 'AAAAAAAAAAA', issuedAt: now - 600, lastSeen: now - 600, expiresAt: 0 });
      const res = await get(app.url(), { cookie: `mooring=${aging}` });
      assert.equal(res.body, 'b');
      assert.equal(res.headers['mooring-decision'], 'honored; server=b');
      const refreshed = codec.decode(/mooring=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!)!;
      assert.ok(refreshed.lastSeen >= now && refreshed.issuedAt === now - 600 && refreshed.serverId === 'b');
    } finally {
      await app.stop();
    }
  });

  it('forged, truncated, expired and wrong-key cookies count as no cookie: a server is picked and a fresh cookie set', async () => {
    const app = await startMooring(backends, cookieService({ cookie: { maxAge: '1h', idleTimeout: '10m' } }));
    try {
      const codec = new CookieCodec([TEST_KEY], ['a', 'b', 'c']);
      const now = Math.floor(Date.now() / 1000);
      const good = codec.encode({ serverId: 'c', sessionId: 'BBBBBBBBBBB', issuedAt: now, lastSeen: now, expiresAt: now + 3600 });
      const forged = Buffer.from(good, 'base64url');
      forged[forged.length - 1]! ^= 1;
      const cases: [string, string][] = [
        ['invalid', forged.toString('base64url')],
        ['invalid', good.slice(0, 20)],
        ['invalid', 'not-a-cookie-at-all'],
        ['invalid', new CookieCodec(['some-other-key-0123456789abcdef'], ['c']).encode({ serverId: 'c', sessionId: 'BBBBBBBBBBB', issuedAt: now, lastSeen: now, expiresAt: 0 })],
        ['expired-life', codec.encode({ serverId: 'c', sessionId: 'BBBBBBBBBBB', issuedAt: now - 7200, lastSeen: now, expiresAt: now - 3600 })],
        ['expired-idle', codec.encode({ serverId: 'c', sessionId: 'BBBBBBBBBBB', issuedAt: now - 1800, lastSeen: now - 1200, expiresAt: now + 1800 })],
      ];
      for (const [decision, value] of cases) {
        const res = await get(app.url(), { cookie: `mooring=${value}` });
        assert.equal(res.status, 200);
        assert.match(String(res.headers['mooring-decision']), new RegExp(`^${decision}; server=[abc]$`), value);
        const fresh = codec.decode(/mooring=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!);
        assert.equal(fresh?.serverId, res.body, 'a fresh cookie names the server that answered');
      }
      assert.equal((await get(app.url(), { cookie: `mooring=${good}` })).body, 'c');
    } finally {
      await app.stop();
    }
  });

  it('key rotation: cookies signed with the old key stay honored and are re-signed with the new one', async () => {
    const before = await startMooring(backends, cookieService({}, [OLD_TEST_KEY]));
    const jar = new CookieJar();
    const pinned = (await jarGet(before.url(), jar)).body;
    await before.stop();
    const rotated = await startMooring(backends, cookieService({}, [TEST_KEY, OLD_TEST_KEY]));
    try {
      const oldCookie = jar.cookies.get('mooring');
      const res = await jarGet(rotated.url(), jar);
      assert.equal(res.body, pinned);
      assert.equal(res.headers['mooring-decision'], `honored; server=${pinned}`);
      assert.ok(res.headers['set-cookie'] && jar.cookies.get('mooring') !== oldCookie, 're-signed with the new key');
      assert.equal(new CookieCodec([TEST_KEY], ['a', 'b', 'c']).decode(jar.cookies.get('mooring')!)?.serverId, pinned);
      assert.equal((await jarGet(rotated.url(), jar)).headers['set-cookie'], undefined, 'a current cookie is not re-issued');
    } finally {
      await rotated.stop();
    }
  });

  it('first burst: cookie-less requests sent before the first answer share its server and session (decision burst); sequential ones spread', async () => {
    // Answers take 300 ms, so requests sent together all arrive before the first answer is sent.
    const slow = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n, (req, res, name) => (req.resume(), setTimeout(() => res.end(name), 300)))));
    const app = await startMooring(slow, cookieService()); // the default window, 2 s
    try {
      const ua = { 'user-agent': 'Browser/1.0 (burst test)' };
      const answers = await Promise.all(Array.from({ length: 6 }, () => get(app.url(), ua)));
      assert.equal(new Set(answers.map((a) => a.body)).size, 1, `burst spread over ${answers.map((a) => a.body)}`);
      const codec = new CookieCodec([TEST_KEY], ['a', 'b', 'c']);
      const sessions = new Set(answers.map((a) => codec.decode(/mooring=([^;]+)/.exec(String(a.headers['set-cookie']))![1]!)!.sessionId));
      assert.equal(sessions.size, 1, 'one session, not six');
      const decisions = answers.map((a) => String(a.headers['mooring-decision']).split(';')[0]).sort();
      assert.deepEqual(decisions, ['burst', 'burst', 'burst', 'burst', 'burst', 'new']);
      // The same client (IP and User-Agent) asking one request after another, without a cookie: a
      // curl loop, a load test, users behind one NAT. Each answer was sent before the next request.
      const sequential: string[] = [];
      for (let i = 0; i < 6; i++) sequential.push((await get(app.url(), ua)).body);
      assert.deepEqual([...new Set(sequential)].sort(), ['a', 'b', 'c'], `sequential requests went to ${sequential}`);
    } finally {
      await app.stop();
      await Promise.all(slow.map((b) => b.close()));
    }
  });
});
