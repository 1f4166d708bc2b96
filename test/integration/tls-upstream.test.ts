// https:// servers with a private CA (certificates made here with openssl): without tls.ca the
// server is not trusted (503, never a request sent), with tls.ca and tls.servername requests and
// health probes go through, verify: false accepts anything; a CA file that cannot be read, or tls:
// on an http:// server, is a config error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src/app.ts';
import { ConfigError, parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { get, waitFor } from '../helpers.ts';

describe('https:// servers with a private CA', () => {
  let dir: string;
  let backend: Server;
  let url: string;
  let seen = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mooring-upstream-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Mooring Test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=app.internal', '-keyout', 'server-key.pem', '-out', 'server.csr');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName = DNS:app.internal\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
    backend = createServer({ key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')) }, (req, res) => {
      seen++;
      req.resume();
      res.end(req.url === '/health' ? 'ok' : 'secure');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });
  after(() => {
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (service: Record<string, unknown>, server: Record<string, unknown> = {}) => ({
    listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
    services: [{ name: 'app', servers: [{ id: 's1', url, ...server }], ...service }],
  });
  const withApp = async (raw: unknown, use: (app: App) => Promise<void>) => {
    const app = await App.start(parseConfigObject(raw, process.env, join(dir, 'mooring.yaml')), { logger: silentLogger });
    try {
      await use(app);
    } finally {
      await app.stop(0);
    }
  };

  it('a server whose certificate no trusted CA signed gets no request: 503', async () => {
    await withApp(config({}), async (app) => {
      const before = seen;
      const res = await get(app.url());
      assert.equal(res.status, 503);
      assert.equal(res.headers['mooring-error'], 'MOORING_NO_SERVER');
      assert.equal(seen, before, 'no request reached the untrusted server');
    });
  });

  it('with tls.ca and tls.servername (the service\'s), requests and health probes go through', async () => {
    const health = { path: '/health', interval: '200ms', timeout: '150ms', rise: 1, fall: 1 };
    await withApp(config({ tls: { ca: 'ca.pem', servername: 'app.internal' }, health }), async (app) => {
      await waitFor(() => app.services.get('app')!.current.health.health('s1') === 'up', 3000, 'the health probe through TLS');
      for (let i = 0; i < 3; i++) assert.equal((await get(app.url())).body, 'secure');
    });
  });

  it('the CA alone does not do when the certificate holds another name than the URL: 503', async () => {
    await withApp(config({}, { tls: { ca: 'ca.pem' } }), async (app) => {
      assert.equal((await get(app.url())).status, 503);
    });
  });

  it('verify: false accepts the certificate unchecked', async () => {
    await withApp(config({}, { tls: { verify: false } }), async (app) => {
      assert.equal((await get(app.url())).body, 'secure');
    });
  });

  it('refuses a CA file it cannot read or that holds no certificate, and tls: on an http:// server', () => {
    const file = join(dir, 'mooring.yaml');
    const refused = (raw: unknown, message: RegExp) =>
      assert.throws(() => parseConfigObject(raw, process.env, file), (e: Error) => e instanceof ConfigError && message.test(e.message), message.source);
    refused(config({ tls: { ca: 'missing.pem' } }), /services\[0\]\.tls\.ca: cannot read file .*missing\.pem/);
    refused(config({}, { tls: { ca: 'server-key.pem' } }), /tls\.ca: .*server-key\.pem holds no PEM certificate/);
    const plain = { listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }], services: [{ name: 'app', servers: [{ id: 's1', url: 'http://127.0.0.1:1', tls: { verify: false } }] }] };
    refused(plain, /services\[0\]\.servers\[0\]\.tls: applies to https:\/\/ servers only \(server s1 is http:\/\/127\.0\.0\.1:1\)/);
  });
});
