// Defect: a server that answers an upload before reading it (401 to an unauthenticated POST)
// stalled the client's connection until timeouts.idle. The rest of the body must be drained
// (bounded) so the next request on the connection is answered at once, or the connection closed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { portOf, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

/** Sends `first`, waits for one whole answer, sends `second`; resolves with what came back for each and the time of the second. */
function twoOnOneConnection(port: number, first: Buffer, second: string, ms = 4000): Promise<{ answers: string; secondMs: number; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sentSecondAt = 0;
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers: text, secondMs: sentSecondAt ? Date.now() - sentSecondAt : -1, closed });
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!sentSecondAt && text.includes('denied')) {
        sentSecondAt = Date.now();
        socket.write(second);
      } else if (sentSecondAt && text.includes('hello')) done();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.write(first);
  });
}

describe('faults: an answer before the request body was read', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('b', (req, res) => {
      if (req.method === 'POST') {
        res.writeHead(401, { 'content-type': 'text/plain', 'content-length': '6' });
        return res.end('denied'); // the upload is never read
      }
      req.resume();
      res.end('hello');
    });
    app = await startMooring([backend], { top: { timeouts: { idle: '10s' } } });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  for (const size of [1000, 200_000, 4_000_000]) {
    it(`the next request on the connection is answered at once (${size}-byte upload)`, async () => {
      const body = Buffer.alloc(size, 'x');
      const first = Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`), body]);
      const { answers, secondMs, closed } = await twoOnOneConnection(portOf(app), first, 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(answers, /^HTTP\/1\.1 401 /);
      if (/\r\nconnection: close(\r\n|$)/i.test(answers.split('\r\n\r\n')[0]!)) {
        assert.ok(closed, 'an answer that says Connection: close closes the connection');
      } else {
        assert.match(answers, /hello$/, `the second answer came: ${JSON.stringify(answers.slice(-80))}`);
        assert.ok(secondMs >= 0 && secondMs < 1000, `the second request waited ${secondMs} ms`);
      }
    });
  }
});
