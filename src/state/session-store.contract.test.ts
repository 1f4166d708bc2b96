// The contract every session store passes: expiry (idle and absolute), touch, re-bind, end, live
// counts per server, the admin listing, sweeping, the size bound (least recently seen first), and
// new limits from a reload keeping entries. The Redis store runs it against the machine's Redis
// (127.0.0.1:6379) under a prefix of its own, removed afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemorySessionStore } from './memory-session-store.ts';
import { RedisLink } from './redis-link.ts';
import { RedisSessionStore } from './redis-session-store.ts';
import { keepSession, type SessionEntry, type SessionStore, type StoreLimits } from './session-store.ts';
import { silentLogger } from '../log.ts';
import { storeSchema, type RedisStoreConfig } from '../state/schema.ts';

interface Kind {
  readonly name: string;
  /** Shared with other instances: a session this process forgets (its memory's bound) still counts for the group. */
  readonly shared: boolean;
  make(limits: StoreLimits): SessionStore;
  /** Waits until what the store sent elsewhere is answered (counts polled by a sweep). */
  settle(store: SessionStore): Promise<void>;
  setUp?(): Promise<void>;
  tearDown?(): Promise<void>;
}

const memory: Kind = { name: 'memory', shared: false, make: (limits) => new MemorySessionStore(limits), settle: async () => {} };

