// Mooring's own upstream client against raw-socket servers that misbehave in every way an
// HTTP/1.1 server can, and against node:http servers for the ordinary cases.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { readdirSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { Http1Client } from './http1-client.ts';
import { nativeParser } from './llhttp.ts';
import { UpstreamError, type ClientSettings, type UpgradeHandler, type UpstreamHandler, type UpstreamRequest } from './client.ts';
import type { Duplex } from 'node:stream';

const SETTINGS: ClientSettings = { connections: 4, keepAlive: 5_000, reserved: 0.25, maxHeaderBytes: 16_384, timeouts: { connect: 1_000, response: 2_000, idle: 2_000 } };

interface Outcome {
  status?: number;
  headers?: string[];
  body: string;
  completed: boolean;
  error?: UpstreamError | Error;
  connects: number;
}

/** Sends one request and collects what the handler hears, until it completes or fails. */
function send(client: Http1Client, port: number, request: Partial<UpstreamRequest> = {}, hooks: { onHeaders?: (abort: (e: Error) => void) => void; onData?: (abort: (e: Error) => void) => void } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: '', completed: false, connects: 0 };
    let abort: (e: Error) => void = () => {};
    const handler: UpstreamHandler = {
      onConnect(a) {
        out.connects++;
        abort = a;
      },
      onHeaders(status, headers) {
        out.status = status;
        out.headers = headers.map(String);
        hooks.onHeaders?.(abort);
        return true;
      },
      onData(chunk) {
        out.body += chunk.toString('latin1');
        hooks.onData?.(abort);
        return true;
      },
      onComplete() {
        out.completed = true;
        resolve(out);
      },
      onBodySent() {},
      onError(err) {
        out.error = err;
        resolve(out);
      },
    };
    client.dispatch({ id: `s${port}`, origin: `http://127.0.0.1:${port}` }, { method: 'GET', path: '/', headers: ['host', 'x'], body: null, ...request }, handler);
  });
}

