// Pipelined requests on one client connection: handled one at a time, in the order sent, and none
// after an answer that closed the connection (a refusal).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { portOf, rawExchange, startBackend, startMooring, type Backend } from '../helpers.ts';

describe('pipelining', () => {
  let backend: Backend;
  let app: App;
  const arrived: string[] = [];
  before(async () => {
    backend = await startBackend('a', (req, res) => {
      arrived.push(`${req.method} ${req.url}`);
      req.resume();
      // The first answers last if requests were handled side by side.
      setTimeout(() => res.end(`done ${req.url}`), req.url === '/1' ? 150 : 0);
    });
    app = await startMooring([backend]);
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('sends pipelined requests to the server one at a time, in the order they came', async () => {
    for (let run = 0; run < 3; run++) {
      arrived.length = 0;
      const text =
        'POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi' +
        'GET /2 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'DELETE /3 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
      const reply = await rawExchange(portOf(app), text, 5000);
      assert.deepEqual(arrived, ['POST /1', 'GET /2', 'DELETE /3', 'GET /4']);
      assert.deepEqual([...reply.matchAll(/done (\/\d)/g)].map((m) => m[1]), ['/1', '/2', '/3', '/4']);
    }
  });

  it('never sends a request pipelined behind one Mooring refused with Connection: close', async () => {
    arrived.length = 0;
    const tooLong = `/${'a'.repeat(9000)}`;
    const text = `GET ${tooLong} HTTP/1.1\r\nHost: x\r\n\r\n` + 'POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
    const reply = await rawExchange(portOf(app), text, 3000);
    assert.match(reply, /^HTTP\/1\.1 414 /);
    assert.doesNotMatch(reply, /done/);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(arrived, [], 'the POST never reached the server');
  });
});
