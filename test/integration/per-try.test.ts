// A hung server (it takes requests and never answers) costs no idempotent request when the service
// says retryOn: [timeout]: after timeouts.perTry the request moves to another server, and passive
// health counts the timeout. Requests with a body are never sent twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { get, startBackend, startMooring, type Backend } from '../helpers.ts';
import { parseConfigObject } from '../../src/config/load.ts';

describe('per-try timeout (retryOn: [timeout])', () => {
  let hung: Backend;
  let ok: Backend;
  const seenByHung: string[] = [];
  before(async () => {
    hung = await startBackend('hung', (req) => {
      seenByHung.push(`${req.method} ${req.url}`);
      req.resume(); // reads the request, never answers
    });
    ok = await startBackend('ok');
  });
  after(async () => {
    await Promise.all([hung?.close(), ok?.close()]);
  });

  const timeouts = { connect: '200ms', response: '1500ms', perTry: '200ms' };

  it('moves GETs off a hung server after perTry, counts the timeouts, and ejects it', async () => {
    const passive = { consecutiveFailures: 2, ejectFor: '30s' };
    const app: App = await startMooring([hung, ok], { service: { retryOn: ['timeout'], passive }, top: { timeouts } });
    try {
      seenByHung.length = 0;
      const started = performance.now();
      for (let i = 0; i < 10; i++) {
        const res = await get(`${app.url()}/g${i}`);
        assert.equal(res.status, 200, `GET /g${i}`);
        assert.equal(res.body, 'ok');
      }
      // Two tries of 200 ms went to the hung server; waiting out timeouts.response (1.5 s) twice would take 3 s.
      const took = performance.now() - started;
      assert.ok(took < 1500, `the GETs moved on after perTry, not after timeouts.response (${took.toFixed(0)} ms)`);
      assert.equal(seenByHung.length, 2, `the hung server had two tries before its ejection: ${seenByHung.join(', ')}`);
      const ejected = app.events.recent().filter((e) => e.type === 'ejected' && e.server === 'hung');
      assert.equal(ejected.length, 1);
      assert.match(ejected[0]!.reason, /2 timeout failures in a row/);
    } finally {
      await app.stop();
    }
  });

  it('without retryOn: [timeout], a GET on the hung server waits timeouts.response and gets 504', async () => {
    const app: App = await startMooring([hung, ok], { service: { passive: false }, top: { timeouts } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await get(`${app.url()}/n${i}`)).status);
      assert.deepEqual(statuses.sort(), [200, 504]);
    } finally {
      await app.stop();
    }
  });

  it('never sends a request with a body twice: a POST on the hung server gets 504', async () => {
    const app: App = await startMooring([hung, ok], { service: { retryOn: ['timeout'], passive: false }, top: { timeouts } });
    try {
      seenByHung.length = 0;
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${app.url()}/p${i}`, { method: 'POST', body: 'data' });
        await res.text();
        statuses.push(res.status);
      }
      assert.deepEqual(statuses.sort(), [200, 504]);
      assert.equal(seenByHung.filter((s) => s.startsWith('POST')).length, 1);
    } finally {
      await app.stop();
    }
  });

  it('refuses retryOn: [timeout] without timeouts.perTry, and a perTry not shorter than response', () => {
    const base = { listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }] };
    const service = { name: 'app', servers: [{ id: 'a', url: 'http://127.0.0.1:1' }], retryOn: ['timeout'] };
    assert.throws(() => parseConfigObject({ ...base, services: [service] }), /services\[0\]\.retryOn.*needs timeouts\.perTry/s);
    assert.throws(() => parseConfigObject({ ...base, services: [service], timeouts: { response: '2s', perTry: '2s' } }), /timeouts\.perTry.*expected less than timeouts\.response/s);
    assert.throws(() => parseConfigObject({ ...base, services: [{ ...service, retryOn: ['5xx'] }], timeouts: { perTry: '1s' } }), /retryOn\[0\].*expected one of timeout/s);
  });
});
