// One try on one server, against a scripted upstream client: it counts the server's load exactly
// once whatever order the client's callbacks come in, keeps the overall deadline until the answer
// begins (or the last body byte went out), aborts a call that connects after its owner gave it up,
// and bounds slow-client holds by the pool's share.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newLoad, type Server } from '../core/server.ts';
import { WaitQueue } from '../core/wait-queue.ts';
import { UpstreamError, type UpgradeHandler, type UpstreamClient, type UpstreamHandler, type UpstreamRequest } from '../upstream/client.ts';
import { PassThrough } from 'node:stream';
import { Attempt, type AttemptOwner, type AttemptService } from './attempt.ts';
import { DeadlineList } from './deadlines.ts';

const server = (): Server => ({ id: 'a', url: 'http://127.0.0.1:1', origin: 'http://127.0.0.1:1', weight: 1, datacenter: 'default', maxConnections: Infinity, maxSessions: Infinity, load: newLoad() });
const REQUEST: UpstreamRequest = { method: 'GET', path: '/', headers: [], body: null };

/** A service whose client keeps the handler of each call it is given (nothing is sent anywhere). */
function fakeService(slowHoldCap = 1) {
  const calls: UpstreamHandler[] = [];
  const counts = { acquired: 0, released: 0 };
  const upstream = {
    dispatch: (_t: unknown, _r: UpstreamRequest, handler: UpstreamHandler) => calls.push(handler),
    upgrade: (_t: unknown, _r: UpstreamRequest, handler: UpgradeHandler) => calls.push(handler),
    slowHoldCap,
  } as unknown as UpstreamClient;
  const service: AttemptService = {
    acquire: (s) => void (counts.acquired++, s.load.inflight++),
    release: (s) => void (counts.released++, s.load.inflight--),
    runtime: { upstream, queue: new WaitQueue() },
  };
  return { service, calls, counts };
}

/** An owner that writes down what it hears; `carryOn` is what bodySent answers. */
function fakeOwner(carryOn = true) {
  const heard: string[] = [];
  const owner: AttemptOwner = {
    answerHead: (_a, status) => (heard.push(`head ${status}`), true),
    answerData: (_a, chunk) => (heard.push(`data ${chunk.length}`), true),
    answerEnd: () => void heard.push('end'),
    bodySent: (_a, bytes) => (heard.push(`sent ${bytes}`), carryOn),
    attemptFailed: (_a, err) => void heard.push(`failed ${(err as UpstreamError).kind}`),
    deadlinePassed: () => void heard.push('deadline'),
  };
  return { owner, heard };
}

