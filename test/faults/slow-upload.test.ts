// Defect: an upload still flowing died at connect + response + 1 s with a 504. `response` counts
// from the last byte sent; `idle` guards a stall.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { portOf, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

/** POSTs `chunks` pieces of `size` bytes, one every `everyMs`; resolves with the status line. */
function trickleUpload(port: number, chunks: number, size: number, everyMs: number, stallAfter = Infinity): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= stallAfter) return; // stop sending, keep the connection
      socket.write(Buffer.alloc(size, 'u'));
      if (++sent === chunks) clearInterval(timer);
    }, everyMs);
    const give = setTimeout(() => socket.destroy(), 15_000);
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(give);
      resolve(answer.split('\r\n')[0] ?? '');
    });
    socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${chunks * size}\r\n\r\n`);
  });
}

describe('faults: slow uploads', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('b');
    app = await startMooring([backend], { retries: 0, top: { timeouts: { connect: '500ms', response: '1s', idle: '1500ms' } } });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('an upload that keeps flowing for 4 s (past connect + response + 1 s = 2.5 s) gets its answer', async () => {
    assert.equal(await trickleUpload(portOf(app), 20, 4096, 200), 'HTTP/1.1 200 OK');
  });

  it('an upload that stalls is cut within about timeouts.idle, not kept for ever', async () => {
    const started = Date.now();
    const status = await trickleUpload(portOf(app), 20, 4096, 100, 3);
    const took = Date.now() - started;
    assert.ok(took < 6000, `cut after ${took} ms`);
    assert.notEqual(status, 'HTTP/1.1 200 OK');
  });
});