function redisKind(): Kind {
  const config = storeSchema.parse({ type: 'redis', url: 'redis://127.0.0.1:6379', prefix: `mooring-test:${randomBytes(6).toString('hex')}:`, timeout: '2s' }) as RedisStoreConfig;
  const link = new RedisLink(config, silentLogger);
  let made = 0;
  return {
    name: 'redis',
    shared: true,
    make: (limits) => new RedisSessionStore(link, `svc:m${made++}`, limits, () => ['a', 'b', 'c', 's']),
    settle: (store) => (store as RedisSessionStore).flush(),
    async setUp() {
      link.start();
      const until = Date.now() + 5000;
      while (!link.up && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.ok(link.up, 'the machine\'s Redis on 127.0.0.1:6379 answers');
    },
    async tearDown() {
      const keys: string[] = [];
      for await (const batch of link.client.scanIterator({ MATCH: `${config.prefix}*`, COUNT: 1000 })) keys.push(...batch);
      if (keys.length > 0) await link.client.del(keys);
      await link.close();
    },
  };
}

const kinds: Kind[] = [memory, redisKind()];

const live = (found: unknown): SessionEntry => {
  assert.equal(typeof found, 'object', `expected a live entry, got ${String(found)}`);
  return found as SessionEntry;
};

for (const kind of kinds) {
  describe(`session store contract: ${kind.name}`, () => {
    if (kind.setUp) before(kind.setUp);
    if (kind.tearDown) after(kind.tearDown);
    const store = (maxEntries = 100, idleMs = 1000) => kind.make({ maxEntries, idleMs });

    it('finds live entries; reports an expired one once, then forgets it', () => {
      const s = store();
      s.bind('k', 'a', 0);
      assert.equal(live(s.find('k', 500)).server, 'a');
      assert.equal(s.find('k', 1000), 'expired-idle');
      assert.equal(s.find('k', 1001), undefined);
      s.bind('life', 'a', 0, { expiresAt: 300 });
      live(s.find('life', 299));
      assert.equal(s.find('life', 300), 'expired-life');
      assert.equal(s.find('never', 0), undefined);
    });

    it('touch starts the idle window again; the absolute expiry still holds', () => {
      const s = store();
      s.bind('k', 'a', 0, { expiresAt: 2500, sessionId: 'sid' });
      s.touch('k', live(s.find('k', 900)), 900);
      s.touch('k', live(s.find('k', 1800)), 1800);
      const entry = live(s.find('k', 2499));
      assert.deepEqual([entry.server, entry.sessionId, entry.expiresAt], ['a', 'sid', 2500]);
      assert.equal(s.find('k', 2500 + 1), 'expired-life');
    });

    it('counts live sessions per server through bind, re-bind, end and expiry', async () => {
      const s = store();
      s.bind('1', 'a', 0);
      s.bind('2', 'a', 0);
      s.bind('3', 'b', 0);
      assert.deepEqual([s.countOn('a'), s.countOn('b'), s.countOn('c')], [2, 1, 0]);
      s.bind('2', 'b', 10);
      assert.deepEqual([s.countOn('a'), s.countOn('b')], [1, 2]);
      assert.equal(s.end('3')?.server, 'b');
      assert.equal(s.end('3'), undefined, 'ending twice finds nothing');
      assert.deepEqual([s.countOn('a'), s.countOn('b')], [1, 1]);
      assert.equal(s.sweep(1005), 1, 'session 1 was idle 1005 ms');
      await kind.settle(s);
      assert.deepEqual([s.countOn('a'), s.countOn('b'), s.size], [0, 1, 1]);
      assert.equal(s.sweep(2000), 1);
      await kind.settle(s);
      assert.deepEqual([s.countOn('b'), s.size], [0, 0]);
    });

    it('keepSession refreshes a session on its server and re-binds one that moved', () => {
      const s = store();
      keepSession(s, 'k', 'a', 0, true, { sessionId: 'sid' });
      keepSession(s, 'k', 'a', 900, true);
      assert.equal(live(s.find('k', 1800)).sessionId, 'sid', 'refreshed, not re-bound');
      keepSession(s, 'k', 'b', 1800, true, { sessionId: 'sid2' });
      assert.deepEqual([s.countOn('a'), s.countOn('b'), live(s.find('k', 1800)).sessionId], [0, 1, 'sid2']);
    });

    it('lists live sessions least recently seen first, by server, up to a limit', () => {
      const s = store(100, 10_000);
      s.bind('x', 'a', 0);
      s.bind('y', 'b', 2000, { expiresAt: 9000 });
      s.bind('z', 'a', 4000);
      s.touch('x', live(s.find('x', 6000)), 6000);
      assert.deepEqual(s.list(undefined, 10, 6000).map((v) => v.key), ['y', 'z', 'x']);
      assert.deepEqual(s.list('a', 10, 6000).map((v) => v.key), ['z', 'x']);
      assert.deepEqual(s.list(undefined, 1, 6000).map((v) => v.key), ['y']);
      assert.deepEqual(s.list('b', 10, 6000), [{ key: 'y', server: 'b', lastSeen: 2000, expiresAt: 9000 }]);
      assert.deepEqual(s.list('b', 10, 9000), [], 'an expired session is not listed');
    });

    it('evicts the least recently seen beyond maxEntries', () => {
      const s = store(3, 60_000);
      for (const k of ['a', 'b', 'c']) s.bind(k, 's', 0);
      s.touch('a', live(s.find('a', 5000)), 5000);
      s.bind('d', 's', 5001);
      assert.deepEqual(s.list(undefined, 10, 5002).map((v) => v.key).sort(), ['a', 'c', 'd'], 'b was least recently seen');
      assert.ok(s.find('a', 5002) && s.find('c', 5002) && s.find('d', 5002));
      assert.equal(s.size, 3);
      assert.equal(s.countOn('s'), kind.shared ? 4 : 3, 'a shared store forgets b here only');
    });

    it('a provisional session counts only once its client comes back, and ends sooner unseen', async () => {
      const s = kind.make({ maxEntries: 100, idleMs: 10_000, provisionalMs: 1000 });
      keepSession(s, 'once', 'a', 0, false);
      keepSession(s, 'twice', 'a', 0, false);
      await kind.settle(s);
      assert.deepEqual([s.countOn('a'), s.list('a', 10, 0).length, s.size], [0, 0, 2], 'found, but neither counted nor listed');
      assert.equal(live(s.find('twice', 500)).provisional, true);
      keepSession(s, 'twice', 'a', 500, false);
      assert.equal(s.countOn('a'), 0, 'seen again without its identity (a first burst): still provisional');
      keepSession(s, 'twice', 'a', 900, true);
      s.sweep(900);
      await kind.settle(s);
      assert.deepEqual([s.countOn('a'), s.list('a', 10, 900).map((v) => v.key)], [1, ['twice']]);
      assert.equal(s.find('once', 1000), undefined, 'unseen for provisionalMs: as if there had been none');
      assert.equal(live(s.find('twice', 5000)).provisional, false, 'a counted session keeps the whole idle window');
      keepSession(s, 'gone', 'b', 6000, false);
      assert.equal(s.end('gone')?.server, 'b');
      s.sweep(6000);
      await kind.settle(s);
      assert.deepEqual([s.countOn('a'), s.countOn('b')], [1, 0], 'ending a provisional session takes nothing off the counts');
    });

    it('provisional sessions are the first to go for room', () => {
      const s = kind.make({ maxEntries: 3, idleMs: 60_000 });
      s.bind('real-1', 's', 0);
      s.bind('real-2', 's', 1);
      for (let i = 0; i < 10; i++) s.bind(`one-shot-${i}`, 's', 10 + i, { provisional: true });
      assert.equal(s.size, 3);
      assert.ok(typeof s.find('real-1', 100) === 'object' && typeof s.find('real-2', 100) === 'object', 'both real sessions stay');
      assert.equal(live(s.find('one-shot-9', 100)).provisional, true, 'the newest one-shot holds the last place');
      keepSession(s, 'one-shot-9', 's', 200, true);
      s.bind('newcomer', 's', 300, { provisional: true });
      assert.equal(s.size, 3);
      assert.equal(live(s.find('newcomer', 400)).provisional, true, 'a full table of counted sessions still lets a new client in');
      assert.deepEqual(s.list(undefined, 10, 400).map((v) => v.key), ['real-2', 'one-shot-9'], 'the least recently seen counted session made room');
    });

    it('new limits keep the entries; a smaller bound drops the least recently seen', () => {
      const s = store(10, 1000);
      for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) s.bind(k, 's', i * 100);
      s.configure({ maxEntries: 10, idleMs: 5000 });
      const a = live(s.find('a', 2000));
      assert.equal(a.server, 's', 'a longer idle timeout applies to existing sessions');
      s.touch('a', a, 2000);
      s.configure({ maxEntries: 2, idleMs: 5000 });
      assert.equal(s.size, 2);
      assert.deepEqual(s.list(undefined, 10, 2000).map((v) => v.key).sort(), ['a', 'd'], 'b and c were least recently seen (a was seen at 2000)');
      assert.equal(s.countOn('s'), kind.shared ? 4 : 2);
    });
  });
}

