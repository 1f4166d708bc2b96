// An HTTPS listener (certificate made here with openssl) in front of plain HTTP servers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';
import { startBackend, startMooring, TEST_KEY, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('https listener', () => {
  let backend: Backend;
  let app: App;
  let cert: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    backend = await startBackend('a', (req, res) => {
      req.resume();
      res.end(JSON.stringify(req.headers));
    });
    app = await startMooring([backend], { listener: { tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } } });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('serves HTTPS, and the server sees X-Forwarded-Proto: https', async () => {
    assert.match(app.url(), /^https:\/\//);
    const dispatcher = new Agent({ connect: { ca: cert } });
    try {
      const res = await request(`${app.url()}/secure`, { dispatcher });
      assert.equal(res.statusCode, 200);
      const seen = (await res.body.json()) as Record<string, string>;
      assert.equal(seen['x-forwarded-proto'], 'https');
      assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    } finally {
      await dispatcher.close();
    }
  });

  it('with cookie persistence, the cookie is Secure on an HTTPS listener (secure: auto)', async () => {
    const sticky = await startMooring([backend], {
      listener: { tls: app.config.listeners[0]!.tls },
      service: { persistence: { method: 'cookie', keys: [TEST_KEY] } },
    });
    const dispatcher = new Agent({ connect: { ca: cert } });
    try {
      const res = await request(sticky.url(), { dispatcher });
      await res.body.text();
      assert.match(String(res.headers['set-cookie']), /^mooring=[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await dispatcher.close();
      await sticky.stop();
    }
  });

  it('refuses clients that do not trust the certificate (no silent downgrade)', async () => {
    await assert.rejects(request(app.url()), /self-signed|certificate/i);
  });

  it('closes a TLS client that stalls in its upload after timeouts.idle', async () => {
    const waiting = await startBackend('waits-for-the-body'); // answers once the whole body is in
    const quick = await startMooring([waiting], { listener: { tls: app.config.listeners[0]!.tls }, top: { timeouts: { idle: '300ms' } } });
    const socket = tlsConnect({ port: quick.listeners[0]!.port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    try {
      socket.on('error', () => {});
      await once(socket, 'secureConnect');
      const started = Date.now();
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a little');
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      let closed = false;
      socket.on('close', () => (closed = true));
      await waitFor(() => closed, 5000, 'Mooring to close the stalled connection');
      const ms = Date.now() - started;
      assert.ok(ms >= 250 && ms < 2300, `closed after ${ms} ms (idle 300 ms)`);
      assert.equal(answer, '', 'no answer: the body never came');
    } finally {
      socket.destroy();
      await quick.stop();
      await waiting.close();
    }
  });
});
