// Redis trouble never stops traffic: two instances share sessions through a redis-server of the
// test's own, which is killed in the middle of a steady load and started again (empty). No request
// fails; the sessions made while it was away reach Redis, and so the other instance, within 5 s.
// An instance that cannot hear the others' invalidations yet routes from its own state until it
// can, then takes the bindings made elsewhere meanwhile. An operator's drain or weight made while
// Redis was away reaches the other instances once it is back, and an instance started later.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import type { App } from '../../src/app.ts';
import { capturingLogger, get, startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';
import { OwnRedis, SubscribeGate } from '../redis-server.ts';

describe('Redis outage', () => {
  let backends: Backend[];
  let redis: OwnRedis;

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    redis = await OwnRedis.start();
  });
  after(async () => {
    await redis?.kill();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('killed mid-load: 0 failed requests; back: sessions made meanwhile visible to the other instance within 5 s', async () => {
    const store = { type: 'redis', url: redis.url, prefix: 'outage:', timeout: '250ms' };
    const { logger, lines } = capturingLogger();
    const opts = { service: { persistence: { method: 'header', header: 'X-Session', debugHeader: true } }, top: { store } };
    const admin = { address: '127.0.0.1:0', token: 'outage-test-token-0123456789', metricsToken: false };
    const a: App = await startMooring(backends, { ...opts, top: { ...opts.top, admin }, logger });
    const storeUp = async () => /^mooring_session_store_up (\d)$/m.exec((await get(`http://127.0.0.1:${a.admin!.port}/metrics`)).body)?.[1];
    const b: App = await startMooring(backends, opts);
    const probe = createClient({ url: redis.url });
    try {
      await waitFor(() => a.services.get('app')!.store.fetch?.('probe') !== undefined, 5000, 'A to reach Redis');
      let failed = 0;
      let done = 0;
      let stop = false;
      const loop = async (app: App, id: number) => {
        for (let n = 0; n < 2000 && !stop; n++) {
          const res = await get(app.url(), { 'x-session': `steady-${id}-${n % 10}` });
          if (res.status !== 200) failed++;
          done++;
        }
      };
      const decision = async (key: string) => String((await get(a.url(), { 'x-session': key })).headers['mooring-decision']);
      assert.match(await decision('before-0'), /^new; server=\w+$/, 'not degraded while Redis answers');
      const degradedCount = async () => Number(/^mooring_persistence_degraded_total\{service="app"\} (\d+)$/m.exec((await get(`http://127.0.0.1:${a.admin!.port}/metrics`)).body)?.[1] ?? 0);
      assert.equal(await degradedCount(), 0);
      const load = Promise.all([loop(a, 0), loop(a, 1), loop(b, 2), loop(b, 3)]);
      await new Promise((r) => setTimeout(r, 500));
      await redis.kill();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await storeUp(), '0', 'the metric says Redis is away');
      assert.match(await decision('before-0'), /^honored; server=\w+; degraded$/, 'a decision made from local state says so');
      const meanwhile = new Map<string, string>();
      for (let i = 0; i < 6; i++) meanwhile.set(`during-${i}`, (await get(a.url(), { 'x-session': `during-${i}` })).body);
      assert.ok(new Set(meanwhile.values()).size >= 2, 'new sessions were spread while Redis was away');
      await new Promise((r) => setTimeout(r, 500));
      await redis.restart();
      const back = Date.now();
      await probe.connect();
      const keys = [...meanwhile.keys()].map((k) => `outage:s:app:header:${k}`);
      let present = 0;
      while (Date.now() - back < 5000) {
        present = await probe.exists(keys);
        if (present === keys.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(present, keys.length, 'every session made meanwhile reached Redis within 5 s of its return');
      assert.equal(await storeUp(), '1');
      assert.ok((await degradedCount()) > 0, 'the degraded decisions were counted');
      assert.match(await decision('before-0'), /^honored; server=\w+$/, 'not degraded once Redis is back');
      stop = true;
      await load;
      assert.ok(done > 100, `the load ran (${done} requests)`);
      assert.equal(failed, 0, `${failed} of ${done} requests failed`);
      // B reconnects on its own backoff (up to 5 s); until then it routes from its own sessions.
      await waitFor(() => b.services.get('app')!.store.fetch?.('probe') !== undefined, 6000, 'B to reach Redis again');
      for (const [key, server] of meanwhile) assert.equal((await get(b.url(), { 'x-session': key })).body, server, `B honours ${key}, made on A while Redis was away`);
      assert.ok(lines.some((l) => /Redis session store unreachable/.test(String(l['msg']))), 'the outage was logged');
      assert.ok(lines.some((l) => /reachable again/.test(String(l['msg']))), 'the return was logged');
    } finally {
      await probe.close().catch(() => undefined);
      await Promise.all([a.stop(0), b.stop(0)]);
    }
  });

  it("an operator's change made while Redis was away reaches the other instance once it is back, and an instance started later", async () => {
    const store = { type: 'redis', url: redis.url, prefix: 'ops:', timeout: '250ms' };
    const a = await startMooring(backends, { top: { store } });
    const b = await startMooring(backends, { top: { store } }).catch(async (err: unknown) => {
      await a.stop(0);
      throw err;
    });
    let c: App | undefined;
    const health = (app: App) => app.services.get('app')!.health;
    const weight = (app: App) => app.services.get('app')!.current.server('c')!.weight;
    try {
      await waitFor(() => a.services.get('app')!.store.fetch?.('probe') !== undefined && b.services.get('app')!.store.fetch?.('probe') !== undefined, 5000, 'both instances to reach Redis');
      await redis.kill();
      await waitFor(() => a.services.get('app')!.store.degraded === true, 5000, 'A to notice Redis is gone');
      assert.equal(a.operator.command({ type: 'server-state', service: 'app', server: 'b', state: 'disabled' }).ok, true);
      assert.equal(a.operator.command({ type: 'server-weight', service: 'app', server: 'c', weight: 7 }).ok, true);
      assert.equal(health(b).admin('b'), 'enabled', 'B cannot hear it while Redis is away');
      await redis.restart();
      await waitFor(() => health(b).admin('b') === 'disabled' && weight(b) === 7, 5000, "A's drain and weight to reach B once Redis is back");
      c = await startMooring(backends, { top: { store } });
      await waitFor(() => health(c!).admin('b') === 'disabled' && weight(c!) === 7, 5000, 'an instance started later to take them');
      // The latest change wins: one made later on B replaces A's, everywhere.
      assert.equal(b.operator.command({ type: 'server-state', service: 'app', server: 'b', state: 'enabled' }).ok, true);
      await waitFor(() => health(a).admin('b') === 'enabled' && health(c!).admin('b') === 'enabled', 5000, "B's later enable to reach A and C");
    } finally {
      await Promise.all([a.stop(0), b.stop(0), c?.stop(0)]);
    }
  });

  it('while its subscription is not in place an instance routes from local state; once it is, a binding moved elsewhere meanwhile replaces its copy', async () => {
    const gate = await SubscribeGate.start(redis.port);
    const store = { type: 'redis', url: redis.url, prefix: 'gate:', timeout: '250ms' };
    const service = { persistence: { method: 'header', header: 'X-Session', debugHeader: true } };
    const b = await startMooring(backends, { service, top: { store } });
    const a = await startMooring(backends, { service, top: { store: { ...store, url: `redis://127.0.0.1:${gate.port}` } } }).catch(async (err: unknown) => {
      await b.stop(0);
      throw err;
    });
    const aStore = a.services.get('app')!.store;
    try {
      await waitFor(() => b.services.get('app')!.store.fetch?.('probe') !== undefined, 5000, 'B to reach Redis');
      await waitFor(() => gate.holds > 0, 5000, "A's subscriber to send its SUBSCRIBE");
      const first = (await get(b.url(), { 'x-session': 'mover' })).body;
      const onA = await get(a.url(), { 'x-session': 'mover' });
      assert.match(String(onA.headers['mooring-decision']), /; degraded$/, 'A, deaf to invalidations, routes from local state and says so');
      assert.equal(aStore.degraded, true, "A's store reads degraded");
      b.operator.apply({ type: 'server-state', service: 'app', server: first, state: 'disabled' });
      const moved = (await get(b.url(), { 'x-session': 'mover' })).body;
      assert.notEqual(moved, first, 'B moved the session');
      gate.release();
      await waitFor(() => aStore.degraded === false, 5000, 'A to listen and count Redis as up');
      let seen = '';
      for (let i = 0; i < 50 && seen !== moved; i++) {
        seen = (await get(a.url(), { 'x-session': 'mover' })).body;
        if (seen !== moved) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(seen, moved, "A took the binding B made while A could not hear it");
    } finally {
      gate.release(); // a held SUBSCRIBE would keep A's subscriber from closing
      await Promise.all([a.stop(0), b.stop(0)]);
      await gate.close();
    }
  });
});
