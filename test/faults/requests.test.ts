// Odd requests from a raw client: HTTP/1.0 without Host, HTTP/2.0 and HTTP/0.9 request lines, and
// transfer codings other than chunked. Each is answered as the protocol says, never relayed blindly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { portOf, rawExchange, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('faults: client requests', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('b');
    app = await startMooring([backend]);
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('HTTP/1.0 without Host reaches the server with the address the client reached, not the server\'s own', async () => {
    const answer = await rawExchange(portOf(app), 'GET /old HTTP/1.0\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    const seen = backend.seen.at(-1)!;
    assert.equal(seen.url, '/old');
    assert.equal(seen.headers.host, `127.0.0.1:${portOf(app)}`);
    assert.notEqual(seen.headers.host, `127.0.0.1:${backend.port}`);
  });

  it('HTTP/2.0 on an HTTP/1 connection: 505; HTTP/0.9: 400; neither reaches the server', async () => {
    const before = backend.seen.length;
    assert.match(await rawExchange(portOf(app), 'GET /two HTTP/2.0\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 505 /);
    assert.match(await rawExchange(portOf(app), 'GET /nine\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.equal(backend.seen.length, before);
  });

  for (const te of ['gzip, chunked', 'gzip']) {
    it(`a request with Transfer-Encoding: ${te} gets 501 and does not reach the server`, async () => {
      const before = backend.seen.length;
      const answer = await rawExchange(portOf(app), `POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\n\r\n2\r\nhi\r\n0\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 (501|400) /);
      if (te.endsWith('chunked')) assert.match(answer, /\r\nmooring-error: MOORING_TRANSFER_CODING\r\n/i);
      assert.equal(backend.seen.length, before);
    });
  }
});
