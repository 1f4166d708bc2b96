// Geo GSLB modes over real sockets with MaxMind's test database, the client address through a
// trusted X-Forwarded-For: geo-preferred sends a client to its country's (else continent's) data
// center and falls back to another mode; geo-required refuses clients no data center serves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { App } from '../../src/app.ts';
import { ConfigError, parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { get, startBackend, type Backend } from '../helpers.ts';

const GEO = fileURLToPath(new URL('../fixtures/geo/GeoIP2-City-Test.mmdb', import.meta.url));
// Known answers of the test database: GB, US (continent NA), JP (AS), and an address it lacks.
const GB = '81.2.69.142';
const US = '216.160.83.56';
const JP = '2001:218::1';
const NOWHERE = '8.8.8.8';

describe('geo GSLB modes', () => {
  let backends: Backend[];

  before(async () => {
    backends = await Promise.all(['eu1', 'us1', 'as1'].map((id) => startBackend(id)));
  });
  after(async () => {
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  /** geoip null: none. */
  const config = (gslb: Record<string, unknown>, geoip: unknown = { database: GEO }) => ({
    trustedProxies: ['127.0.0.1'],
    ...(geoip === null ? {} : { geoip }),
    listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
    services: [
      {
        name: 'app',
        gslb,
        datacenters: [
          { name: 'eu', servers: [{ id: 'eu1', url: backends[0]!.url }] },
          { name: 'us', servers: [{ id: 'us1', url: backends[1]!.url }] },
          { name: 'asia', servers: [{ id: 'as1', url: backends[2]!.url }] },
        ],
      },
    ],
  });
  const start = async (gslb: Record<string, unknown>) => App.start(parseConfigObject(config(gslb)), { logger: silentLogger });
  const from = (app: App, ip: string) => get(app.url(), { 'x-forwarded-for': ip });

  it('geo-preferred: country first, then continent, else the fallback order; a drained home falls back', async () => {
    const app = await start({ mode: 'geo-preferred', countries: { GB: 'eu' }, continents: { NA: 'us' }, fallback: 'failover' });
    try {
      assert.equal((await from(app, GB)).body, 'eu1');
      assert.equal((await from(app, US)).body, 'us1');
      assert.equal((await from(app, JP)).body, 'eu1', 'not mapped: the fallback (failover: the first data center)');
      assert.equal((await from(app, NOWHERE)).body, 'eu1');
      app.services.get('app')!.current.health.setAdmin('eu1', 'draining', 'test', Date.now());
      assert.equal((await from(app, GB)).body, 'us1', 'home not UP: the fallback order');
    } finally {
      await app.stop(1000);
    }
  });

  it('geo-required: only the mapped data center; others refused with 403, a mapped one that is down gets 503', async () => {
    const app = await start({ mode: 'geo-required', countries: { GB: 'eu' }, continents: { NA: 'us' } });
    try {
      assert.equal((await from(app, GB)).body, 'eu1');
      assert.equal((await from(app, US)).body, 'us1');
      for (const ip of [JP, NOWHERE]) {
        const refused = await from(app, ip);
        assert.equal(refused.status, 403, ip);
        assert.equal(refused.headers['mooring-error'], 'MOORING_GEO_REFUSED');
      }
      app.services.get('app')!.current.health.setAdmin('eu1', 'draining', 'test', Date.now());
      const down = await from(app, GB);
      assert.equal(down.status, 503, 'never another country\'s data center');
      assert.equal(down.headers['mooring-error'], 'MOORING_NO_SERVER');
    } finally {
      await app.stop(1000);
    }
  });

  it('config: geo modes need a database and mappings to data centers that exist', () => {
    const cases: [unknown, RegExp][] = [
      [config({ mode: 'geo-required', countries: { GB: 'eu' } }, null), /services\[0\]\.gslb\.mode: mode geo-required needs a geo-IP database/],
      [config({ mode: 'geo-preferred', countries: { GB: 'mars' } }), /services\[0\]\.gslb\.countries\.GB: no data center named "mars" \(data centers: eu, us, asia\)/],
      [config({ mode: 'geo-preferred' }), /services\[0\]\.gslb\.countries: mode geo-preferred needs countries/],
      [config({ mode: 'geo-preferred', countries: { GB: 'eu' }, fallback: 'geo-required' }), /services\[0\]\.gslb\.fallback: expected one of best-connection-time, failover, weighted, round-robin/],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => parseConfigObject(raw), (e: Error) => e instanceof ConfigError && message.test(e.message), String(message));
    }
  });
});
