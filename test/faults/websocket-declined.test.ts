// Defect: a declined WebSocket upgrade (403, chunked, then the server closes mid-body) left the
// client socket open for good and held the server's slot. The answer must keep its framing, the
// client be closed, and the slot released exactly once, also when the client aborts first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { get, portOf, rawExchange, startMooring, waitFor } from '../helpers.ts';
import { rawBackend, type RawBackend } from './raw-backend.ts';
import type { App } from '../../src/app.ts';

const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

describe('faults: declined WebSocket upgrades', () => {
  let backend: RawBackend;
  let app: App;
  let streamForever = false;
  const upgradeSockets: import('node:net').Socket[] = [];
  before(async () => {
    backend = await rawBackend((head, socket) => {
      if (!/upgrade: websocket/i.test(head)) return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      upgradeSockets.push(socket);
      socket.write('HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n');
      if (!streamForever) socket.end(); // no last chunk: the answer is cut short
    });
    app = await startMooring([{ name: 'x', url: backend.url }], {
      service: { servers: [{ id: 'x', url: backend.url, maxConnections: 1 }], retries: 0 },
      top: { timeouts: { idle: '5s', tunnel: '5s' } },
    });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('relays the answer with its chunked framing, closes the client, and frees the slot (30 times)', async () => {
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      const answer = await rawExchange(portOf(app), UPGRADE, 3000);
      assert.ok(Date.now() - started < 2500, `the client was left open (${Date.now() - started} ms)`);
      assert.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.match(answer, /\r\ntransfer-encoding: chunked\r\n/i);
      assert.ok(answer.endsWith('\r\n\r\n5\r\nhello\r\n'), `framing kept, and no last chunk invented: ${JSON.stringify(answer.slice(-40))}`);
    }
    const inflight = () => app.services.get('app')!.current.servers[0]!.load.inflight;
    await waitFor(() => inflight() === 0, 2000, 'slot released');
    assert.equal((await get(app.url())).status, 200, 'maxConnections: 1 still has room');
  });

  it('a client that aborts while a declined answer streams releases the slot and the upstream connection', async () => {
    streamForever = true;
    try {
      const before = upgradeSockets.length;
      const client = connect(portOf(app), '127.0.0.1');
      client.write(UPGRADE);
      await new Promise<void>((resolve) => client.once('data', () => resolve()));
      await waitFor(() => upgradeSockets.length > before, 2000, 'upstream open');
      client.destroy();
      const inflight = () => app.services.get('app')!.current.servers[0]!.load.inflight;
      await waitFor(() => inflight() === 0, 2000, 'slot released after the client left');
      await waitFor(() => upgradeSockets.at(-1)!.closed, 2000, 'upstream connection closed');
      assert.equal((await get(app.url())).status, 200);
    } finally {
      streamForever = false;
    }
  });
});
