// Sticky routing decisions as a table: identity × where the server stands × policy → plan (no sockets).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type Plan, type PlanView, type SessionPolicy, type Standing } from './router.ts';
import { makeServers } from '../balancer/test-servers.ts';
import type { Identity } from './types.ts';

/** A plain view: servers a and b, a's standing and whether it is over a limit. */
function service(policy: Partial<SessionPolicy>, standingA: Standing = 'ok', overloadedA = false): PlanView {
  const servers = makeServers([1, 1]).map((s, i) => ({ ...s, id: i === 0 ? 'a' : 'b' }));
  return {
    policy: { onOverload: 'redispatch', strict: false, debugHeader: false, datacenterPersistence: true, failbackSessions: 'stay', ...policy },
    server: (id) => servers.find((s) => s.id === id),
    standing: (s) => (s.id === 'a' ? standingA : 'ok'),
    overloaded: (s) => s.id === 'a' && overloadedA,
  };
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
    ['joined a first burst', { status: 'found', serverId: 'a', joinedBurst: true }, service({}), 'burst a - - - -'],
    ['joined a first burst, server down', { status: 'found', serverId: 'a', joinedBurst: true }, service({}, 'down'), 'target-down - a down - -'],
    ['pinned, down', found('a'), service({}, 'down'), 'target-down - a down - -'],
    ['pinned, down, strict', found('a'), service({ strict: true }, 'down'), 'target-down - - - - MOORING_PINNED_SERVER_DOWN'],
    ['pinned, disabled', found('a'), service({}, 'disabled'), 'disabled - a disabled - -'],
    ['pinned, disabled, strict', found('a'), service({ strict: true }, 'disabled'), 'disabled - - - - MOORING_PINNED_SERVER_DOWN'],
    ['pinned, drain deadline passed', found('a'), service({}, 'drained'), 'drained - a drain - -'],
    ['pinned, drain deadline passed, strict: stays', found('a'), service({ strict: true }, 'drained'), 'honored a - - - -'],
    ['pinned to a backup, primary back', found('a'), service({}, 'failback'), 'failback - a failback - -'],
    ['pinned to a backup, primary back, strict: stays', found('a'), service({ strict: true }, 'failback'), 'honored a - - - -'],
    ['pinned, removed', found('gone'), service({}), 'repinned - gone removed - -'],
    ['pinned, removed, strict', found('gone'), service({ strict: true }), 'repinned - - - - MOORING_PINNED_SERVER_DOWN'],
    ['overloaded, redispatch', found('a'), service({}, 'ok', true), 'overloaded - a overload - -'],
    ['overloaded, queue', found('a'), service({ onOverload: 'queue' }, 'ok', true), 'overloaded a - - wait -'],
    ['overloaded, reject', found('a'), service({ onOverload: 'reject' }, 'ok', true), 'overloaded - - - - MOORING_SESSION_SERVER_BUSY'],
    ['down and overloaded: moved as down', found('a'), service({}, 'down', true), 'target-down - a down - -'],
  ];
  for (const [name, identity, svc, want] of cases) it(name, () => assert.equal(summary(plan(identity, svc)), want));
});
