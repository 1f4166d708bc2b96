// WebSocket through Mooring: the handshake reaches a real ws server, messages echo both ways, and a
// server that declines the upgrade is relayed as it answered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('websocket', () => {
  let backends: Backend[];
  let app: App;
  const forwardedFor: string[] = [];
  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startBackend(n)));
    for (const backend of backends) {
      const wss = new WebSocketServer({ noServer: true });
      backend.server.on('upgrade', (req, socket, head) => {
        if (req.url === '/refuse') {
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno');
          return;
        }
        forwardedFor.push(String(req.headers['x-forwarded-for']));
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on('message', (data) => ws.send(`${backend.name}:${String(data)}`));
        });
      });
    }
    app = await startMooring(backends);
  });
  after(async () => {
    await app?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  const wsUrl = () => app.url().replace('http://', 'ws://');

  it('echoes messages both ways', async () => {
    const ws = new WebSocket(`${wsUrl()}/chat`);
    await once(ws, 'open');
    const replies: string[] = [];
    ws.on('message', (data) => replies.push(String(data)));
    for (let i = 0; i < 5; i++) ws.send(`hello ${i}`);
    await waitFor(() => replies.length === 5, 5000, 'five echoes');
    const server = replies[0]!.split(':')[0];
    assert.deepEqual(replies, [0, 1, 2, 3, 4].map((i) => `${server}:hello ${i}`));
    assert.equal(forwardedFor.at(-1), '127.0.0.1');
    ws.close();
    await once(ws, 'close');
  });

  it('spreads connections like requests and counts them while open', async () => {
    const sockets = [new WebSocket(wsUrl()), new WebSocket(wsUrl())];
    await Promise.all(sockets.map((ws) => once(ws, 'open')));
    const names = await Promise.all(
      sockets.map(async (ws) => {
        ws.send('who');
        const [data] = await once(ws, 'message');
        return String(data).split(':')[0];
      }),
    );
    assert.deepEqual(names.sort(), ['a', 'b']);
    const inflight = () => app.services.get('app')!.current.servers.map((s) => s.load.inflight);
    assert.deepEqual(inflight(), [1, 1]);
    for (const ws of sockets) ws.close();
    await waitFor(() => inflight().every((n) => n === 0), 5000, 'tunnels to be released');
  });

  it('relays a declined upgrade as the server answered', async () => {
    const ws = new WebSocket(`${wsUrl()}/refuse`);
    const [, res] = await once(ws, 'unexpected-response');
    assert.equal(res.statusCode, 403);
    ws.on('error', () => {}); // terminating a never-opened socket reports an error by design
    ws.terminate();
  });

  it('answers 503 when no server can take the upgrade', async () => {
    const lone = await startBackend('gone');
    const app2 = await startMooring([lone]);
    await lone.close();
    try {
      const ws = new WebSocket(app2.url().replace('http://', 'ws://'));
      const [, res] = await once(ws, 'unexpected-response');
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['mooring-error'], 'MOORING_NO_SERVER');
      ws.on('error', () => {});
      ws.terminate();
    } finally {
      await app2.stop();
    }
  });
});
