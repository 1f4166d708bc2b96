// Regression: undici 7 rejects requests carrying hop-by-hop headers and leaks the pool slot, after
// which every request on that pool hangs. Mooring strips them, so a one-connection pool keeps working.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { portOf, rawExchange, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('hop-by-hop headers through a one-connection pool', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('a');
    app = await startMooring([backend], { service: { pool: { connections: 1 } }, top: { timeouts: { response: '2s' } } });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  // Sent raw: undici (as a client) refuses to send most of these itself.
  const poison: [string, string][] = [
    ['keep-alive', 'GET / HTTP/1.1\r\nHost: x\r\nKeep-Alive: timeout=5\r\nConnection: close\r\n\r\n'],
    ['transfer-encoding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['upgrade', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: close\r\n\r\n'],
    ['expect', 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody'],
    ['proxy-connection', 'GET / HTTP/1.1\r\nHost: x\r\nProxy-Connection: keep-alive\r\nConnection: close\r\n\r\n'],
  ];

  it('each poisoned request succeeds, and normal requests still succeed after them', async () => {
    for (const [name, text] of poison) {
      const reply = await rawExchange(portOf(app), text);
      assert.match(reply, /HTTP\/1\.1 200 OK[^]*\r\n\r\na$/, `${name}: ${reply}`);
      assert.equal(backend.seen.at(-1)!.headers[name], undefined, `${name} reached the server`);
    }
    for (let i = 0; i < 10; i++) {
      const res = await request(app.url(), { headersTimeout: 5000, bodyTimeout: 5000 });
      assert.equal(res.statusCode, 200);
      await res.body.text();
    }
    assert.equal(backend.sockets.size, 1, 'one upstream connection, reused');
  });
});
