// Redis through Sentinel: two instances find the master through a sentinel of the test's own (with
// a replica), share sessions through it, and when the master dies the sentinel promotes the replica:
// no request fails meanwhile, and sessions made after the failover are shared through the new master.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import type { App } from '../../src/app.ts';
import { get, startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';
import { OwnRedis, OwnSentinel } from '../redis-server.ts';

const NAME = 'mooring-test';

describe('Redis Sentinel', () => {
  let backends: Backend[];
  let master: OwnRedis;
  let replica: OwnRedis;
  let sentinel: OwnSentinel;

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    master = await OwnRedis.start();
    replica = await OwnRedis.start(['--replicaof', '127.0.0.1', String(master.port)]);
    sentinel = await OwnSentinel.start(NAME, master.port);
  });
  after(async () => {
    await sentinel?.kill();
    await replica?.kill();
    await master?.kill();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  /** The master's port as the sentinel says now. */
  async function masterPort(): Promise<number> {
    const client = createClient({ socket: { host: '127.0.0.1', port: sentinel.port } });
    await client.connect();
    try {
      const reply = (await client.sendCommand(['SENTINEL', 'get-master-addr-by-name', NAME])) as string[];
      return Number(reply[1]);
    } finally {
      await client.close();
    }
  }

  it('shares sessions through the master the sentinels name, and follows a failover without failing a request', async () => {
    const store = { type: 'redis', sentinel: { name: NAME, nodes: [`127.0.0.1:${sentinel.port}`] }, prefix: 'sentinel:', timeout: '250ms' };
    const opts = { service: { persistence: { method: 'header', header: 'X-Session' } }, top: { store } };
    const a: App = await startMooring(backends, opts);
    const b: App = await startMooring(backends, opts);
    const reachable = (app: App) => app.services.get('app')!.store.fetch?.('probe') !== undefined;
    try {
      await waitFor(() => reachable(a) && reachable(b), 5000, 'both instances to reach Redis through the sentinel');
      const homes = new Map<string, string>();
      for (let i = 0; i < 6; i++) homes.set(`before-${i}`, (await get(a.url(), { 'x-session': `before-${i}` })).body);
      for (const [key, server] of homes) for (let n = 0; n < 5; n++) assert.equal((await get(b.url(), { 'x-session': key })).body, server, `B honours ${key}, made on A`);

      let failed = 0;
      let done = 0;
      let stop = false;
      const loop = async (app: App, id: number) => {
        for (let n = 0; n < 5000 && !stop; n++) {
          const res = await get(app.url(), { 'x-session': `steady-${id}-${n % 10}` });
          if (res.status !== 200) failed++;
          done++;
        }
      };
      const load = Promise.all([loop(a, 0), loop(b, 1)]);
      await new Promise((r) => setTimeout(r, 300));
      const old = master.port;
      await master.kill();
      const killed = Date.now();
      while ((await masterPort()) === old) {
        assert.ok(Date.now() - killed < 15_000, 'the sentinel promotes the replica within 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await masterPort(), replica.port);
      await waitFor(() => reachable(a) && reachable(b), 10_000, 'both instances to reach the new master');
      // A session made now is written to the new master, and B finds it there.
      await new Promise((r) => setTimeout(r, 300));
      const after = new Map<string, string>();
      for (let i = 0; i < 6; i++) after.set(`after-${i}`, (await get(a.url(), { 'x-session': `after-${i}` })).body);
      const direct = createClient({ url: replica.url });
      await direct.connect();
      const until = Date.now() + 5000;
      let present = 0;
      while (Date.now() < until && present < after.size) {
        present = await direct.exists([...after.keys()].map((k) => `sentinel:s:app:header:${k}`));
        await new Promise((r) => setTimeout(r, 50));
      }
      await direct.close();
      assert.equal(present, after.size, 'the sessions made after the failover are in the new master');
      for (const [key, server] of after) assert.equal((await get(b.url(), { 'x-session': key })).body, server, `B honours ${key}, made on A after the failover`);
      stop = true;
      await load;
      assert.ok(done > 100, `the load ran (${done} requests)`);
      assert.equal(failed, 0, `${failed} of ${done} requests failed during the failover`);
    } finally {
      await Promise.all([a.stop(0), b.stop(0)]);
    }
  });
});
