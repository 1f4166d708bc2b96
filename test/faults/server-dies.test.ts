// A server that dies between two requests (kill -9: its kept connections close, its port refuses):
// a GET sent on the kept connection is sent again on a fresh one, which is refused, and then goes
// to another server, never a 502 (found by the soak: a GET pinned to a killed server failed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { get, startBackend, startMooring, type Backend } from '../helpers.ts';
import { rawBackend, type RawBackend } from './raw-backend.ts';
import type { App } from '../../src/app.ts';

describe('faults: a server dies between requests', () => {
  let dying: RawBackend;
  let other: Backend;
  let app: App;
  before(async () => {
    let answered = 0;
    dying = await rawBackend((_head, socket) => {
      // The first request is answered on a kept connection; at the next the process is gone.
      if (answered++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=60\r\n\r\ndying');
      else socket.destroy();
    });
    other = await startBackend('other');
    // Weights make the dying server the balancer's choice for both requests, so the second reuses the first's connection.
    app = await startMooring([{ name: 'dying', url: dying.url }, other], {
      balance: { algorithm: 'weighted-round-robin' },
      service: { servers: [{ id: 'dying', url: dying.url, weight: 1000 }, { id: 'other', url: other.url, weight: 1 }], retries: 2 },
    });
  });
  after(async () => {
    await app?.stop(0);
    await dying?.close();
    await other?.close();
  });

  it('a GET on the dead server\'s kept connection is answered by another server', async () => {
    assert.equal((await get(app.url())).body, 'dying');
    // The port refuses from now on; the kept connection is still open until the next request reaches it.
    dying.server.close();
    const res = await get(app.url());
    assert.equal(res.status, 200, `answered ${res.status} ${res.body}`);
    assert.equal(res.body, 'other');
    assert.equal(dying.heads.length, 2, 'the GET reached the dead server\'s kept connection first');
  });
});
