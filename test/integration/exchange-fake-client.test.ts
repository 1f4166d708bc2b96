// The exchange's orchestration against a scripted upstream client: real clients over real sockets
// to Mooring, and an UpstreamClient whose every attempt is told exactly how to fail or answer, so
// each retry rule is checked on its own, whatever a real server would happen to do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { UpstreamError, type ClientSettings, type UpgradeHandler, type UpstreamClient, type UpstreamErrorKind, type UpstreamHandler, type UpstreamRequest, type UpstreamTarget } from '../../src/upstream/client.ts';
import { get, startMooring } from '../helpers.ts';

type Script = (handler: UpstreamHandler, request: UpstreamRequest) => void;

/** An upstream client whose attempts follow a script per server id; it records every attempt. */
class ScriptedClient implements UpstreamClient {
  readonly attempts: string[] = [];
  readonly slowHoldCap = 10;
  constructor(private readonly scripts: Map<string, Script>) {}
  dispatch(target: UpstreamTarget, request: UpstreamRequest, handler: UpstreamHandler): void {
    this.attempts.push(`${request.method} ${target.id}`);
    setImmediate(() => this.scripts.get(target.id)!(handler, request));
  }
  upgrade(_target: UpstreamTarget, _request: UpstreamRequest, handler: UpgradeHandler): void {
    handler.onError(new UpstreamError('connect-refused', 'no upgrades here'));
  }
  reconcile(_targets: readonly UpstreamTarget[], _settings: ClientSettings, _graceMs: number): void {}
  async close(): Promise<void> {}
  destroy(): void {}
}

const answer = (body: string): Script => (handler) => {
  handler.onConnect(() => {});
  handler.onHeaders(200, ['content-length', String(body.length)], () => {});
  handler.onData(Buffer.from(body));
  handler.onComplete();
};
/** Fails before any connection took the request (`reached` false), or after (`reached` true). */
const failWith = (kind: UpstreamErrorKind, reached: boolean): Script => (handler) => {
  if (reached) handler.onConnect(() => {});
  handler.onError(new UpstreamError(kind, `scripted ${kind}`));
};

describe('exchange: retry rules against a scripted upstream client', () => {
  let app: App;
  const scripts = new Map<string, Script>();
  let client: ScriptedClient;
  // The two servers are never contacted: the scripted client stands in for the upstream side.
  const servers = [
    { name: 'a', url: 'http://127.0.0.1:9' },
    { name: 'b', url: 'http://127.0.0.1:9' },
  ];
  before(async () => {
    app = await startMooring(servers, { retries: 1, service: { passive: false } });
    client = new ScriptedClient(scripts);
    (app.services.get('app')! as unknown as { upstream: UpstreamClient }).upstream = client;
  });
  after(async () => {
    await app?.stop();
  });

  /** One request; status 0 when the connection was cut (before or during the body). */
  async function send(method: string): Promise<{ status: number; body: string; error?: string }> {
    try {
      const r = await fetch(`${app.url()}/x`, { method, body: method === 'POST' ? 'data' : undefined });
      const error = r.headers.get('mooring-error') ?? undefined;
      try {
        return { status: r.status, body: await r.text(), error };
      } catch (err) {
        return { status: 0, body: '', error: (err as Error).message };
      }
    } catch (err) {
      return { status: 0, body: '', error: (err as Error).message };
    }
  }

  /** Sends `method` until it lands on `first`, so the script of `first` runs first; returns that answer. */
  async function sendFirstTo(first: 'a' | 'b', method = 'GET'): Promise<{ status: number; body: string; error?: string; attempts: string[] }> {
    for (let i = 0; i < 6; i++) {
      const from = client.attempts.length;
      const res = await send(method);
      const attempts = client.attempts.slice(from);
      if (attempts[0]?.endsWith(first)) return { ...res, attempts };
    }
    throw new Error(`no request landed on ${first} first`);
  }

  it('a connect failure goes to the other server, whatever the method', async () => {
    scripts.set('a', failWith('connect-refused', false));
    scripts.set('b', answer('from b'));
    for (const method of ['GET', 'POST']) {
      const res = await sendFirstTo('a', method);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'from b');
      assert.deepEqual(res.attempts, [`${method} a`, `${method} b`]);
    }
  });

  it('a reset before any answer goes on for a GET, never for a POST', async () => {
    scripts.set('a', failWith('reset-before-answer', true));
    const get = await sendFirstTo('a');
    assert.equal(get.status, 200);
    assert.deepEqual(get.attempts, ['GET a', 'GET b']);
    const post = await sendFirstTo('a', 'POST');
    assert.equal(post.status, 502);
    assert.equal(post.error, 'MOORING_UPSTREAM_RESET');
    assert.deepEqual(post.attempts, ['POST a']);
  });

  it('an answer timeout is not retried without retryOn, and is a 504', async () => {
    scripts.set('a', failWith('answer-timeout', true));
    const res = await sendFirstTo('a');
    assert.equal(res.status, 504);
    assert.equal(res.error, 'MOORING_UPSTREAM_TIMEOUT');
    assert.deepEqual(res.attempts, ['GET a']);
  });

  it('a bad answer is a 502 and never replayed; a request the client refused is a 400', async () => {
    scripts.set('a', failWith('bad-answer', true));
    const bad = await sendFirstTo('a');
    assert.equal(bad.status, 502);
    assert.equal(bad.error, 'MOORING_UPSTREAM_BAD_RESPONSE');
    assert.deepEqual(bad.attempts, ['GET a']);
    scripts.set('a', failWith('bad-request', false));
    const refused = await sendFirstTo('a');
    assert.equal(refused.status, 400);
    assert.equal(refused.error, 'MOORING_BAD_REQUEST');
    assert.deepEqual(refused.attempts, ['GET a']);
  });

  it('a break once the answer began cuts the client off: never a clean end, never a retry', async () => {
    scripts.set('a', (handler) => {
      handler.onConnect(() => {});
      handler.onHeaders(200, ['content-length', '100'], () => {});
      handler.onData(Buffer.from('partial'));
      setTimeout(() => handler.onError(new UpstreamError('reset-mid-answer', 'scripted break')), 10);
    });
    const res = await sendFirstTo('a');
    assert.equal(res.status, 0, 'the client saw its connection cut mid-body');
    assert.match(res.error ?? '', /terminated/);
    assert.deepEqual(res.attempts, ['GET a']);
  });

  it('retries run out: every server unreachable is 503 MOORING_NO_SERVER; a reached one that broke, its own failure', async () => {
    scripts.set('a', failWith('connect-refused', false));
    scripts.set('b', failWith('connect-refused', false));
    const from = client.attempts.length;
    const res = await send('GET');
    assert.equal(res.status, 503);
    assert.equal(res.error, 'MOORING_NO_SERVER');
    // Both servers once, and no third try (retries: 1).
    assert.deepEqual(client.attempts.slice(from).sort(), ['GET a', 'GET b']);
    scripts.set('a', failWith('reset-before-answer', true));
    scripts.set('b', failWith('reset-before-answer', true));
    const reset = await get(`${app.url()}/y`);
    assert.equal(reset.status, 502);
    assert.equal(reset.headers['mooring-error'], 'MOORING_UPSTREAM_RESET');
  });
});
