// A client that goes away mid-upload or mid-download leaves no upstream socket behind, and Mooring
// counts the request as finished.
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:net';
import { once } from 'node:events';
import { portOf, startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('client aborts', () => {
  let backend: Backend;
  let app: App;
  let serverSideClosed = 0;
  before(async () => {
    backend = await startBackend('a', (req, res) => {
      res.on('close', () => serverSideClosed++);
      if (req.url === '/download') {
        // Headers and a first chunk, then the rest never comes: the client gives up mid-body.
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        res.write(Buffer.alloc(64 * 1024, 1));
        return;
      }
      req.resume(); // /upload: read whatever arrives, never answer
    });
    app = await startMooring([backend]);
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  const activity = () => (app as unknown as { activity: { requests: number } }).activity.requests;

  it('mid-download: the upstream socket is closed', async () => {
    const client = connect(portOf(app), '127.0.0.1');
    client.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(client, 'data');
    await waitFor(() => backend.sockets.size === 1, 5000, 'the upstream connection');
    const closedBefore = serverSideClosed;
    client.destroy();
    await waitFor(() => backend.sockets.size === 0, 5000, 'the upstream socket to close');
    await waitFor(() => serverSideClosed === closedBefore + 1, 5000, 'the server to see the response closed');
    await waitFor(() => activity() === 0, 5000, 'Mooring to finish the request');
  });

  it('mid-upload: the upstream socket is closed', async () => {
    const client = connect(portOf(app), '127.0.0.1');
    client.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    client.write(Buffer.alloc(128 * 1024, 2)); // beyond limits.bufferBodyBytes (64 KiB): the upload streams
    await waitFor(() => backend.seen.some((r) => r.url === '/upload') && backend.sockets.size === 1, 5000, 'the upload to reach the server');
    client.destroy();
    await waitFor(() => backend.sockets.size === 0, 5000, 'the upstream socket to close');
    await waitFor(() => activity() === 0, 5000, 'Mooring to finish the request');
  });
});
