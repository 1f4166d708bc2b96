// What the server sees and what the client gets back: X-Forwarded-*, Via, Host, hop-by-hop
// stripping on responses, upstream keep-alive even when the client closes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, get, portOf, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('forwarding', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('a', (req, res) => {
      req.resume();
      res.setHeader('connection', 'keep-alive, x-internal');
      res.setHeader('x-internal', 'secret');
      res.setHeader('keep-alive', 'timeout=30');
      res.setHeader('set-cookie', ['one=1', 'two=2']);
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
    app = await startMooring([backend], { top: { trustedProxies: ['127.0.0.1'] } });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('sets X-Forwarded-*, Via; keeps Host and the path', async () => {
    const res = await get(`${app.url()}/cart/items?id=7`, { host: 'shop.example', 'x-forwarded-for': '198.51.100.4' });
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/cart/items?id=7');
    assert.equal(seen.headers['host'], 'shop.example');
    // 127.0.0.1 is trusted here, so its X-Forwarded-For is extended, not replaced.
    assert.equal(seen.headers['x-forwarded-for'], '198.51.100.4, 127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'shop.example');
    assert.equal(seen.headers['via'], '1.1 mooring');
  });

  it('drops hop-by-hop response headers and keeps both Set-Cookie headers', async () => {
    const res = await get(app.url());
    assert.equal(res.headers['x-internal'], undefined);
    assert.deepEqual(res.headers['set-cookie'], ['one=1', 'two=2']);
    assert.notEqual(res.headers['keep-alive'], 'timeout=30');
  });

  it('keeps upstream connections alive when clients send Connection: close', async () => {
    const before = backend.seen.length;
    for (let i = 0; i < 5; i++) {
      const reply = await rawExchange(portOf(app), `GET /n${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(reply, /^HTTP\/1\.1 200 /);
      assert.match(reply, /connection: close/i);
    }
    assert.equal(backend.seen.length - before, 5);
    assert.equal(new Set(backend.seen.slice(before).map((r) => r.socket)).size, 1, 'all five on one upstream connection');
    assert.equal(backend.seen.at(-1)!.headers['connection'], 'keep-alive');
  });

  it('answers HTTP/1.0 clients and refuses duplicate Host and absolute-form targets', async () => {
    assert.match(await rawExchange(portOf(app), 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /);
    const dup = await rawExchange(portOf(app), 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    assert.match(dup, /^HTTP\/1\.1 400 /);
    assert.match(dup, /mooring-error: MOORING_BAD_REQUEST/);
    assert.match(await rawExchange(portOf(app), 'GET http://evil.example/ HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await rawExchange(portOf(app), 'GET / HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 /, 'HTTP/1.1 without Host');
  });
});
