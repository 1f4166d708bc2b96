// Header and query sessions under a flood of made-up keys: one client address cannot start more
// than `table.newKeysPerMinute` sessions, so it cannot push other users out of a full table; and a
// user pushed out anyway (by many addresses whose clients come back) returns to the same server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { get, startBackend, startMooring, type Backend } from '../helpers.ts';

describe('a flood of unique session keys', () => {
  let backends: Backend[];
  let app: App;

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    app = await startMooring(backends, {
      service: { persistence: { method: 'header', header: 'X-Session', debugHeader: true, table: { maxEntries: 50, newKeysPerMinute: 20 } } },
      top: { trustedProxies: ['127.0.0.1/32'] },
    });
  });
  after(async () => {
    await app?.stop(0);
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  /** One request as client `ip` with session key `key`: the server that answered and Mooring's decision. */
  const visit = async (ip: string, key: string) => {
    const res = await get(app.url(), { 'x-forwarded-for': ip, 'x-session': key });
    assert.equal(res.status, 200);
    return { server: res.body, decision: String(res.headers['mooring-decision']).split(';')[0] };
  };

  it('from one address: only its first newKeysPerMinute keys are remembered, and a user keeps her server', async () => {
    const first = await visit('10.0.0.1', 'alice');
    assert.equal(first.decision, 'new');
    assert.deepEqual(await visit('10.0.0.1', 'alice'), { server: first.server, decision: 'honored' });

    for (let i = 0; i < 300; i++) await visit('10.9.9.9', `flood-${i}`);
    const remembered = [];
    for (let i = 0; i < 30; i++) remembered.push((await visit('10.9.9.9', `flood-${i}`)).decision);
    assert.deepEqual(remembered.slice(0, 20), Array(20).fill('honored'), 'the first 20 keys were remembered');
    assert.deepEqual(remembered.slice(20), Array(10).fill('new'), 'later keys of the same address were not');

    assert.deepEqual(await visit('10.0.0.1', 'alice'), { server: first.server, decision: 'honored' });
    const flood = app.events.recent().filter((e) => e.type === 'key-flood');
    assert.equal(flood.length, 1, 'one notice for the flood');
    assert.match(flood[0]!.reason, /client 10\.9\.9\.9 brought more than 20 new session keys \(header X-Session\) within a minute/);
  });

  it('from many addresses: one-shot keys cannot push a user out; a user pushed out by returning ones comes back to the same server', async () => {
    const bob = await visit('10.0.1.1', 'bob');
    assert.deepEqual(await visit('10.0.1.1', 'bob'), { server: bob.server, decision: 'honored' }, 'bob came back: his session counts');
    const store = app.services.get('app')!.store;
    // 100 keys used once, from 10 addresses (within budget): provisional, they only push each other out.
    for (let i = 0; i < 100; i++) await visit(`10.2.0.${i % 10}`, `once-${i}`);
    assert.ok(store.size <= 50);
    assert.ok(store.list(undefined, 100, Date.now()).some((s) => s.key === 'bob'), 'bob is still in the table');
    // 100 keys whose clients come back, from 10 other addresses, push every older entry out of the 50-entry table.
    for (let i = 0; i < 100; i++) {
      await visit(`10.1.0.${i % 10}`, `spread-${i}`);
      await visit(`10.1.0.${i % 10}`, `spread-${i}`);
    }
    assert.ok(store.size <= 50);
    assert.ok(!store.list(undefined, 100, Date.now()).some((s) => s.key === 'bob'), 'bob was pushed out of the table');
    assert.deepEqual(await visit('10.0.1.1', 'bob'), { server: bob.server, decision: 'honored' });
    // Twice in a row the same: she was bound again, not balanced again.
    assert.deepEqual(await visit('10.0.1.1', 'bob'), { server: bob.server, decision: 'honored' });
  });
});
