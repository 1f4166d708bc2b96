// A service's live decisions over its snapshot and runtime: where a pinned server stands (from the health table) and whether a
// server takes new sessions (health, admin state and its limits), with a fake clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeServers } from '../balancer/test-servers.ts';
import { roundRobin } from '../balancer/round-robin.ts';
import { seededRandom, type Clock } from '../core/clock.ts';
import { EventLog } from '../core/events.ts';
import { HealthTable } from '../health/table.ts';
import type { PersistenceMethod } from '../persistence/types.ts';
import { MemorySessionStore } from '../state/memory-session-store.ts';
import { makeUpstreamClient } from '../upstream/make-client.ts';
import { ServiceSnapshot } from './snapshot.ts';
import { Service, ServiceHandle } from './service.ts';
import { failover } from '../gslb/failover.ts';
import { NO_MEASURES } from '../gslb/latency.ts';
import { NO_GEO } from '../gslb/geo.ts';

function snapshot(sessionsA = 0, backup = false) {
  const clock: Clock & { t: number } = { t: 0, now: () => clock.t };
  const servers = makeServers([1, 1]).map((s, i) => ({ ...s, id: i === 0 ? 'a' : 'b', datacenter: 'dc', maxConnections: 2, maxSessions: 3 }));
  const members = servers.map((s) => ({ id: s.id, datacenter: 'dc', backup: backup && s.id === 'a', admin: 'enabled' as const, assume: 'up' as const }));
  const health = new HealthTable('svc', members, { slowStart: 0, passive: undefined, drainDeadline: 10_000, drainRate: 5 }, new EventLog(), 0);
  const method: PersistenceMethod = { ownCookie: undefined, identify: () => ({ status: 'none' }), commit: () => {}, endSession: () => false };
  const store = new MemorySessionStore({ maxEntries: 100, idleMs: 60_000 });
  for (let i = 0; i < sessionsA; i++) store.bind(`session-${i}`, 'a', 0);
  const upstream = makeUpstreamClient({ connections: 1, reserved: 0.25, keepAlive: 1000, maxHeaderBytes: 16_384, timeouts: { connect: 1, response: 1, idle: 1 } });
  const runtime = new ServiceHandle('svc', upstream, health, store);
  runtime.persistence = method;
  const env = { clock, random: seededRandom(1) };
  const dc = { name: 'dc', standby: false, minServersUp: 1, weight: 1, kickstart: undefined, servers, balancer: roundRobin.build(servers, {}, env) };
  const value = new ServiceSnapshot('svc', servers, [dc], failover.build([dc], env, NO_GEO, NO_MEASURES), false, 2, false, { onOverload: 'redispatch', strict: false, debugHeader: false, datacenterPersistence: true, failbackSessions: 'stay' }, env);
  const snap = (runtime.current = new Service(value, runtime));
  return { snap, health, clock, a: servers[0]!, b: servers[1]! };
}

describe('service: live decisions', () => {
  it('standing of a pinned server follows the health table', () => {
    const { snap, health, clock, a } = snapshot();
    assert.equal(snap.standing(a), 'ok');
    health.setAdmin('a', 'draining', 'test', 0);
    assert.equal(snap.standing(a), 'ok', 'a draining server keeps its sessions');
    clock.t = 10_000;
    assert.equal(snap.standing(a), 'ok', 'no move credit yet at the deadline');
    clock.t = 10_200;
    assert.equal(snap.standing(a), 'drained', 'after the deadline, moved at drainRate');
    assert.equal(snap.standing(a), 'ok', 'one move per 200 ms at 5 a second');
    health.setAdmin('a', 'disabled', 'test', 0);
    assert.equal(snap.standing(a), 'disabled');
    health.setMonitored('a', 'down', 'test', 0);
    assert.equal(snap.standing(a), 'down', 'down wins over disabled: the server cannot serve');
  });

  it('a backup stands for failback while a primary is eligible', () => {
    const { snap, health, a } = snapshot(0, true);
    assert.equal(snap.standing(a), 'failback');
    health.setMonitored('b', 'down', 'test', 0);
    assert.equal(snap.standing(a), 'ok');
  });

  it('acceptsNew: eligible by health and admin state, and below both limits', () => {
    const { snap, health, a, b } = snapshot();
    assert.deepEqual([snap.acceptsNew(a), snap.acceptsNew(b)], [true, true]);
    health.setAdmin('b', 'draining', 'test', 0);
    a.load.inflight = 2;
    assert.deepEqual([snap.acceptsNew(a), snap.acceptsNew(b)], [false, false]);
    assert.equal(snap.overloaded(a), true);
    const full = snapshot(3);
    assert.equal(full.snap.acceptsNew(full.a), false, 'at maxSessions');
    assert.equal(full.snap.overloaded(full.a), false, 'at maxSessions its own sessions still fit');
    assert.equal(snapshot(4).snap.overloaded(snapshot(4).a), true);
  });
});
