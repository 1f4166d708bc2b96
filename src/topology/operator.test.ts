// Operator commands over a real topology: each changes what it names and nothing else; listeners
// hear the commands made here (to pass them on), never those received from elsewhere; a command
// naming what does not exist says why.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigObject } from '../config/load.ts';
import { EventLog } from '../core/events.ts';
import { seededRandom, type Clock } from '../core/clock.ts';
import { Topology } from './topology.ts';
import { Operator, parseCommand, type OperatorCommand } from './operator.ts';

function setup() {
  const clock: Clock & { t: number } = { t: 1_000_000, now: () => clock.t };
  const config = parseConfigObject({
    listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
    services: [
      { name: 'app', persistence: { method: 'header', header: 'X-Session' }, servers: [{ id: 'a', url: 'http://127.0.0.1:1' }, { id: 'b', url: 'http://127.0.0.1:2' }] },
      { name: 'other', servers: [{ id: 'c', url: 'http://127.0.0.1:3' }] },
    ],
  });
  const topology = new Topology(config, { clock, random: seededRandom(1) }, new EventLog());
  const operator = new Operator(topology, clock.now);
  const heard: OperatorCommand[] = [];
  operator.onApplied((c) => heard.push(c));
  return { topology, operator, heard, app: topology.handles.get('app')!, clock };
}

describe('operator commands', () => {
  it('drain, weight and end-session change what they name; listeners hear each', () => {
    const { topology, operator, heard, app, clock } = setup();
    try {
      assert.deepEqual(operator.command({ type: 'server-state', service: 'app', server: 'a', state: 'draining' }), { ok: true, services: ['app'] });
      assert.equal(app.health.admin('a'), 'draining');
      assert.equal(app.health.admin('b'), 'enabled');
      assert.deepEqual(operator.command({ type: 'server-weight', service: 'app', server: 'b', weight: 7 }), { ok: true, services: ['app'] });
      assert.equal(app.current.server('b')!.weight, 7);
      app.store.bind('user-1', 'b', clock.t);
      assert.deepEqual(operator.command({ type: 'end-session', key: 'user-1' }), { ok: true, services: ['app'] });
      assert.equal(app.store.find('user-1', clock.t), undefined);
      assert.deepEqual(heard.map((c) => c.type), ['server-state', 'server-weight', 'end-session']);
    } finally {
      topology.stop();
    }
  });

  it('a command received from elsewhere is applied but not passed on again', () => {
    const { topology, operator, heard, app } = setup();
    try {
      assert.equal(operator.apply({ type: 'server-state', service: 'app', server: 'b', state: 'disabled' }).ok, true);
      assert.equal(app.health.admin('b'), 'disabled');
      assert.deepEqual(heard, []);
    } finally {
      topology.stop();
    }
  });

  it('says why when what a command names does not exist; nothing is passed on', () => {
    const { topology, operator, heard } = setup();
    try {
      assert.deepEqual(operator.command({ type: 'server-state', service: 'app', server: 'c', state: 'draining' }), { ok: false, why: 'no-such-server' });
      assert.deepEqual(operator.command({ type: 'server-weight', service: 'nope', server: 'a', weight: 2 }), { ok: false, why: 'no-such-server' });
      assert.deepEqual(operator.command({ type: 'end-session', key: 'nobody' }), { ok: false, why: 'no-such-session' });
      assert.deepEqual(operator.command({ type: 'failback', service: 'app', datacenter: 'default' }), { ok: false, why: 'no-failover' });
      assert.equal(topology.handles.get('other')!.health.admin('c'), 'enabled');
      assert.deepEqual(heard, []);
    } finally {
      topology.stop();
    }
  });

  it('a command from another process is read only when it is exactly one', () => {
    const good: OperatorCommand = { type: 'server-state', service: 'app', server: 'a', state: 'draining' };
    assert.deepEqual(parseCommand(JSON.stringify(good)), good);
    for (const bad of ['', 'not json', '[]', '{"type":"server-state","service":"app","server":"a","state":"gone"}', '{"type":"server-weight","service":"app","server":"a","weight":0}', '{"type":"end-session","key":"k","extra":1}', '{"type":"reboot"}']) {
      assert.equal(parseCommand(bad), undefined, bad);
    }
  });

  it('shares commands: made here are sent, received are applied and not sent again; bad ones are reported', () => {
    const { topology, operator, app } = setup();
    try {
      const sent: string[] = [];
      const refused: string[] = [];
      let deliver: (text: string) => void = () => {};
      operator.share({ send: (t) => sent.push(t), receive: (l) => (deliver = l) }, (_t, why) => refused.push(why));
      operator.command({ type: 'server-state', service: 'app', server: 'a', state: 'draining' });
      assert.equal(sent.length, 1);
      deliver(JSON.stringify({ type: 'server-state', service: 'app', server: 'b', state: 'disabled' }));
      assert.equal(app.health.admin('b'), 'disabled');
      assert.equal(sent.length, 1, 'a received command is not sent on');
      deliver('{"type":"nonsense"}');
      deliver(JSON.stringify({ type: 'server-state', service: 'app', server: 'zz', state: 'disabled' }));
      assert.deepEqual(refused, ['not an operator command', 'no-such-server']);
    } finally {
      topology.stop();
    }
  });

  it('applies a kept command only when it is later than the slot\'s last change here, and says nothing of a kept one for a server it does not run', () => {
    const { topology, operator, app } = setup();
    try {
      const sent: [string, string | undefined][] = [];
      const refused: string[] = [];
      let deliver: (text: string, keptAt?: number) => void = () => {};
      operator.share({ send: (t, slot) => sent.push([t, slot]), receive: (l) => (deliver = l) }, (_t, why) => refused.push(why));
      operator.command({ type: 'server-state', service: 'app', server: 'a', state: 'draining' });
      assert.equal(sent[0]![1], 'state:app:a', 'a server\'s state is a lasting change, kept under its slot');
      operator.command({ type: 'end-session', key: 'nobody' });
      assert.equal(sent.length, 1, 'a command that changed nothing is not sent');
      const disable = JSON.stringify({ type: 'server-state', service: 'app', server: 'a', state: 'disabled' });
      deliver(disable, Date.now() - 60_000);
      assert.equal(app.health.admin('a'), 'draining', 'a kept change older than the one made here is not news');
      deliver(disable, Date.now() + 1);
      assert.equal(app.health.admin('a'), 'disabled', 'a later kept change applies');
      deliver(JSON.stringify({ type: 'server-weight', service: 'app', server: 'zz', weight: 2 }), Date.now());
      assert.deepEqual(refused, [], 'a kept change for a server not run here is not reported');
    } finally {
      topology.stop();
    }
  });
});