/** A raw server: `answer` is called with each connection and each request head it reads. */
async function rawServer(answer: (socket: Socket, head: string, count: number) => void): Promise<{ server: NetServer; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    let count = 0;
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(socket, head, ++count);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

const opened: (NetServer | HttpServer)[] = [];
const clients: Http1Client[] = [];
function newClient(settings: Partial<ClientSettings> = {}): Http1Client {
  const client = new Http1Client({ ...SETTINGS, ...settings }, nativeParser()!);
  clients.push(client);
  return client;
}
async function raw(answer: (socket: Socket, head: string, count: number) => void) {
  const s = await rawServer(answer);
  opened.push(s.server);
  return s;
}

after(async () => {
  for (const client of clients) client.destroy();
  for (const server of opened) {
    (server as HttpServer).closeAllConnections?.();
    server.close();
  }
});

describe('own upstream client: the parser', () => {
  it("finds node's llhttp parser in this Node.js, and it reads a known answer correctly", () => {
    assert.ok(nativeParser(), `no usable parser in ${process.version}`);
  });
});

describe('own upstream client: answers', () => {
  it('reads an answer split into one-byte packets', async () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Split: yes\r\n\r\nhello world';
    const { port } = await raw((socket) => {
      let i = 0;
      const next = () => {
        if (i >= text.length || socket.destroyed) return;
        socket.write(text[i++]!);
        setImmediate(next);
      };
      next();
    });
    const out = await send(newClient(), port);
    assert.equal(out.status, 200);
    assert.equal(out.body, 'hello world');
    assert.ok(out.completed);
    assert.deepEqual(out.headers, ['Content-Length', '11', 'X-Split', 'yes']);
  });

  it('refuses a head over maxHeaderBytes, and answers that break framing: CL with TE, two different Content-Lengths, a bad chunk size', async () => {
    const answers = [
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(3000)}\r\nContent-Length: 0\r\n\r\n`,
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    ];
    for (const answer of answers) {
      const server = await raw((socket) => socket.write(answer));
      const out = await send(newClient({ maxHeaderBytes: 2048 }), server.port);
      assert.ok(out.error instanceof UpstreamError, `no error for ${JSON.stringify(answer.slice(0, 60))}`);
      assert.equal((out.error as UpstreamError).kind, 'bad-answer', out.error.message);
      assert.equal(out.completed, false);
      // The connection is discarded, never reused.
      const deadline = Date.now() + 2000;
      while (server.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(server.sockets.size, 0, 'the connection was closed');
    }
  });

  it('fails a body cut shorter than its Content-Length by a close: never a clean end', async () => {
    const { port } = await raw((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
    const out = await send(newClient(), port);
    assert.equal(out.status, 200);
    assert.equal(out.body, 'only this');
    assert.equal(out.completed, false);
    assert.equal((out.error as UpstreamError).kind, 'reset-mid-answer');
  });

  it('reads chunked bodies with extensions and trailers, and close-delimited bodies', async () => {
    const chunked = await raw((socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'));
    const client = newClient();
    const a = await send(client, chunked.port);
    assert.equal(a.body, 'hello world');
    assert.ok(a.completed);
    const b = await send(client, chunked.port);
    assert.ok(b.completed, 'the chunked connection is reused');
    assert.equal(chunked.sockets.size, 1);
    const closeDelimited = await raw((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
    const c = await send(client, closeDelimited.port);
    assert.equal(c.body, 'until the end');
    assert.ok(c.completed);
  });

  it('reads no body for HEAD whatever Content-Length says, and keeps the connection', async () => {
    const { port, sockets } = await raw((socket, head) => socket.write(head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const client = newClient();
    const head = await send(client, port, { method: 'HEAD' });
    assert.ok(head.completed);
    assert.equal(head.body, '');
    const next = await send(client, port);
    assert.equal(next.body, 'ok');
    assert.equal(sockets.size, 1, 'one connection for both');
  });

  it('passes no body of a 204 or 304 that sends one anyway, and discards that connection', async () => {
    for (const status of ['204 No Content', '304 Not Modified']) {
      const server = await raw((socket) => socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\n\r\nhello`));
      const out = await send(newClient(), server.port);
      assert.equal(out.status, Number(status.slice(0, 3)));
      assert.ok(out.completed);
      assert.equal(out.body, '');
      const deadline = Date.now() + 2000;
      while (server.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(server.sockets.size, 0, `the connection that sent a body with a ${status} was closed`);
    }
  });

  it('skips an unsolicited 100 Continue and a 103, and passes the final answer once', async () => {
    let requests = 0;
    const { port } = await raw((socket) => {
      requests++;
      socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      setTimeout(() => socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine'), 20);
    });
    const out = await send(newClient(), port);
    assert.equal(out.status, 200);
    assert.equal(out.body, 'fine');
    assert.equal(requests, 1, 'nothing was sent twice');
  });

  it('refuses a 101 to a request that did not ask to upgrade', async () => {
    const { port } = await raw((socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n'));
    const out = await send(newClient(), port);
    assert.equal((out.error as UpstreamError).kind, 'bad-answer');
  });

  it('discards a connection that sends bytes while no request is out', async () => {
    const { port, sockets } = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno'), 30);
    });
    const client = newClient();
    assert.equal((await send(client, port)).body, 'ok');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sockets.size, 0, 'the stray answer closed the connection');
    assert.equal((await send(client, port)).body, 'ok', 'the next request gets a fresh connection and its own answer');
  });
});

