// Several certificates on one HTTPS listener, chosen by the name the client asks for (SNI) against
// each certificate's own names (wildcards included), the first for any other name; a reload
// changes the set; a certificate that is not a pair with its key is a config error like the first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { App } from '../../src/app.ts';
import { ConfigError, parseConfigObject } from '../../src/config/load.ts';
import { get, startBackend, startMooring, type Backend } from '../helpers.ts';

/** The names in the certificate the listener shows a client asking for `servername`, and what it answered to a GET. */
function visit(port: number, servername: string): Promise<{ names: string; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 5 s')), 5000);
    let answer = '';
    socket.once('secureConnect', () => {
      const names = socket.getPeerCertificate().subjectaltname ?? '';
      socket.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
      socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      socket.once('end', () => {
        clearTimeout(timer);
        resolve({ names, answer });
      });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('https listener with several certificates (SNI)', () => {
  let dir: string;
  let backend: Backend;
  let app: App;
  const pair = (name: string) => ({ cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mooring-sni-'));
    const make = (name: string, san: string) =>
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`, '-keyout', pair(name).key, '-out', pair(name).cert], { stdio: 'ignore' });
    make('default', 'DNS:default.test');
    make('shop', 'DNS:shop.test,DNS:www.shop.test');
    make('api', 'DNS:*.api.test');
    backend = await startBackend('a');
    app = await startMooring([backend], {
      listener: { tls: { ...pair('default'), sni: [pair('shop'), pair('api')] } },
      top: { admin: { address: '127.0.0.1:0', token: 'sni-test-admin-token-0123456789', metricsToken: false } },
    });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows each client the certificate for the name it asked, the first for any other, and serves it', async () => {
    const port = app.listeners[0]!.port;
    const cases: [string, RegExp][] = [
      ['shop.test', /DNS:shop\.test/],
      ['WWW.Shop.Test', /DNS:www\.shop\.test/],
      ['v2.api.test', /DNS:\*\.api\.test/],
      ['deep.v2.api.test', /DNS:default\.test/],
      ['other.test', /DNS:default\.test/],
    ];
    for (const [name, shown] of cases) {
      const { names, answer } = await visit(port, name);
      assert.match(names, shown, name);
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\na$/, name);
    }
  });

  it('exports each certificate\'s expiry', async () => {
    const text = (await get(`http://127.0.0.1:${app.admin!.port}/metrics`)).body;
    for (const name of ['default', 'shop', 'api']) {
      const m = new RegExp(`^mooring_listener_certificate_expiry_timestamp_seconds\\{listener="web",certificate="${name}-cert\\.pem"\\} (\\d+)$`, 'm').exec(text);
      assert.ok(m, `${name}'s expiry in:\n${text.split('\n').filter((l) => l.includes('certificate')).join('\n')}`);
      const inHours = (Number(m[1]) - Date.now() / 1000) / 3600;
      assert.ok(inHours > 23 && inHours <= 24, `made for a day: ${inHours} h`);
    }
  });

  it('a reload changes the set: a name no longer listed gets the first certificate', async () => {
    const raw = {
      listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app', tls: { ...pair('default'), sni: [pair('api')] } }],
      services: [{ name: 'app', balance: { algorithm: 'round-robin' }, servers: [{ id: 'a', url: backend.url }] }],
      admin: { address: '127.0.0.1:0', token: 'sni-test-admin-token-0123456789', metricsToken: false },
    };
    const result = app.reload(parseConfigObject(raw));
    assert.ok(result.applied, JSON.stringify(result));
    const port = app.listeners[0]!.port;
    assert.match((await visit(port, 'shop.test')).names, /DNS:default\.test/);
    assert.match((await visit(port, 'x.api.test')).names, /DNS:\*\.api\.test/);
  });

  it('each certificate is checked as the first is: a key that is not its pair is named', () => {
    const raw = { listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app', tls: { ...pair('default'), sni: [{ cert: pair('shop').cert, key: pair('api').key }] } }], services: [{ name: 'app', servers: [{ id: 'a', url: backend.url }] }] };
    assert.throws(
      () => parseConfigObject(raw),
      (e: Error) => e instanceof ConfigError && /listeners\[0\]\.tls\.sni\[0\]\.key: listener web: .*api-key\.pem does not match the certificate in .*shop-cert\.pem/.test(e.message),
    );
  });
});
