// Listener rules over real sockets: CIDR (overlapping prefixes, IPv6), country from the MaxMind
// test database through a trusted X-Forwarded-For, host/path/method/header, deny, redirect (with
// header-injection attempts), set headers, route to a data center, no route, and config errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { App } from '../../src/app.ts';
import { ConfigError, parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { get, rawExchange, startBackend, type Backend } from '../helpers.ts';

const GEO = fileURLToPath(new URL('../fixtures/geo/GeoIP2-City-Test.mmdb', import.meta.url));
const BROKEN_GEO = fileURLToPath(new URL('../fixtures/geo/GeoIP2-City-Test-Broken-Double-Format.mmdb', import.meta.url));

describe('listener rules', () => {
  let backends: Backend[];
  let app: App;
  let web: string;
  let strict: string;
  const seen = new Map<string, Record<string, string | string[] | undefined>>();

  const config = () => {
    const url = (id: string) => backends.find((b) => b.name === id)!.url;
    return {
      trustedProxies: ['127.0.0.1'],
      geoip: { database: GEO },
      listeners: [
        {
          name: 'web',
          address: '127.0.0.1:0',
          service: 'site',
          rules: [
            { match: { cidr: '10.1.0.0/16' }, service: 'api' },
            { match: { cidr: ['10.0.0.0/8', '2001:db8::/32'] }, deny: { status: 403 } },
            { match: { country: 'GB' }, service: 'api', setHeaders: { 'X-Region': 'uk' } },
            { match: { host: '*.old.example' }, redirect: { status: 301, location: 'https://new.example{path}' } },
            { match: { path: '/api/', method: 'POST' }, service: 'api' },
            { match: { header: { name: 'X-Beta', value: '1' } }, service: 'api' },
            { match: { header: { name: 'X-DC' , value: 'b' } }, service: 'site', datacenter: 'b' },
          ],
        },
        { name: 'strict', address: '127.0.0.1:0', rules: [{ match: { path: '/only/' }, service: 'site' }] },
      ],
      services: [
        { name: 'api', servers: [{ id: 'api1', url: url('api1') }] },
        { name: 'site', gslb: { mode: 'failover' }, datacenters: [{ name: 'a', servers: [{ id: 'site1', url: url('site1') }] }, { name: 'b', servers: [{ id: 'site2', url: url('site2') }] }] },
      ],
    };
  };

  before(async () => {
    backends = await Promise.all(
      ['api1', 'site1', 'site2'].map((id) =>
        startBackend(id, (req, res, name) => {
          seen.set(name, req.headers);
          req.resume();
          res.end(name);
        }),
      ),
    );
    app = await App.start(parseConfigObject(config()), { logger: silentLogger });
    web = app.url('web');
    strict = app.url('strict');
  });
  after(async () => {
    await app?.stop(1000);
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  const from = (ip: string, headers: Record<string, string> = {}) => get(web, { 'x-forwarded-for': ip, ...headers });

  it('CIDR: the rule listed first wins over an overlapping one; IPv6 too; others go to the default service', async () => {
    assert.equal((await from('10.1.2.3')).body, 'api1');
    const denied = await from('10.2.3.4');
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['mooring-error'], 'MOORING_DENIED');
    assert.equal((await from('2001:db8::5')).status, 403);
    assert.equal((await from('192.0.2.1')).body, 'site1');
    assert.equal((await from('::ffff:10.1.0.9')).body, 'api1', 'an IPv4-mapped address counts as IPv4');
  });

  it('country from the geo-IP database: GB goes to api with X-Region set (a client-sent one replaced); unknown addresses fall through', async () => {
    const gb = await from('81.2.69.142', { 'x-region': 'spoofed' });
    assert.equal(gb.body, 'api1');
    assert.equal(seen.get('api1')!['x-region'], 'uk');
    assert.equal((await from('89.160.20.128')).body, 'site1'); // SE: no rule
    assert.equal((await from('8.8.8.8')).body, 'site1'); // not in the database
  });

  it('host, path + method and header rules; a rule can send new sessions to a data center', async () => {
    const moved = await get(`${web}/x?y=1`, { host: 'shop.old.example' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers['location'], 'https://new.example/x?y=1');
    assert.equal((await get(`${web}/api/`, { host: 'old.example' })).body, 'site1', '*.old.example needs a label before it');
    const posted = await fetch(`${web}/api/orders`, { method: 'POST', body: 'x' });
    assert.equal(await posted.text(), 'api1');
    assert.equal((await get(`${web}/api/orders`)).body, 'site1');
    assert.equal((await get(web, { 'x-beta': '1' })).body, 'api1');
    assert.equal((await get(web, { 'x-beta': '2' })).body, 'site1');
    assert.equal((await get(web, { 'x-dc': 'b' })).body, 'site2');
  });

  it('a redirect template never lets CR/LF into a header', async () => {
    const port = Number(new URL(web).port);
    const answer = await rawExchange(port, `GET /x%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: a.old.example\r\nConnection: close\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 301 /);
    assert.match(answer, /\r\nlocation: https:\/\/new\.example\/x%0d%0aSet-Cookie:%20evil=1\r\n/i);
    assert.doesNotMatch(answer, /\r\nset-cookie:/i);
  });

  it('a listener with rules only answers 404 MOORING_NO_ROUTE when none matches', async () => {
    assert.equal((await get(`${strict}/only/here`)).body, 'site1');
    const none = await get(`${strict}/elsewhere`);
    assert.equal(none.status, 404);
    assert.equal(none.headers['mooring-error'], 'MOORING_NO_ROUTE');
  });

  it('reports config mistakes: a broken database, country without geoip, unknown targets, two actions, a line break in a template', () => {
    const base = config();
    const cases: [unknown, RegExp][] = [
      [{ ...base, geoip: { database: BROKEN_GEO } }, /geoip\.database: .*opens, but looking an address up fails/],
      [{ ...base, geoip: undefined }, /listeners\[0\]\.rules\[2\]\.match\.country: country rules need a geo-IP database/],
      [{ ...base, listeners: [{ ...base.listeners[0]!, rules: [{ match: {}, service: 'nope' }] }] }, /listeners\[0\]\.rules\[0\]\.service: no service named "nope"/],
      [{ ...base, listeners: [{ ...base.listeners[0]!, rules: [{ match: {}, service: 'site', datacenter: 'z' }] }] }, /rules\[0\]\.datacenter: service site has no data center "z" \(data centers: a, b\)/],
      [{ ...base, listeners: [{ ...base.listeners[0]!, rules: [{ match: {}, service: 'site', deny: true }] }] }, /rules\[0\]: expected exactly one action/],
      [{ ...base, listeners: [{ ...base.listeners[0]!, rules: [{ match: {}, redirect: { location: 'https://x/\r\nSet-Cookie: a=b' } }] }] }, /rules\[0\]\.redirect\.location: expected a location without line breaks/],
      [{ ...base, listeners: [{ name: 'x', address: '127.0.0.1:0' }] }, /listeners\[0\]\.service: expected service: NAME, or rules: \(a list\), or both/],
      [{ ...base, listeners: [{ ...base.listeners[0]!, rules: [{ match: { cidr: '10.0.0.0/33' }, deny: true }] }] }, /match\.cidr\[0\]: expected an IP address or CIDR block/],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => parseConfigObject(raw), (e: Error) => e instanceof ConfigError && message.test(e.message), String(message));
    }
  });
});
