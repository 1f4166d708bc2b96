// The health table with a fake clock: derived eligibility, drains that survive health flips,
// ejection with doubling and a cap, reinstatement, slow start, backups, drain progress.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog } from '../core/events.ts';
import { HealthTable, type AdminState, type HealthSettings, type TableServer } from './table.ts';
import type { PassiveSettings } from './ejection.ts';

const PASSIVE: PassiveSettings = { consecutiveFailures: 3, failOn: ['connect', 'timeout'], ejectFor: 10_000, maxEjectFor: 35_000, maxEjectedPercent: 50 };

function table(ids: string[], settings: Partial<HealthSettings> = {}, extra: Partial<TableServer> & { backups?: string[] } = {}) {
  const events = new EventLog();
  const servers = ids.map((id) => ({ id, datacenter: 'dc', backup: extra.backups?.includes(id) ?? false, admin: 'enabled' as AdminState, assume: 'up' as const, ...extra }));
  const t = new HealthTable('svc', servers, { slowStart: 0, passive: PASSIVE, drainDeadline: 0, drainRate: 10, ...settings }, events, 0);
  const types = () => events.recent().map((e) => `${e.server}:${e.type}`);
  return { t, events, types };
}

const fail = (t: HealthTable, id: string, n: number, now: number) => {
  for (let i = 0; i < n; i++) t.report(id, 'connect', now);
};

