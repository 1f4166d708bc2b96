// Misbehaving server answers, from a raw socket: each is relayed as the protocol allows or refused
// as a bad answer (502 MOORING_UPSTREAM_BAD_RESPONSE), and an answer that reached Mooring is never
// replayed on another server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { portOf, rawExchange, startMooring } from '../helpers.ts';
import { rawBackend, type RawBackend } from './raw-backend.ts';
import type { App } from '../../src/app.ts';

const ANSWERS: Record<string, string> = {
  '/304': 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 5\r\n\r\n',
  '/100-then-200': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  '/103-then-200': 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  '/dup-cl': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
  '/cl-te': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  '/huge-head': `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\nok`,
  '/stray-101': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  '/te-gzip': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  '/bare-101': 'HTTP/1.1 101 Switching Protocols\r\n\r\n',
  '/status-99': 'HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n',
  '/204-cl': 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Kept: yes\r\n\r\n',
};

describe('faults: server answers', () => {
  let backends: RawBackend[];
  let app: App;
  before(async () => {
    backends = await Promise.all(
      [0, 1].map(() =>
        rawBackend((head, socket) => {
          const path = head.split(' ')[1] ?? '/';
          socket.write(ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        }),
      ),
    );
    app = await startMooring(backends.map((b, i) => ({ name: `s${i}`, url: b.url })), { retries: 1 });
  });
  after(async () => {
    await app?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  const requestsSeen = (path: string) => backends.reduce((n, b) => n + b.heads.filter((h) => h.startsWith(`GET ${path} `)).length, 0);
  const ask = (path: string) => rawExchange(portOf(app), `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 3000);

  it('a 304 with a Content-Length is relayed as a 304 with no body', async () => {
    const answer = await ask('/304');
    assert.match(answer, /^HTTP\/1\.1 304 Not Modified\r\n/);
    assert.match(answer, /\r\netag: "v1"\r\n/i);
    assert.ok(answer.endsWith('\r\n\r\n'), 'no body');
  });

  // Interim answers, asked for or not, are skipped: the client gets the final answer, sent once.
  for (const path of ['/103-then-200', '/100-then-200']) {
    it(`${path}: the interim answer is skipped, the 200 relayed, nothing replayed`, async () => {
      const before = requestsSeen(path);
      const answer = await ask(path);
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(answer.endsWith('\r\n\r\nok'));
      assert.equal(requestsSeen(path) - before, 1, 'sent to one server only');
    });
  }

  it('a 204 is relayed without Content-Length, its other headers kept', async () => {
    const answer = await ask('/204-cl');
    assert.match(answer, /^HTTP\/1\.1 204 No Content\r\n/);
    assert.doesNotMatch(answer, /content-length/i);
    assert.match(answer, /\r\nx-kept: yes\r\n/i);
  });

  for (const path of ['/dup-cl', '/cl-te', '/huge-head', '/stray-101', '/bare-101', '/status-99', '/te-gzip']) {
    it(`${path}: 502 MOORING_UPSTREAM_BAD_RESPONSE, not replayed on another server`, async () => {
      const before = requestsSeen(path);
      const answer = await ask(path);
      assert.match(answer, /^HTTP\/1\.1 502 /);
      assert.match(answer, /\r\nmooring-error: MOORING_UPSTREAM_BAD_RESPONSE\r\n/i);
      assert.equal(requestsSeen(path) - before, 1, 'sent to one server only');
    });
  }
});
