// The record hub hands each record to every sink exactly once, the records of one event-loop turn
// together, and never to a sink that was replaced after the record was made.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RecordHub, type RequestRecord } from './record.ts';

const record = (path: string): RequestRecord => ({
  kind: 'request', time: 0, listener: 'web', clientIp: '127.0.0.1', method: 'GET', host: undefined, path, status: 200, bytesIn: 0, bytesOut: 0,
  service: 'app', datacenter: undefined, server: 'a', decision: 'none', degraded: false, attempts: 1, queueMs: 0, firstByteMs: 0, totalMs: 0, ended: 'complete',
});

/** A sink that keeps each batch it is handed, as paths. */
function keeper(): { sink: (records: readonly RequestRecord[]) => void; batches: string[][] } {
  const batches: string[][] = [];
  return { sink: (records) => batches.push(records.map((r) => r.path)), batches };
}

describe('record hub', () => {
  it('makes no record without a sink', () => {
    const hub = new RecordHub();
    assert.equal(hub.taker, undefined);
    hub.setSinks([undefined, undefined]);
    assert.equal(hub.taker, undefined);
  });

  it('hands the records of one turn to every sink together, once', async () => {
    const hub = new RecordHub();
    const a = keeper();
    const b = keeper();
    hub.setSinks([a.sink, undefined, b.sink]);
    const take = hub.taker!;
    take(record('/1'));
    take(record('/2'));
    assert.deepEqual(a.batches, [], 'not before the turn ends');
    await nextTurn();
    take(record('/3'));
    await nextTurn();
    await nextTurn();
    assert.deepEqual(a.batches, [['/1', '/2'], ['/3']]);
    assert.deepEqual(b.batches, a.batches);
  });

  it('hands what waits to the old sinks before new ones take over, and at flush', async () => {
    const hub = new RecordHub();
    const old = keeper();
    const next = keeper();
    hub.setSinks([old.sink]);
    hub.taker!(record('/before'));
    hub.setSinks([next.sink]);
    hub.taker!(record('/after'));
    hub.flush();
    await nextTurn();
    assert.deepEqual(old.batches, [['/before']]);
    assert.deepEqual(next.batches, [['/after']]);
  });
});