describe('Attempt', () => {
  it('counts the load once, from send to the answer\'s end; a failure reported after the end is ignored', () => {
    const { service, calls, counts } = fakeService();
    const { owner, heard } = fakeOwner();
    const deadlines = new DeadlineList(10_000);
    const a = server();
    const attempt = new Attempt(a, service, deadlines, owner);
    attempt.send(REQUEST);
    assert.deepEqual([counts.acquired, a.load.inflight, attempt.hasDeadline, calls.length], [1, 1, true, 1]);
    const handler = calls[0]!;
    handler.onConnect(() => assert.fail('not aborted'));
    assert.equal(attempt.reachedServer, true);
    assert.equal(handler.onHeaders(200, ['content-length', '3'], () => {}), true);
    assert.equal(attempt.hasDeadline, false, 'the deadline ends when the answer begins');
    assert.ok(a.load.ewmaTtfbMs > 0, 'time to first byte recorded');
    handler.onData(Buffer.from('abc'));
    handler.onComplete();
    handler.onError(new UpstreamError('reset-mid-answer', 'late'));
    assert.deepEqual(heard, ['head 200', 'data 3', 'end']);
    assert.deepEqual([counts.released, a.load.inflight], [1, 0]);
    deadlines.stop();
  });

  it('a failure releases the server once and wakes a request waiting for room', () => {
    const { service, calls, counts } = fakeService();
    const { owner, heard } = fakeOwner();
    let woken = 0;
    service.runtime.queue.add({ waitsFor: 'a', tryAgain: () => (woken++, true) });
    const attempt = new Attempt(server(), service, new DeadlineList(10_000), owner);
    attempt.send(REQUEST);
    calls[0]!.onError(new UpstreamError('connect-refused', 'refused'));
    calls[0]!.onError(new UpstreamError('connect-refused', 'twice'));
    assert.deepEqual(heard, ['failed connect-refused']);
    assert.deepEqual([counts.released, woken, attempt.reachedServer], [1, 1, false]);
  });

  it('given up before a connection took it: released at once, and aborted when a connection does', () => {
    const { service, calls, counts } = fakeService();
    const { owner, heard } = fakeOwner();
    const attempt = new Attempt(server(), service, new DeadlineList(10_000), owner);
    attempt.send(REQUEST);
    const reason = new Error('client gone');
    assert.equal(attempt.abort(reason), false, 'nothing to abort yet');
    attempt.release();
    assert.equal(counts.released, 1);
    const aborted: Error[] = [];
    calls[0]!.onConnect((why) => aborted.push(why));
    assert.deepEqual(aborted, [reason]);
    calls[0]!.onError(reason);
    assert.deepEqual(heard, [], 'the owner hears nothing more of it');
    assert.equal(counts.released, 1);
  });

  it('keeps the deadline while the body flows, unless the owner stops it; passes it on when it fires', () => {
    let skew = 0;
    const deadlines = new DeadlineList(100, () => performance.now() + skew);
    const { service, calls } = fakeService();
    const { owner, heard } = fakeOwner();
    const attempt = new Attempt(server(), service, deadlines, owner);
    attempt.send(REQUEST);
    skew = 80;
    calls[0]!.onBodySent(10);
    skew = 150;
    deadlines.sweep();
    assert.deepEqual(heard, ['sent 10'], 'the allowance started again at the last byte sent');
    skew = 300;
    deadlines.sweep();
    assert.deepEqual(heard, ['sent 10', 'deadline']);

    const stopping = fakeOwner(false);
    const stopped = new Attempt(server(), service, deadlines, stopping.owner);
    stopped.send(REQUEST);
    stopped.release();
    calls[1]!.onBodySent(10);
    assert.equal(stopped.hasDeadline, false, 'not re-armed once the owner said stop');
    deadlines.stop();
  });

  it('an upgrade: no deadline; the switch goes to its owner, whose tunnel releases the server once', () => {
    const { service, calls, counts } = fakeService();
    const { owner } = fakeOwner();
    const switched: string[] = [];
    owner.upgraded = (attempt, status, _headers, socket) => {
      switched.push(`${status}`);
      socket.once('close', () => attempt.release());
    };
    const attempt = new Attempt(server(), service, new DeadlineList(10_000), owner);
    attempt.sendUpgrade(REQUEST);
    assert.deepEqual([counts.acquired, attempt.hasDeadline], [1, false]);
    const socket = new PassThrough();
    (calls[0] as UpgradeHandler).onUpgrade(101, ['upgrade', 'websocket'], socket, Buffer.alloc(0));
    assert.deepEqual([switched, counts.released], [['101'], 0], 'held while the tunnel is open');
    socket.destroy();
    return new Promise<void>((resolve) => setImmediate(() => {
      assert.equal(counts.released, 1);
      attempt.release();
      assert.equal(counts.released, 1, 'released once');
      resolve();
    }));
  });

  it('holds at most the pool\'s share for slow clients, and gives its hold back on release', () => {
    const { service } = fakeService(1);
    const a = server();
    const first = new Attempt(a, service, new DeadlineList(10_000), fakeOwner().owner);
    const second = new Attempt(a, service, new DeadlineList(10_000), fakeOwner().owner);
    assert.equal(first.holdAsSlow(), true);
    assert.equal(first.holdAsSlow(), true, 'holding twice counts once');
    assert.equal(second.holdAsSlow(), false, 'the share (1) is taken');
    first.send(REQUEST);
    first.release();
    assert.equal(a.load.slowHolds, 0);
    assert.equal(second.holdAsSlow(), true);
  });
});
