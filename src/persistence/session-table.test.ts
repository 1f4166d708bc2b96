// The session table: expiry (idle and absolute), LRU bound, per-server live counts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionTable } from './session-table.ts';

describe('session table', () => {
  it('finds live entries, reports and removes expired ones', () => {
    const t = new SessionTable(100, 1000);
    t.bind('k', 'a', 0);
    assert.equal((t.find('k', 500) as { server: string }).server, 'a');
    assert.equal(t.find('k', 1000), 'expired-idle');
    assert.equal(t.find('k', 1001), undefined);
    t.bind('life', 'a', 0, 300);
    assert.equal(t.find('life', 300), 'expired-life');
  });

  it('touch extends the idle window', () => {
    const t = new SessionTable(100, 1000);
    const e = t.bind('k', 'a', 0);
    t.touch('k', e, 900);
    assert.ok(typeof t.find('k', 1800) === 'object');
  });

  it('counts live sessions per server through bind, re-bind, delete and expiry', () => {
    const t = new SessionTable(100, 1000);
    t.bind('1', 'a', 0);
    t.bind('2', 'a', 0);
    t.bind('3', 'b', 0);
    assert.deepEqual([t.sessionsOn('a'), t.sessionsOn('b')], [2, 1]);
    t.bind('2', 'b', 10);
    assert.deepEqual([t.sessionsOn('a'), t.sessionsOn('b')], [1, 2]);
    t.delete('3');
    assert.deepEqual([t.sessionsOn('a'), t.sessionsOn('b')], [1, 1]);
    assert.equal(t.sweep(1005), 1);
    assert.deepEqual([t.sessionsOn('a'), t.sessionsOn('b'), t.size], [0, 1, 1]);
    assert.equal(t.sweep(2000), 1);
    assert.equal(t.size, 0);
  });

  it('evicts the least recently used beyond maxEntries', () => {
    const t = new SessionTable(3, 60_000);
    for (const k of ['a', 'b', 'c']) t.bind(k, 's', 0);
    t.touch('a', t.find('a', 5000) as never, 5000); // a is now the most recent
    t.bind('d', 's', 5001);
    assert.equal(t.find('b', 5002), undefined, 'b was least recently used');
    assert.ok(t.find('a', 5002) && t.find('c', 5002) && t.find('d', 5002));
    assert.equal(t.sessionsOn('s'), 3);
  });
});
