// Stopped servers and retries: what may be retried elsewhere, and the answer when nothing works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { request } from 'undici';
import { get, startBackend, startMooring, tally, type Backend } from '../helpers.ts';

/** A TCP server that reads the request and then does `act` to the socket (reset, garbage, …). */
async function rawServer(act: (socket: Socket) => void): Promise<{ url: string; server: NetServer; hits: () => number }> {
  let hits = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      hits++;
      act(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, server, hits: () => hits };
}

describe('failover and retries', () => {
  let backends: Backend[];
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  it('a stopped server: idempotent and body requests still succeed via the others', async () => {
    const down = await startBackend('down');
    const servers = [...backends.slice(0, 2), down];
    const app = await startMooring(servers, { retries: 2 });
    try {
      await down.close();
      const counts = await tally(app.url(), 60);
      assert.deepEqual([...counts.keys()].sort(), ['a', 'b']);
      assert.equal((counts.get('a') ?? 0) + (counts.get('b') ?? 0), 60);
      // Refused before any byte was sent: even a POST with a body is safe to send elsewhere.
      for (let i = 0; i < 6; i++) {
        const res = await request(app.url(), { method: 'POST', body: 'x'.repeat(1000) });
        assert.equal(res.statusCode, 200);
        assert.notEqual(await res.body.text(), 'down');
      }
    } finally {
      await app.stop();
    }
  });

  it('all servers stopped: 503 MOORING_NO_SERVER at once', async () => {
    const dead = await Promise.all(['x', 'y', 'z'].map((n) => startBackend(n)));
    const app = await startMooring(dead, { retries: 2 });
    await Promise.all(dead.map((b) => b.close()));
    try {
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await get(app.url());
        assert.equal(res.status, 503);
        assert.equal(res.headers['mooring-error'], 'MOORING_NO_SERVER');
        assert.equal(res.body, 'No server is available\n');
        assert.ok(Date.now() - started < 2000, 'answered without waiting');
      }
    } finally {
      await app.stop();
    }
  });

  it('retries exhausted while other servers remain: 502 naming the refusal', async () => {
    const dead = await Promise.all(['x', 'y'].map((n) => startBackend(n)));
    await Promise.all(dead.map((b) => b.close()));
    const app = await startMooring([...dead, backends[0]!], { retries: 0, algorithm: 'round-robin' });
    try {
      const res = await get(app.url());
      assert.equal(res.status, 502);
      assert.equal(res.headers['mooring-error'], 'MOORING_UPSTREAM_REFUSED');
    } finally {
      await app.stop();
    }
  });

  it('a reset after the request reached the server: GET is retried elsewhere, POST with a body is not', async () => {
    const resetting = await rawServer((s) => s.resetAndDestroy());
    const app = await startMooring([{ name: 'reset', url: resetting.url }, backends[0]!], { retries: 1 });
    try {
      for (let i = 0; i < 4; i++) {
        const res = await get(app.url());
        assert.equal(res.status, 200);
        assert.equal(res.body, 'a');
      }
      const before = resetting.hits();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await request(app.url(), { method: 'POST', body: 'order=1' });
        statuses.push(res.statusCode);
        if (res.statusCode === 502) assert.equal(res.headers['mooring-error'], 'MOORING_UPSTREAM_RESET');
        await res.body.text();
      }
      const resetHits = resetting.hits() - before;
      assert.equal(statuses.filter((s) => s === 502).length, resetHits, `statuses ${statuses}`);
      assert.ok(resetHits >= 1);
    } finally {
      await app.stop();
      resetting.server.close();
    }
  });

  it('garbage from the server: 502 MOORING_UPSTREAM_BAD_RESPONSE', async () => {
    const garbage = await rawServer((s) => s.end('NOT HTTP AT ALL\r\n\r\n'));
    const app = await startMooring([{ name: 'garbage', url: garbage.url }]);
    try {
      const res = await get(app.url());
      assert.equal(res.status, 502);
      assert.equal(res.headers['mooring-error'], 'MOORING_UPSTREAM_BAD_RESPONSE');
      assert.equal(garbage.hits(), 1, 'a bad response is not retried');
    } finally {
      await app.stop();
      garbage.server.close();
    }
  });

  it('a server that does not answer in time: 504 MOORING_UPSTREAM_TIMEOUT', async () => {
    const silent = await rawServer(() => {});
    const app = await startMooring([{ name: 'silent', url: silent.url }], { top: { timeouts: { response: '300ms' } } });
    try {
      const res = await get(app.url());
      assert.equal(res.status, 504);
      assert.equal(res.headers['mooring-error'], 'MOORING_UPSTREAM_TIMEOUT');
      assert.equal(silent.hits(), 1, 'a timeout is not retried');
    } finally {
      await app.stop();
      silent.server.close();
    }
  });

  it('a request waiting for a busy pool connection past its deadline: 504 MOORING_UPSTREAM_TIMEOUT', async () => {
    // One upstream connection, held by a response that trickles for 4 s: the second request waits
    // in undici's queue, which undici's own timers do not cover; Mooring's deadline does
    // (connect 200 ms + response 300 ms + 1 s).
    const trickle = await startBackend('trickle', (req, res) => {
      if (req.url !== '/slow') return res.end('quick');
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write('.');
        if (++sent === 40) clearInterval(timer), res.end();
      }, 100);
      res.on('close', () => clearInterval(timer));
    });
    const app = await startMooring([trickle], { service: { pool: { connections: 1 } }, top: { timeouts: { connect: '200ms', response: '300ms' } } });
    try {
      const slow = await request(`${app.url()}/slow`);
      assert.equal(slow.statusCode, 200);
      const started = performance.now();
      const queued = await get(`${app.url()}/queued`);
      const waited = performance.now() - started;
      assert.equal(queued.status, 504);
      assert.equal(queued.headers['mooring-error'], 'MOORING_UPSTREAM_TIMEOUT');
      assert.ok(waited >= 1400 && waited < 3500, `answered after ${waited.toFixed(0)} ms, expected about 1.5 s`);
      slow.body.destroy();
    } finally {
      await app.stop(500);
      await trickle.close();
    }
  });

  it('a failure after the response began aborts the client connection (no clean end)', async () => {
    const truncating = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b', () => setTimeout(() => s.destroy(), 50)));
    const app = await startMooring([{ name: 't', url: truncating.url }]);
    try {
      const res = await request(app.url());
      assert.equal(res.statusCode, 200);
      await assert.rejects(res.body.text(), 'the truncated body must fail, not end cleanly');
    } finally {
      await app.stop();
      truncating.server.close();
    }
  });
});