describe('health table', () => {
  it('derives what a server may do from admin state × health', () => {
    const rows: [AdminState, 'up' | 'down' | 'unknown', boolean, boolean][] = [
      ['enabled', 'up', true, true],
      ['enabled', 'unknown', true, true],
      ['enabled', 'down', false, false],
      ['draining', 'up', true, false],
      ['draining', 'down', false, false],
      ['disabled', 'up', false, false],
    ];
    for (const [admin, health, existing, fresh] of rows) {
      const { t } = table(['a']);
      t.setAdmin('a', admin, 'test', 0);
      t.setMonitored('a', health, 'test', 0);
      assert.deepEqual([t.acceptsExisting('a'), t.acceptsNew('a')], [existing, fresh], `${admin} × ${health}`);
    }
  });

  it('a health flip never erases a drain; an enable never overrides a failed monitor', () => {
    const { t, types } = table(['a']);
    t.setAdmin('a', 'draining', 'operator', 0);
    t.setMonitored('a', 'down', 'probe failed', 1);
    t.setMonitored('a', 'up', 'probe passed', 2);
    assert.equal(t.admin('a'), 'draining');
    assert.equal(t.acceptsNew('a'), false);
    t.setMonitored('a', 'down', 'probe failed', 3);
    t.setAdmin('a', 'enabled', 'operator', 4);
    assert.equal(t.health('a'), 'down');
    assert.equal(t.acceptsNew('a'), false);
    assert.deepEqual(types(), ['a:draining', 'a:down', 'a:up', 'a:down', 'a:enabled']);
  });

  it('ejects after consecutive failures, reinstates after ejectFor, doubles on repeat up to the cap', () => {
    const { t, types } = table(['a', 'b', 'c', 'd']);
    fail(t, 'a', 2, 0);
    t.report('a', 'success', 0); // a success resets the count
    fail(t, 'a', 2, 0);
    assert.equal(t.ejected('a'), false);
    t.report('a', '5xx', 0); // not in failOn
    fail(t, 'a', 1, 0);
    assert.equal(t.ejected('a'), true);
    assert.equal(t.acceptsNew('a'), false);
    const lengths: number[] = [];
    let now = 0;
    for (let round = 0; round < 4; round++) {
      const from = now;
      while (t.ejected('a')) t.tick((now += 1000), () => 0);
      lengths.push(now - from);
      fail(t, 'a', 3, now);
    }
    assert.deepEqual(lengths, [10_000, 20_000, 35_000, 35_000]);
    assert.deepEqual(types().slice(0, 3), ['a:ejected', 'a:reinstated', 'a:ejected']);
  });

  it('never ejects more than maxEjectedPercent of a data center, nor a lone server', () => {
    const { t } = table(['a', 'b', 'c', 'd']);
    for (const id of ['a', 'b', 'c', 'd']) fail(t, id, 3, 0);
    assert.deepEqual(['a', 'b', 'c', 'd'].map((id) => t.ejected(id)), [true, true, false, false]);
    const lone = table(['x']).t;
    fail(lone, 'x', 10, 0);
    assert.equal(lone.ejected('x'), false);
  });

  it('with another data center, a data center whose every server is failing is ejected whole; one still answering keeps the cap', () => {
    const events = new EventLog();
    const server = (id: string, datacenter: string) => ({ id, datacenter, backup: false, admin: 'enabled' as AdminState, assume: 'up' as const });
    const make = (east = ['a', 'b']) => new HealthTable('svc', [...east.map((id) => server(id, 'east')), server('s', 'west')], { slowStart: 0, passive: PASSIVE, drainDeadline: 0, drainRate: 10 }, events, 0);
    const dying = make();
    fail(dying, 'a', 1, 0);
    fail(dying, 'b', 3, 0);
    fail(dying, 'a', 2, 0);
    assert.deepEqual(['a', 'b', 's'].map((id) => dying.ejected(id)), [true, true, false], 'east failed together: both out, so east counts as down');
    assert.equal(dying.servingIn('east'), 0);
    const partly = make(['a', 'b', 'c']);
    fail(partly, 'b', 3, 0);
    fail(partly, 'c', 1, 0);
    partly.report('c', 'success', 0);
    fail(partly, 'a', 3, 0);
    assert.deepEqual(['a', 'b', 'c'].map((id) => partly.ejected(id)), [false, true, false], 'c still answers: the cap (one of three) holds');
  });

  it('the ejection multiplier resets after maxEjectFor without trouble', () => {
    const { t } = table(['a', 'b']);
    fail(t, 'a', 3, 0);
    t.tick(10_000, () => 0); // reinstated after 10 s
    t.tick(45_000, () => 0); // healthy for maxEjectFor (35 s)
    fail(t, 'a', 3, 45_000);
    t.tick(54_000, () => 0);
    assert.equal(t.ejected('a'), true);
    t.tick(55_000, () => 0);
    assert.equal(t.ejected('a'), false, 'back to the first length (10 s), not 20 s');
  });

  it('slow start: a server that comes back ramps from a small share to 1, then says so', () => {
    const { t, types } = table(['a', 'b'], { slowStart: 30_000 });
    assert.equal(t.weightFactor('a', 0), 1, 'no ramp at start');
    t.setMonitored('a', 'down', 'probe', 1000);
    t.setMonitored('a', 'up', 'probe', 2000);
    assert.equal(t.weightFactor('a', 2000), 0.1);
    assert.equal(t.weightFactor('a', 2000 + 15_000), 0.5);
    t.tick(2000 + 29_000, () => 0);
    assert.ok(!types().includes('a:slow-start-done'));
    t.tick(2000 + 30_000, () => 0);
    assert.equal(t.weightFactor('a', 2000 + 30_000), 1);
    assert.equal(types().at(-1), 'a:slow-start-done');
  });

  it('backups take new sessions only while no primary of their data center does', () => {
    const { t } = table(['p1', 'p2', 'bk'], {}, { backups: ['bk'] });
    assert.deepEqual([t.acceptsNew('bk'), t.primaryAvailable('dc')], [false, true]);
    t.setMonitored('p1', 'down', 'probe', 0);
    assert.equal(t.acceptsNew('bk'), false);
    t.setAdmin('p2', 'draining', 'operator', 0);
    assert.deepEqual([t.acceptsNew('bk'), t.primaryAvailable('dc')], [true, false]);
    t.setMonitored('p1', 'up', 'probe', 0);
    assert.deepEqual([t.acceptsNew('bk'), t.primaryAvailable('dc')], [false, true]);
  });

  it('drain-complete once nothing remains on the server; moves after the deadline at drainRate', () => {
    const { t, types } = table(['a', 'b'], { drainDeadline: 60_000, drainRate: 2 });
    const remaining = new Map([['a', 3]]);
    t.setAdmin('a', 'draining', 'operator', 0);
    t.tick(1000, (id) => remaining.get(id) ?? 0);
    assert.ok(!types().includes('a:drain-complete'));
    assert.equal(t.drainMove('a', 59_999), false, 'not before the deadline');
    const moves = [60_000, 60_100, 60_200, 60_300, 61_000, 61_100, 61_200].map((now) => t.drainMove('a', now));
    assert.deepEqual(moves, [false, false, false, false, true, true, false], 'the bucket fills at 2 a second from the deadline');
    assert.equal(t.drainMove('a', 62_500), true);
    assert.equal(t.drainMove('a', 62_500), true);
    assert.equal(t.drainMove('a', 62_500), false);
    remaining.set('a', 0);
    t.tick(63_000, (id) => remaining.get(id) ?? 0);
    t.tick(64_000, (id) => remaining.get(id) ?? 0);
    assert.deepEqual(types().filter((x) => x === 'a:drain-complete'), ['a:drain-complete'], 'emitted once');
  });

  it('every event names time, server, old and new state and reason', () => {
    const { t, events } = table(['a', 'b']);
    t.setMonitored('a', 'down', 'http GET /health: status 500', 1234);
    assert.deepEqual(events.recent()[0], { at: 1234, type: 'down', service: 'svc', server: 'a', from: 'unknown', to: 'down', reason: 'http GET /health: status 500' });
  });
  it('counts serving servers per data center through reloads that move, demote and remove them', () => {
    const events = new EventLog();
    const server = (id: string, datacenter: string, backup: boolean): TableServer => ({ id, datacenter, backup, admin: 'enabled', assume: 'up' });
    const settings = { slowStart: 5000, passive: undefined, drainDeadline: 0, drainRate: 10 };
    const t = new HealthTable('svc', [server('a', 'dc1', false), server('b', 'dc1', true), server('c', 'dc2', false)], settings, events, 0);
    const seen = () => ({ dc1: t.servingIn('dc1'), dc2: t.servingIn('dc2'), backupTakesNew: t.acceptsNew('b'), ramping: t.anyRamping });
    assert.deepEqual(seen(), { dc1: 1, dc2: 1, backupTakesNew: false, ramping: false }, 'at start');
    t.setMonitored('a', 'down', 'test', 1);
    assert.deepEqual(seen(), { dc1: 1, dc2: 1, backupTakesNew: true, ramping: false }, 'primary down: the backup serves');
    t.reconcile([server('a', 'dc1', false), server('b', 'dc1', true), server('c', 'dc1', false)], settings, new Set(), 2);
    assert.deepEqual(seen(), { dc1: 1, dc2: 0, backupTakesNew: false, ramping: false }, 'c moved to dc1');
    t.reconcile([server('a', 'dc1', false), server('b', 'dc1', true)], settings, new Set(), 3);
    assert.deepEqual(seen(), { dc1: 1, dc2: 0, backupTakesNew: true, ramping: false }, 'c removed');
    t.reconcile([server('a', 'dc1', false), server('b', 'dc1', false)], settings, new Set(), 4);
    assert.deepEqual(seen(), { dc1: 1, dc2: 0, backupTakesNew: true, ramping: false }, 'b no longer a backup');
    t.setMonitored('a', 'up', 'test', 5);
    assert.deepEqual(seen(), { dc1: 2, dc2: 0, backupTakesNew: true, ramping: true }, 'a back up, ramping');
  });
});
