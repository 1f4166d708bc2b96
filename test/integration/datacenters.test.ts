// Data centers over real backends on loopback: GSLB ordering (failover, best-connection-time),
// minServersUp, sessions following a failover with the migration notice, the standby taking over
// when no active data center is UP, 503 when none is, and a moved client re-pinned inside its own
// data center first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from '../../src/app.ts';
import { ConfigError, parseConfigObject } from '../../src/config/load.ts';
import type { AdminState } from '../../src/health/table.ts';
import { silentLogger } from '../../src/log.ts';
import { CookieJar, get, jarGet, startBackend, TEST_KEY, waitFor, type Backend } from '../helpers.ts';

const IDS = { east: ['e1', 'e2'], west: ['w1', 'w2'], dr: ['d1'] };
const DC_OF = new Map(Object.entries(IDS).flatMap(([dc, ids]) => ids.map((id) => [id, dc] as const)));

describe('data centers', () => {
  let backends: Backend[];
  /** Extra time each backend takes to answer, ms (best-connection-time measures it). */
  const delay = new Map<string, number>();
  /** The Mooring-Migrated-From each backend saw last. */
  const migrated = new Map<string, string>();

  before(async () => {
    backends = await Promise.all(
      Object.values(IDS)
        .flat()
        .map((id) =>
          startBackend(id, (req, res, name) => {
            const notice = req.headers['mooring-migrated-from'];
            if (typeof notice === 'string') migrated.set(name, notice);
            req.resume();
            setTimeout(() => res.end(name), delay.get(name) ?? 0);
          }),
        ),
    );
  });
  after(async () => {
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  const start = (gslb: Record<string, unknown>, dcs: Record<string, Record<string, unknown>> = {}) =>
    App.start(
      parseConfigObject({
        listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
        services: [
          {
            name: 'app',
            persistence: { method: 'cookie', keys: [TEST_KEY], debugHeader: true },
            gslb,
            datacenters: Object.entries(IDS).map(([name, ids]) => ({
              name,
              servers: ids.map((id) => ({ id, url: backends.find((b) => b.name === id)!.url })),
              ...(name === 'dr' ? { standby: true } : {}),
              ...dcs[name],
            })),
          },
        ],
      }),
      { logger: silentLogger },
    );
  const setAdmin = (app: App, id: string, state: AdminState) => app.services.get('app')!.current.health.setAdmin(id, state, 'test', Date.now());
  /** Where `n` fresh clients land, by data center. */
  const fresh = async (app: App, n: number) => {
    const dcs: string[] = [];
    for (let i = 0; i < n; i++) dcs.push(DC_OF.get((await get(app.url())).body)!);
    return dcs;
  };

  it('failover mode: every new session goes to the first UP data center, the standby idles', async () => {
    const app = await start({ mode: 'failover' });
    try {
      assert.deepEqual(new Set(await fresh(app, 12)), new Set(['east']));
    } finally {
      await app.stop(1000);
    }
  });

  it('below minServersUp a data center is down: new sessions go on, its sessions follow with reason=failover', async () => {
    const app = await start({ mode: 'failover' }, { east: { minServersUp: 2 } });
    try {
      const jar = new CookieJar();
      const first = await jarGet(app.url(), jar);
      const home = first.body;
      assert.equal(DC_OF.get(home), 'east');
      // One of east's two servers stops taking new sessions: east is below minServersUp.
      setAdmin(app, home === 'e1' ? 'e2' : 'e1', 'draining');
      assert.deepEqual(new Set(await fresh(app, 6)), new Set(['west']));
      const moved = await jarGet(app.url(), jar);
      assert.equal(DC_OF.get(moved.body), 'west');
      assert.match(String(moved.headers['mooring-decision']), /^failover; /);
      assert.equal(migrated.get(moved.body), `${home}; reason=failover`);
      // It stays in west from now on, even once east is back.
      setAdmin(app, home === 'e1' ? 'e2' : 'e1', 'enabled');
      assert.deepEqual(new Set(await fresh(app, 6)), new Set(['east']));
      const again = await jarGet(app.url(), jar);
      assert.equal(again.body, moved.body);
      assert.match(String(again.headers['mooring-decision']), /^honored; /);
    } finally {
      await app.stop(1000);
    }
  });

  it('a data center whose servers died: its sessions follow with reason=failover; a server that died in a data center still UP: reason=down', async () => {
    const app = await start({ mode: 'failover' });
    const health = app.services.get('app')!.current.health;
    const setHealth = (ids: string[], state: 'up' | 'down') => ids.forEach((id) => health.setMonitored(id, state, 'test', Date.now()));
    try {
      const jar = new CookieJar();
      const home = (await jarGet(app.url(), jar)).body;
      assert.equal(DC_OF.get(home), 'east');
      // One server of east dies: east is still UP, the client moves inside it, reason down.
      setHealth([home], 'down');
      const inside = await jarGet(app.url(), jar);
      assert.equal(DC_OF.get(inside.body), 'east');
      assert.equal(migrated.get(inside.body), `${home}; reason=down`);
      // Then the other dies too: east is down, the client follows the failover to west.
      setHealth([inside.body], 'down');
      const away = await jarGet(app.url(), jar);
      assert.equal(DC_OF.get(away.body), 'west');
      assert.match(String(away.headers['mooring-decision']), /^failover; /);
      assert.equal(migrated.get(away.body), `${inside.body}; reason=failover`);
    } finally {
      setHealth(IDS.east, 'up');
      await app.stop(1000);
    }
  });

  it('no active data center UP: the standby takes new sessions; none UP: 503', async () => {
    const app = await start({ mode: 'failover' }, { east: { minServersUp: 2 }, west: { minServersUp: 2 } });
    try {
      setAdmin(app, 'e2', 'draining');
      setAdmin(app, 'w2', 'draining');
      assert.deepEqual(new Set(await fresh(app, 4)), new Set(['dr']));
      assert.deepEqual(app.services.get('app')!.current.order().map((dc) => dc.name), ['dr']);
      setAdmin(app, 'd1', 'draining');
      const refused = await get(app.url());
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['mooring-error'], 'MOORING_NO_SERVER');
    } finally {
      await app.stop(1000);
    }
  });

  it('a client whose server is gone is re-pinned inside its own data center first', async () => {
    const app = await start({ mode: 'round-robin' });
    try {
      for (let i = 0; i < 6; i++) {
        const jar = new CookieJar();
        const home = (await jarGet(app.url(), jar)).body;
        const dc = DC_OF.get(home)!;
        setAdmin(app, home, 'disabled');
        const moved = await jarGet(app.url(), jar);
        assert.equal(DC_OF.get(moved.body), dc, `${home} → ${moved.body}`);
        assert.notEqual(moved.body, home);
        setAdmin(app, home, 'enabled');
      }
    } finally {
      await app.stop(1000);
    }
  });

  /** Fresh clients, 10 at a time, until the last 10 all land in `dc` (at most `rounds` times); every landing. */
  const until = async (app: App, dc: string, rounds: number) => {
    const all: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const batch = await fresh(app, 10);
      all.push(...batch);
      if (batch.every((d) => d === dc)) break;
    }
    return all;
  };
  const probeEvery = { probe: { interval: '500ms', timeout: '400ms' } };

  it('best-connection-time measures every data center: new sessions go to the faster, turn when it slows, and sessions stay', async () => {
    delay.set('e1', 120).set('e2', 120);
    const app = await start({ mode: 'best-connection-time', ...probeEvery });
    try {
      const latency = app.services.get('app')!.latency!;
      await waitFor(() => latency.score('east') !== undefined && latency.score('west') !== undefined, 3000, 'both data centers measured');
      const first = await until(app, 'west', 5);
      assert.ok(first.length <= 30, `within a few seconds: ${first.join(' ')}`);
      const later = await fresh(app, 30);
      assert.ok(later.filter((dc) => dc === 'west').length >= 27, `at least 90% to the faster data center: ${later.join(' ')}`);
      let jar = new CookieJar();
      let home = '';
      for (let i = 0; i < 20 && DC_OF.get(home) !== 'west'; i++) home = (await jarGet(app.url(), (jar = new CookieJar()))).body;
      assert.equal(DC_OF.get(home), 'west');
      // West becomes the slow one: it is measured although it gets no new session, and new sessions turn to east.
      delay.set('e1', 0).set('e2', 0).set('w1', 150).set('w2', 150);
      const turned = await until(app, 'east', 12);
      assert.ok(turned.slice(-10).every((dc) => dc === 'east'), turned.join(' '));
      const after = await fresh(app, 30);
      assert.ok(after.filter((dc) => dc === 'east').length >= 27, after.join(' '));
      for (let i = 0; i < 5; i++) assert.equal((await jarGet(app.url(), jar)).body, home, 'the session stays in west');
    } finally {
      delay.clear();
      await app.stop(1000);
    }
  });

  it('best-connection-time shares new sessions between data centers that answer alike', async () => {
    const app = await start({ mode: 'best-connection-time', ...probeEvery });
    try {
      const latency = app.services.get('app')!.latency!;
      await waitFor(() => latency.score('east') !== undefined && latency.score('west') !== undefined, 3000, 'both data centers measured');
      await new Promise((r) => setTimeout(r, 1000));
      const landed = await fresh(app, 100);
      const east = landed.filter((dc) => dc === 'east').length;
      assert.ok(east >= 40 && east <= 60, `${JSON.stringify(latency.view(['east', 'west']))} east ${east} of 100, west ${landed.filter((dc) => dc === 'west').length}`);
    } finally {
      await app.stop(1000);
    }
  });

  it('refuses a config that mixes servers and datacenters, repeats a server id, or asks for more servers than a data center has', () => {
    const base = (service: Record<string, unknown>) => ({ listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }], services: [{ name: 'app', ...service }] });
    const s = (id: string) => ({ id, url: 'http://127.0.0.1:1' });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ servers: [s('a')], datacenters: [{ name: 'x', servers: [s('b')] }] }, /services\[0\]\.servers: expected either servers: \(one data center\) or datacenters: \(several\)/],
      [{ datacenters: [{ name: 'x', servers: [s('a')] }, { name: 'y', servers: [s('a')] }] }, /services\[0\]\.datacenters\[1\]\.servers\[0\]\.id: duplicate server id "a" in service app/],
      [{ datacenters: [{ name: 'x', minServersUp: 3, servers: [s('a'), s('b')] }] }, /services\[0\]\.datacenters\[0\]\.minServersUp: expected at most 2/],
      [{ datacenters: [{ name: 'x', standby: true, servers: [s('a')] }] }, /services\[0\]\.datacenters: expected at least one data center that is not standby/],
      [{ datacenters: [{ name: 'x', servers: [s('a')] }], gslb: { mode: 'fastest' } }, /services\[0\]\.gslb\.mode: expected one of best-connection-time, failover, weighted, round-robin, geo-preferred, geo-required/],
    ];
    for (const [service, message] of cases) {
      assert.throws(() => parseConfigObject(base(service)), (e: Error) => e instanceof ConfigError && message.test(e.message), JSON.stringify(service));
    }
  });
});
