// Sticky routing decisions as a table: identity × server state × policy → plan (no sockets).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type Plan } from './router.ts';
import { ServiceSnapshot, type SessionPolicy } from '../topology/snapshot.ts';
import { makeServers } from '../balancer/test-servers.ts';
import { roundRobin } from '../balancer/round-robin.ts';
import { seededRandom, systemClock } from '../core/clock.ts';
import { UpstreamPools } from '../proxy/forwarder.ts';
import { WaitQueue } from '../proxy/wait-queue.ts';
import type { ServerStatus } from '../core/server.ts';
import type { Identity, PersistenceMethod } from './types.ts';

function service(policy: Partial<SessionPolicy>, statuses: Record<string, ServerStatus> = {}, inflightA = 0, sessionsA = 0) {
  const servers = makeServers([1, 1]).map((s, i) => ({ ...s, id: i === 0 ? 'a' : 'b', maxConnections: 2, maxSessions: 3 }));
  servers[0]!.load.inflight = inflightA;
  const method: PersistenceMethod = {
    ownCookie: undefined,
    identify: () => ({ status: 'none' }),
    commit: () => {},
    sessionsOn: (id) => (id === 'a' ? sessionsA : 0),
    sweep: () => {},
  };
  return new ServiceSnapshot(
    'svc',
    servers,
    roundRobin.build(servers, {}, { random: seededRandom(1), clock: systemClock }),
    2,
    new UpstreamPools({ connections: 1, keepAlive: 1000, timeouts: { connect: 1, header: 1, response: 1, idle: 1, tunnel: 1, shutdown: 1, queue: 1 } }),
    method,
    { onOverload: 'redispatch', strict: false, debugHeader: false, ...policy },
    new Map(Object.entries(statuses)),
    new WaitQueue(),
  );
}

const found = (serverId: string): Identity => ({ status: 'found', serverId });
const summary = (p: Plan) => [p.decision, p.pinned?.id ?? '-', p.movedFrom ?? '-', p.reason ?? '-', p.wait ? 'wait' : '-', p.refuse ?? '-'].join(' ');

describe('sticky routing plan', () => {
  const cases: [string, Identity | undefined, ReturnType<typeof service>, string][] = [
    ['method none', undefined, service({}), 'none - - - - -'],
    ['no identity yet', { status: 'none' }, service({}), 'new - - - - -'],
    ['invalid cookie', { status: 'invalid' }, service({}), 'invalid - - - - -'],
    ['idle-expired', { status: 'expired-idle' }, service({}), 'expired-idle - - - - -'],
    ['life-expired', { status: 'expired-life' }, service({}), 'expired-life - - - - -'],
    ['pinned, healthy', found('a'), service({}), 'honored a - - - -'],
    ['pinned, draining: kept', found('a'), service({}, { a: 'draining' }), 'honored a - - - -'],
    ['pinned, down', found('a'), service({}, { a: 'down' }), 'target-down - a down - -'],
    ['pinned, down, strict', found('a'), service({ strict: true }, { a: 'down' }), 'target-down - - - - MOORING_PINNED_SERVER_DOWN'],
    ['pinned, disabled', found('a'), service({}, { a: 'disabled' }), 'draining - a drain - -'],
    ['pinned, removed', found('gone'), service({}), 'repinned - gone removed - -'],
    ['pinned, removed, strict', found('gone'), service({ strict: true }), 'repinned - - - - MOORING_PINNED_SERVER_DOWN'],
    ['over maxConnections, redispatch', found('a'), service({}, {}, 2), 'overloaded - a overload - -'],
    ['over maxConnections, queue', found('a'), service({ onOverload: 'queue' }, {}, 2), 'overloaded a - - wait -'],
    ['over maxConnections, reject', found('a'), service({ onOverload: 'reject' }, {}, 2), 'overloaded - - - - MOORING_OVERLOADED'],
    ['at maxSessions (counted already): honored', found('a'), service({}, {}, 0, 3), 'honored a - - - -'],
    ['over maxSessions: overloaded', found('a'), service({}, {}, 0, 4), 'overloaded - a overload - -'],
  ];
  for (const [name, identity, svc, want] of cases) it(name, () => assert.equal(summary(plan(identity, svc)), want));

  it('acceptsNew: up and below both limits only', () => {
    assert.equal(service({}).acceptsNew(service({}).servers[0]!), true);
    const s = service({}, { b: 'draining' }, 2, 0);
    assert.deepEqual(s.servers.map((x) => s.acceptsNew(x)), [false, false]);
    const full = service({}, {}, 0, 3);
    assert.equal(full.acceptsNew(full.servers[0]!), false);
  });
});