describe('own upstream client: requests', () => {
  it('sends a whole body with its length, a streamed one with the client\'s length or re-framed as chunked', async () => {
    const seen: { method?: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server = createHttpServer((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body });
        res.end('ok');
      });
    });
    opened.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = newClient();
    await send(client, port, { method: 'POST', body: Buffer.from('whole body') });
    await send(client, port, { method: 'PUT', headers: ['host', 'x', 'content-length', '8'], body: Readable.from([Buffer.from('stre'), Buffer.from('amed')]) });
    await send(client, port, { method: 'POST', body: Readable.from([Buffer.from('chunk'), Buffer.alloc(0), Buffer.from('ed')]) });
    await send(client, port, { method: 'POST', body: null });
    assert.deepEqual(seen.map((s) => [s.method, s.headers['content-length'], s.headers['transfer-encoding'], s.body]), [
      ['POST', '10', undefined, 'whole body'],
      ['PUT', '8', undefined, 'streamed'],
      ['POST', undefined, 'chunked', 'chunked'],
      ['POST', '0', undefined, ''],
    ]);
  });

  it('passes an answer that comes before the whole body was read, and closes that connection', async () => {
    const { port, sockets } = await raw((socket) => socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig'));
    const upload = new PassThrough();
    upload.write(Buffer.alloc(1000, 'a'));
    const out = await send(newClient(), port, { method: 'POST', headers: ['host', 'x', 'content-length', '100000'], body: upload });
    assert.equal(out.status, 413);
    assert.equal(out.body, 'big');
    assert.ok(out.completed);
    const deadline = Date.now() + 2000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sockets.size, 0, 'the half-sent request cannot be followed on that connection');
    upload.destroy();
  });

  it('waits for a server that reads slowly (backpressure), and gets the whole upload through', async () => {
    const size = 8 * 1024 * 1024;
    let received = -1;
    // Reads in short bursts: most of the time the upload is held back by a full socket.
    const server = createNetServer((socket) => {
      let bytes = 0;
      let head = true;
      const drip = setInterval(() => {
        socket.resume();
        setTimeout(() => socket.pause(), 2);
      }, 10);
      socket.on('data', (data) => {
        let body = data;
        if (head) {
          const end = data.indexOf('\r\n\r\n');
          if (end < 0) return;
          head = false;
          body = data.subarray(end + 4);
        }
        bytes += body.length;
        if (bytes < size) return;
        clearInterval(drip);
        received = bytes;
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      });
      socket.on('close', () => clearInterval(drip));
    });
    opened.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const chunks = Array.from({ length: 128 }, () => Buffer.alloc(size / 128, 'b'));
    const out = await send(newClient({ timeouts: { connect: 1000, response: 5000, idle: 5000 } }), port, { method: 'PUT', headers: ['host', 'x', 'content-length', String(size)], body: Readable.from(chunks) });
    assert.ok(out.completed, out.error?.message);
    assert.equal(received, size);
  });
});