describe('session store: redis, a provisional session across instances', () => {
  const config = storeSchema.parse({ type: 'redis', url: 'redis://127.0.0.1:6379', prefix: `mooring-test:${randomBytes(6).toString('hex')}:`, timeout: '2s' }) as RedisStoreConfig;
  const links = [new RedisLink(config, silentLogger), new RedisLink(config, silentLogger)];
  before(async () => {
    for (const link of links) link.start();
    const until = Date.now() + 5000;
    while (!links.every((l) => l.up) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(links.every((l) => l.up), "the machine's Redis on 127.0.0.1:6379 answers");
  });
  after(async () => {
    const keys: string[] = [];
    for await (const batch of links[0]!.client.scanIterator({ MATCH: `${config.prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await links[0]!.client.del(keys);
    await Promise.all(links.map((l) => l.close()));
  });

  it('made on one instance, it counts for the group once its client comes back through another', async () => {
    const limits = { maxEntries: 100, idleMs: 60_000, provisionalMs: 10_000 };
    const [a, b] = links.map((link) => new RedisSessionStore(link, 'svc:cookie', limits, () => ['s'])) as [RedisSessionStore, RedisSessionStore];
    const now = Date.now();
    keepSession(a, 'visitor', 's', now, false);
    await a.flush();
    a.sweep(now);
    await a.flush();
    assert.equal(a.countOn('s'), 0, 'provisional: not counted');
    await b.fetch('visitor');
    const seen = live(b.find('visitor', now + 10));
    assert.deepEqual([seen.server, seen.provisional], ['s', true], 'the other instance knows it, as provisional');
    keepSession(b, 'visitor', 's', now + 20, true);
    await b.flush();
    a.sweep(now + 30);
    await a.flush();
    assert.equal(a.countOn('s'), 1, 'counted for the group, as the first instance reads it');
    a.close();
    b.close();
  });
});

describe('session store: memory, the only home of its sessions', () => {
  it('binds an entry evicted for room again when its key comes back, to the same server', () => {
    const s = new MemorySessionStore({ maxEntries: 2, idleMs: 60_000 });
    s.bind('a', 'x', 0);
    s.bind('b', 'y', 10);
    s.bind('c', 'y', 20);
    assert.equal(s.countOn('x'), 0, 'a was evicted');
    const back = s.find('a', 30);
    assert.equal(typeof back === 'object' && back.server, 'x', 'a comes back to its server');
    assert.equal(s.countOn('x'), 1);
    assert.equal(s.size, 2, 'the bound holds: b went out for it');
    assert.equal(s.evictions, 2);
  });

  it('does not bring back an evicted entry that has expired meanwhile, or one ended', () => {
    const s = new MemorySessionStore({ maxEntries: 1, idleMs: 1000 });
    s.bind('a', 'x', 0);
    s.bind('b', 'x', 0);
    assert.equal(s.find('a', 5000), 'expired-idle');
    s.bind('c', 'x', 5000);
    assert.equal(s.end('b')?.server, 'x', 'an operator can end an evicted session');
    assert.equal(s.find('b', 5001), undefined);
  });

  it('as a cache of a shared store, forgets what it evicts (the shared store is asked instead)', () => {
    const s = new MemorySessionStore({ maxEntries: 1, idleMs: 60_000 }, { rememberEvicted: false });
    s.bind('a', 'x', 0);
    s.bind('b', 'x', 0);
    assert.equal(s.find('a', 1), undefined);
  });
});
