// method: app-cookie, end to end: Mooring's cookie follows the application's session cookie (set,
// refreshed, cleared), and the learned mapping routes clients that send only the app cookie.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CookieJar, get, jarGet, startBackend, startMooring, TEST_KEY, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('persistence: app-cookie', () => {
  let backends: Backend[];
  let app: App;
  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          const id = `${name}-${randomUUID()}`;
          if (req.url === '/login') res.setHeader('set-cookie', `JSESSIONID=${id}; Max-Age=3600; Path=/; HttpOnly`);
          if (req.url === '/refresh') res.setHeader('set-cookie', `JSESSIONID=${id}; Max-Age=7200; Path=/`);
          if (req.url === '/browser-session') res.setHeader('set-cookie', `JSESSIONID=${id}; Path=/`);
          if (req.url === '/dated') res.setHeader('set-cookie', `JSESSIONID=${id}; Expires=Wed, 01 Jan 2099 00:00:00 GMT`);
          if (req.url === '/logout') res.setHeader('set-cookie', 'JSESSIONID=; Max-Age=0; Path=/');
          res.end(name);
        }),
      ),
    );
    app = await startMooring(backends, {
      service: { persistence: { method: 'app-cookie', appCookie: 'JSESSIONID', keys: [TEST_KEY], debugHeader: true } },
    });
  });
  after(async () => {
    await app?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  const mooringCookie = (setCookie: string | string[] | undefined) => [setCookie ?? []].flat().find((c) => c.startsWith('mooring='));

  it('sets its cookie with the app cookie\'s lifetime, follows a refresh, and clears it with the app\'s', async () => {
    const jar = new CookieJar();
    assert.equal((await jarGet(`${app.url()}/`, jar)).headers['set-cookie'], undefined, 'no app session, no Mooring cookie');
    const login = await jarGet(`${app.url()}/login`, jar);
    assert.match(mooringCookie(login.headers['set-cookie']) ?? '', /^mooring=[\w-]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
    for (let i = 0; i < 10; i++) assert.equal((await jarGet(`${app.url()}/page`, jar)).body, login.body);
    const refresh = await jarGet(`${app.url()}/refresh`, jar);
    assert.equal(refresh.body, login.body);
    assert.match(mooringCookie(refresh.headers['set-cookie']) ?? '', /Max-Age=7200/);
    const logout = await jarGet(`${app.url()}/logout`, jar);
    assert.match(mooringCookie(logout.headers['set-cookie']) ?? '', /^mooring=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.deepEqual([...jar.cookies.keys()], [], 'both cookies are gone');
  });

  it('after a logout, the old cookies replayed by a client that kept them neither pin it nor teach the mapping again', async () => {
    const jar = new CookieJar();
    await jarGet(`${app.url()}/login`, jar);
    const kept = jar.header().cookie!;
    await jarGet(`${app.url()}/logout`, jar);
    const replayed = await get(`${app.url()}/page`, { cookie: kept });
    assert.match(String(replayed.headers['mooring-decision']), /^ended; /, 'the logged-out Mooring cookie no longer pins');
    const appOnly = kept.split('; ').find((c) => c.startsWith('JSESSIONID='))!;
    for (let i = 0; i < 3; i++) {
      const res = await get(`${app.url()}/page`, { cookie: appOnly });
      assert.match(String(res.headers['mooring-decision']), /^new; /, 'the logged-out app value routes nowhere in particular');
      assert.equal(mooringCookie(res.headers['set-cookie']), undefined, 'and earns no Mooring cookie');
    }
  });

  it('a browser-session app cookie gives a browser-session Mooring cookie; Expires is copied', async () => {
    const session = await get(`${app.url()}/browser-session`);
    const cookie = mooringCookie(session.headers['set-cookie']) ?? '';
    assert.ok(cookie.startsWith('mooring=') && !/Max-Age|Expires/.test(cookie), cookie);
    const dated = await get(`${app.url()}/dated`);
    assert.match(mooringCookie(dated.headers['set-cookie']) ?? '', /Expires=Thu, 01 Jan 2099 00:00:00 GMT/);
  });

  it('routes by the learned mapping when only the app cookie is sent, and gives the Mooring cookie back', async () => {
    const login = await get(`${app.url()}/login`);
    const appCookie = [login.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('JSESSIONID='))!.split(';')[0]!;
    for (let i = 0; i < 20; i++) {
      const res = await get(`${app.url()}/cart`, { cookie: appCookie });
      assert.equal(res.body, login.body);
      assert.equal(res.headers['mooring-decision'], `honored; server=${login.body}`);
      assert.ok(mooringCookie(res.headers['set-cookie']), 'Mooring cookie re-issued');
    }
  });

  it('stores the app cookie only as a keyed hash', async () => {
    const login = await get(`${app.url()}/login`);
    const value = /JSESSIONID=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!;
    const table = (app.services.get('app')!.current.persistence as unknown as { table: { entries: Map<string, unknown> } }).table;
    const keys = [...table.entries.keys()];
    assert.ok(keys.length > 0);
    assert.ok(keys.every((k) => !k.includes(value) && !value.includes(k)), 'no key holds the value');
  });

  it('an unknown app cookie value is a new session', async () => {
    const res = await get(`${app.url()}/cart`, { cookie: 'JSESSIONID=never-issued' });
    assert.match(String(res.headers['mooring-decision']), /^new; server=/);
  });
});