describe('own upstream client: connections', () => {
  it('never fails a GET when the server closes each connection after its answer (1,000 in a row)', async () => {
    let connections = 0;
    const { port } = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      // No Connection: close: the server just drops the connection, as an idle timeout would.
      setImmediate(() => socket.end());
    });
    const server = opened.at(-1) as NetServer;
    server.on('connection', () => connections++);
    const client = newClient();
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const out = await send(client, port);
      if (!out.completed || out.body !== 'ok') failed++;
    }
    assert.equal(failed, 0);
    assert.ok(connections >= 1000, `a connection per request (${connections})`);
  });

  it('sends a safe request again when a reused connection turns out closed, and never an unsafe one', async () => {
    // The server reads the second request on each connection and closes without a word.
    const counts: number[] = [];
    const { port } = await raw((socket, _head, count) => {
      counts.push(count);
      if (count === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else socket.destroy();
    });
    const client = newClient({ connections: 1 });
    assert.ok((await send(client, port)).completed);
    const get = await send(client, port);
    assert.ok(get.completed, `the GET went again on a fresh connection (${get.error?.message})`);
    const post = await send(client, port, { method: 'POST', body: Buffer.from('x') });
    assert.ok(post.error, 'a POST is never sent twice');
    assert.equal((post.error as UpstreamError).kind, 'reset-before-answer');
  });

  it('keeps at most `connections` per server; the rest wait their turn', async () => {
    let open = 0;
    let most = 0;
    const server = createHttpServer((_req, res) => setTimeout(() => res.end('ok'), 20));
    server.on('connection', (socket) => {
      most = Math.max(most, ++open);
      socket.on('close', () => open--);
    });
    opened.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = newClient({ connections: 3 });
    const outs = await Promise.all(Array.from({ length: 30 }, () => send(client, port)));
    assert.equal(outs.filter((o) => o.completed).length, 30);
    assert.equal(most, 3);
  });

  it('times out an answer that never comes, and a connect that never completes', async () => {
    const { port } = await raw(() => {});
    const slow = await send(newClient({ timeouts: { connect: 1000, response: 200, idle: 1000 } }), port);
    assert.equal((slow.error as UpstreamError).kind, 'answer-timeout');
    const refused = await send(newClient(), 1);
    assert.equal((refused.error as UpstreamError).kind, 'connect-refused');
  });

  it('closes idle connections after keepAlive, and drops those the server closed at once', async () => {
    const { port, sockets } = await raw((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const client = newClient({ keepAlive: 200 });
    await send(client, port);
    assert.equal(sockets.size, 1);
    const deadline = Date.now() + 3000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sockets.size, 0, 'closed after keepAlive');
  });

  it("closes an idle connection a second before the server's Keep-Alive timeout says it would, and keeps none when that is under a second", async () => {
    const twoSeconds = await raw((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=2, max=100\r\n\r\nok'));
    let reusedUnderOneSecond = 0;
    const oneSecond = await raw((socket, _head, count) => {
      if (count > 1) reusedUnderOneSecond++;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nkeep-alive: Timeout = 1\r\n\r\nok');
    });
    const client = newClient({ keepAlive: 60_000 });
    // The two hints in turn: each connection keeps its own server's.
    for (let i = 0; i < 3; i++) {
      assert.equal((await send(client, twoSeconds.port)).body, 'ok');
      assert.equal((await send(client, oneSecond.port)).body, 'ok');
    }
    assert.equal(twoSeconds.sockets.size, 1, 'timeout=2: one connection, reused');
    assert.equal(reusedUnderOneSecond, 0, 'timeout=1: a new connection for each request');
    const started = Date.now();
    while ((oneSecond.sockets.size > 0 || twoSeconds.sockets.size > 0) && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
    const closedAfter = Date.now() - started;
    assert.equal(oneSecond.sockets.size, 0, 'timeout=1: closed after each answer');
    assert.equal(twoSeconds.sockets.size, 0, 'timeout=2: closed before the server would');
    assert.ok(closedAfter >= 700 && closedAfter < 1900, `timeout=2: closed after about a second idle, not 60 s nor at once (${closedAfter} ms)`);
  });

  it('1,000 aborts mid-download and mid-upload leave no upstream socket and no file descriptor behind', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const { port, sockets } = await raw((socket, head) => {
      if (head.startsWith('GET')) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`);
    });
    const client = newClient({ connections: 16 });
    const before = fds();
    for (let round = 0; round < 50; round++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          if (i % 2 === 0) return send(client, port, {}, { onData: (abort) => abort(new Error('client gone')) });
          const upload = new PassThrough();
          upload.write('partial');
          const sent = send(client, port, { method: 'POST', headers: ['host', 'x', 'content-length', '1000'], body: upload });
          setTimeout(() => upload.destroy(new Error('aborted')), 2);
          return sent;
        }),
      );
    }
    const deadline = Date.now() + 5000;
    while ((sockets.size > 0 || fds() > before) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sockets.size, 0, 'server-side sockets left open');
    assert.ok(fds() <= before, `file descriptors: ${fds()} now, ${before} before`);
  });
});

describe('own upstream client: upgrades', () => {
  /** Sends an upgrade; resolves with the switched socket and its first bytes, or the ordinary answer. */
  function upgrade(client: Http1Client, port: number): Promise<{ socket?: Duplex; head?: Buffer; headers?: string[]; out?: Outcome }> {
    return new Promise((resolve) => {
      const out: Outcome = { body: '', completed: false, connects: 0 };
      const handler: UpgradeHandler = {
        onConnect: () => out.connects++,
        onHeaders: (status) => ((out.status = status), true),
        onData: (chunk) => ((out.body += chunk.toString('latin1')), true),
        onComplete: () => ((out.completed = true), resolve({ out })),
        onBodySent() {},
        onError: (err) => ((out.error = err), resolve({ out })),
        onUpgrade: (_status, headers, socket, head) => resolve({ socket, head, headers: headers.map(String) }),
      };
      client.upgrade({ id: `s${port}`, origin: `http://127.0.0.1:${port}` }, { method: 'GET', path: '/ws', headers: ['host', 'x', 'connection', 'upgrade', 'upgrade', 'websocket'], body: null }, handler);
    });
  }

  it('hands the socket over on a 101, with the bytes that came after the head, on a connection of its own', async () => {
    const heads: string[] = [];
    const { port } = await raw((socket, head) => {
      heads.push(head);
      if (head.startsWith('GET /ws')) {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nfirst');
        socket.removeAllListeners('data');
        socket.on('data', (d) => socket.write(`echo:${d}`));
      }
    });
    // One pool connection, held by a request that is not answered: the upgrade does not wait for it.
    const client = newClient({ connections: 1 });
    void send(client, port, { path: '/held' });
    const { socket, head, headers } = await upgrade(client, port);
    assert.ok(socket, 'switched');
    assert.equal(head!.toString(), 'first');
    assert.deepEqual(headers, ['Upgrade', 'websocket', 'Connection', 'Upgrade']);
    assert.match(heads.find((h) => h.startsWith('GET /ws'))!, /\r\nconnection: upgrade\r\nupgrade: websocket$/);
    assert.doesNotMatch(heads.find((h) => h.startsWith('GET /ws'))!, /keep-alive/);
    const echoed = new Promise<string>((resolve) => socket!.once('data', (d: Buffer) => resolve(d.toString())));
    socket!.write('ping');
    assert.equal(await echoed, 'echo:ping');
    socket!.destroy();
  });

  it('passes a declined upgrade on as an ordinary answer and closes that connection', async () => {
    const { port, sockets } = await raw((socket) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno'));
    const { out } = await upgrade(newClient(), port);
    assert.equal(out!.status, 403);
    assert.equal(out!.body, 'no');
    assert.ok(out!.completed);
    const deadline = Date.now() + 2000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sockets.size, 0);
  });
});

describe('own upstream client: backpressure toward the caller', () => {
  it('reads the next answer on a connection whose previous answer was paused by a slow reader', async () => {
    const body = 'z'.repeat(256 * 1024);
    const { port, sockets } = await raw((socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    const client = newClient({ connections: 1 });
    // A reader that says "wait" on every chunk and catches up a moment later.
    const slow = () =>
      new Promise<Outcome>((resolve) => {
        const out: Outcome = { body: '', completed: false, connects: 0 };
        let resume = () => {};
        client.dispatch({ id: `s${port}`, origin: `http://127.0.0.1:${port}` }, { method: 'GET', path: '/', headers: ['host', 'x'], body: null }, {
          onConnect: () => out.connects++,
          onHeaders: (status, _h, r) => ((out.status = status), (resume = r), true),
          onData: (chunk) => {
            out.body += chunk.toString('latin1');
            setTimeout(resume, 1);
            return false;
          },
          onComplete: () => ((out.completed = true), resolve(out)),
          onBodySent() {},
          onError: (err) => ((out.error = err), resolve(out)),
        });
      });
    const first = await slow();
    assert.ok(first.completed);
    assert.equal(first.body.length, body.length);
    const second = await send(client, port);
    assert.ok(second.completed, second.error?.message);
    assert.equal(second.body.length, body.length);
    assert.equal(sockets.size, 1, 'both on one connection');
  });

  it('gives 16 answers read at once, half of them by slow readers, each exactly its own bytes', async () => {
    // Each answer's bytes name it, written in pieces that interleave with the other connections'.
    const pattern = (n: number) => Buffer.alloc(300 * 1024, `answer ${n};`);
    const { port } = await raw((socket, head) => {
      const n = Number(/^GET \/(\d+)/.exec(head)?.[1]);
      const body = pattern(n);
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      let at = 0;
      const more = () => {
        if (at >= body.length) return;
        socket.write(body.subarray(at, (at += 7_001)));
        setImmediate(more);
      };
      more();
    });
    const client = newClient({ connections: 16 });
    const read = (n: number, slow: boolean) =>
      new Promise<{ body: Buffer; error?: Error }>((resolve) => {
        const chunks: Buffer[] = [];
        let resume = () => {};
        client.dispatch({ id: `s${port}`, origin: `http://127.0.0.1:${port}` }, { method: 'GET', path: `/${n}`, headers: ['host', 'x'], body: null }, {
          onConnect() {},
          onHeaders: (_s, _h, r) => ((resume = r), true),
          onData: (chunk) => {
            chunks.push(chunk);
            if (!slow) return true;
            setTimeout(resume, 1);
            return false;
          },
          onComplete: () => resolve({ body: Buffer.concat(chunks) }),
          onBodySent() {},
          onError: (error) => resolve({ body: Buffer.concat(chunks), error }),
        });
      });
    const answers = await Promise.all(Array.from({ length: 16 }, (_, n) => read(n, n % 2 === 1)));
    answers.forEach((answer, n) => {
      assert.equal(answer.error, undefined, `answer ${n}: ${answer.error?.message}`);
      assert.ok(answer.body.equals(pattern(n)), `answer ${n} is its own bytes (${answer.body.length} bytes, starting ${JSON.stringify(answer.body.subarray(0, 20).toString())})`);
    });
  });
});
