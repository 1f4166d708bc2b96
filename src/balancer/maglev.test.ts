// Maglev: golden tables (the mapping is user-visible, it must not change by accident) and the
// minimal-disruption property.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildTable, isPrime, maglev } from './maglev.ts';
import { makeServers, pickContext } from './test-servers.ts';
import { murmur3 } from '../core/hash.ts';
import { seededRandom, systemClock } from '../core/clock.ts';
import type { Server } from '../core/server.ts';

const env = { random: seededRandom(1), clock: systemClock };

describe('maglev', () => {
  it('hash golden values', () => {
    assert.deepEqual(
      ['', 'a', 'abc', 'hello world', 'ünïcödé'].map((s) => murmur3(s)),
      [0, 1867108634, 1118836419, 1689409188, 3309512384],
    );
    assert.equal(murmur3('hello', 42), 3590045041);
  });

  it('table golden: 3 servers, size 101', () => {
    const table = buildTable(makeServers([1, 1, 1], 'srv-'), 101);
    assert.equal(
      Array.from(table).join(''),
      '12210011022021010121210111210111220012102022100022100010220012122012100022100112220210120210102212100',
    );
  });

  it('key golden: the same keys map to the same servers', () => {
    const servers = makeServers([1, 1, 1], 'srv-');
    const balancer = maglev.build(servers, maglev.options.parse({}), env);
    const ids = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(
      (key) => balancer.pick(pickContext(undefined, key))!.id,
    );
    assert.deepEqual(ids, ['srv-0', 'srv-1', 'srv-0', 'srv-2', 'srv-2', 'srv-1', 'srv-0', 'srv-1']);
  });

  it('fills every slot, and the table depends on ids, not list order: every slot agrees', () => {
    const servers = makeServers([1, 2, 1, 3, 1], 'x');
    const table = buildTable(servers, 65537);
    assert.ok(!table.includes(-1));
    const byId = (t: Int32Array, list: readonly Server[], slot: number) => list[t[slot]!]!.id;
    const rnd = seededRandom(5);
    for (let round = 0; round < 5; round++) {
      const shuffled = [...servers].sort(() => rnd.next() - 0.5);
      const table2 = buildTable(shuffled, 65537);
      let differ = 0;
      for (let slot = 0; slot < 65537; slot++) if (byId(table, servers, slot) !== byId(table2, shuffled, slot)) differ++;
      assert.equal(differ, 0, `${differ} slots differ for ${shuffled.map((s) => s.id)}`);
    }
  });

  for (const n of [3, 5, 10]) {
    it(`removing one of ${n} servers moves only about 1/${n} of keys, nearly all the removed server's`, () => {
      const before = makeServers(Array(n).fill(1), 'node-');
      const after = before.filter((s) => s.id !== 'node-1');
      const b1 = maglev.build(before, maglev.options.parse({}), env);
      const b2 = maglev.build(after, maglev.options.parse({}), env);
      const keys = 20_000;
      let moved = 0;
      let movedOthers = 0;
      for (let i = 0; i < keys; i++) {
        const key = `client-${i}`;
        const was = b1.pick(pickContext(undefined, key))!.id;
        const now = b2.pick(pickContext(undefined, key))!.id;
        if (was !== now) {
          moved++;
          if (was !== 'node-1') movedOthers++;
        }
      }
      assert.ok(moved / keys <= 1 / n + 0.02, `moved ${moved} of ${keys}`);
      assert.ok(movedOthers / keys <= 0.02, `${movedOthers} keys of remaining servers moved`);
    });
  }

  it('an ineligible server sends its keys elsewhere, and only its keys', () => {
    const servers = makeServers([1, 1, 1, 1], 'n');
    const balancer = maglev.build(servers, maglev.options.parse({}), env);
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`;
      const home = balancer.pick(pickContext(undefined, key))!;
      const other = balancer.pick(pickContext((s) => s.id !== 'n2', key))!;
      if (home.id !== 'n2') assert.equal(other.id, home.id);
      else assert.notEqual(other.id, 'n2');
    }
  });

  it('rejects a table size that is not prime', () => {
    assert.ok(isPrime(65537) && isPrime(101) && !isPrime(65536) && !isPrime(1));
    assert.equal(maglev.options.safeParse({ tableSize: 1000 }).success, false);
    assert.equal(maglev.options.safeParse({ key: 'header:X-User', tableSize: 1009 }).success, true);
    assert.equal(maglev.options.safeParse({ key: 'body:x' }).success, false);
  });
});

describe('maglev weights', () => {
  it('gives each server a table share proportional to its weight (within 1%)', () => {
    const weights = [1, 2, 3, 10];
    const table = buildTable(makeServers(weights), 65537);
    const counts = weights.map(() => 0);
    for (const slot of table) counts[slot]!++;
    const total = weights.reduce((a, b) => a + b, 0);
    counts.forEach((c, i) => {
      const want = (65537 * weights[i]!) / total;
      assert.ok(Math.abs(c - want) <= 0.01 * want, `server ${i}: ${c} slots, expected ${want}`);
    });
  });
});
