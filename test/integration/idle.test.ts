// timeouts.idle on client connections: a connection that moves no bytes either way is closed (and its
// upstream call released), one that moves bytes slowly is not, and WebSocket tunnels follow
// timeouts.tunnel instead.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { portOf, rawExchange, roomOrClose, startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const IDLE_MS = 500;

/** How the backend's answers ended: 'finished' or 'aborted' (the connection went first), by path. */
const endings: { path: string; ending: 'finished' | 'aborted' }[] = [];

function record(req: IncomingMessage, res: ServerResponse): void {
  res.on('close', () => endings.push({ path: req.url!, ending: res.writableFinished ? 'finished' : 'aborted' }));
}

/** Up to 64 MiB in 64 KiB chunks, as fast as the reader takes them. */
async function big(res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 'z');
  for (let i = 0; i < 1024 && !res.destroyed; i++) {
    if (!res.write(chunk)) await roomOrClose(res);
  }
  res.end();
}

/** Twelve small chunks, one every 100 ms (1.2 s in all, more than twice the idle timeout). */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  let sent = 0;
  const timer = setInterval(() => {
    res.write(`chunk ${sent}\n`);
    if (++sent === 12) {
      clearInterval(timer);
      res.end();
    }
  }, 100);
  res.on('close', () => clearInterval(timer));
}

/** Sends `text` on a raw connection and waits for the peer to close it (giving up after 10 s): what arrived and after how long. */
async function untilClosed(port: number, text: string): Promise<{ ms: number; received: string }> {
  const started = Date.now();
  const received = await rawExchange(port, text, 10_000);
  return { ms: Date.now() - started, received };
}

describe('idle client connections', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('a', (req, res) => {
      record(req, res);
      if (req.url === '/big') return void big(res);
      if (req.url === '/trickle') return trickle(res);
      // /upload: reads the whole body, then answers how much arrived.
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => res.end(String(bytes)));
    });
    const wss = new WebSocketServer({ noServer: true });
    backend.server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(`echo:${String(data)}`)));
    });
    app = await startMooring([backend], { top: { timeouts: { idle: `${IDLE_MS}ms`, tunnel: '1h' } } });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('closes a client that stops reading a large answer, and releases its upstream call', async () => {
    // A paused client cannot see its connection close until it reads again: watch the backend's side.
    const socket = connect(portOf(app), '127.0.0.1');
    socket.pause();
    socket.on('error', () => {});
    const started = Date.now();
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    try {
      await waitFor(() => endings.some((e) => e.path === '/big'), 10_000, 'the backend to see its answer end');
      const ms = Date.now() - started;
      assert.deepEqual(endings.find((e) => e.path === '/big'), { path: '/big', ending: 'aborted' });
      assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS + 2000, `released after ${ms} ms (idle ${IDLE_MS} ms)`);
      await waitFor(() => app.services.get('app')!.current.servers[0]!.load.inflight === 0, 5000, 'the upstream call to be released');
      // Reading again, the client gets what was buffered, then the close: far less than the 64 MiB answer.
      let received = 0;
      socket.on('data', (c: Buffer) => (received += c.length));
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.resume();
      await waitFor(() => closed, 5000, 'the client connection to close');
      assert.ok(received < 32 * 1024 * 1024, `received ${received} bytes`);
    } finally {
      socket.destroy();
    }
  });

  it('closes a client that stalls in the middle of a small request body, which never reached the server', async () => {
    const head = 'POST /stalled-small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n';
    const { ms } = await untilClosed(portOf(app), `${head}${'u'.repeat(10)}`);
    assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS + 2000, `closed after ${ms} ms (idle ${IDLE_MS} ms)`);
    assert.ok(!backend.seen.some((r) => r.url === '/stalled-small'), 'a body still being read holds no upstream connection');
  });

  it('closes a client that stalls in the middle of a large (streamed) body, and the server sees it end', async () => {
    const head = `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${200 * 1024}\r\n\r\n`;
    const { ms } = await untilClosed(portOf(app), `${head}${'u'.repeat(100 * 1024)}`);
    assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS + 2000, `closed after ${ms} ms (idle ${IDLE_MS} ms)`);
    await waitFor(() => endings.some((e) => e.path === '/upload'), 5000, 'the backend to see the request end');
    assert.deepEqual(endings.find((e) => e.path === '/upload'), { path: '/upload', ending: 'aborted' });
  });

  it('keeps a connection whose answer trickles in for longer than the idle timeout', async () => {
    const { ms, received } = await untilClosed(portOf(app), 'GET /trickle HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.ok(ms < 5000, `Mooring closed it after the answer (${ms} ms)`);
    assert.match(received, /^HTTP\/1\.1 200 /);
    for (let i = 0; i < 12; i++) assert.ok(received.includes(`chunk ${i}\n`), `chunk ${i} arrived`);
  });

  it('closes a keep-alive connection that sends nothing after its answer', async () => {
    const { ms, received } = await untilClosed(portOf(app), 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi');
    assert.match(received, /^HTTP\/1\.1 200 [\s\S]*\r\n\r\n2$/);
    assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS + 2000, `closed after ${ms} ms (idle ${IDLE_MS} ms)`);
  });

  it('leaves a quiet WebSocket tunnel open (timeouts.tunnel governs it)', async () => {
    const ws = new WebSocket(`${app.url().replace('http://', 'ws://')}/chat`);
    await once(ws, 'open');
    let closed = false;
    ws.on('close', () => (closed = true));
    await new Promise((r) => setTimeout(r, IDLE_MS * 3));
    assert.equal(closed, false, 'the tunnel is still open after three idle timeouts');
    ws.send('still here');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    assert.equal(String(reply), 'echo:still here');
    ws.close();
    await once(ws, 'close');
  });
});
