// Listeners behind a TCP load balancer (proxyProtocol: true), over raw sockets: the client address
// from a v1 or v2 header sent by a trusted proxy reaches the server and client-ip persistence; a
// header from anyone else, a trusted proxy's connection without one, malformed and truncated headers
// are refused (the connection closed, nothing forwarded); plain HTTP from others is served; an
// HTTPS listener reads the header before the TLS handshake.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2ipv4(client: [number, number, number, number], port: number): Buffer {
  const head = Buffer.from([0x21, 0x11, 0x00, 0x0c]);
  const body = Buffer.alloc(12);
  Buffer.from(client).copy(body, 0);
  Buffer.from([10, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(80, 10);
  return Buffer.concat([SIG, head, body]);
}

/** Sends `parts` (with a pause between them) from `localAddress`; what came back once the server closed or 3 s passed. */
function exchange(port: number, parts: (string | Buffer)[], localAddress = '127.0.0.1', socket?: Socket): Promise<string> {
  return new Promise((resolve) => {
    const s = socket ?? connect({ port, host: '127.0.0.1', localAddress });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    let i = 0;
    const next = () => {
      if (i >= parts.length || s.destroyed) return;
      s.write(parts[i++]!);
      setTimeout(next, 30);
    };
    next();
  });
}

const GET = (path = '/') => `GET ${path} HTTP/1.1\r\nHost: lb.example\r\nConnection: close\r\n\r\n`;
const seenFor = (answer: string) => (answer.startsWith('HTTP/1.1 200') ? (JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { xff: string; server: string }) : undefined);

describe('PROXY protocol', () => {
  let backends: Backend[];
  let app: App;
  let port: number;
  let tlsPort: number;
  let cert: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-proxyproto-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    backends = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          res.end(JSON.stringify({ xff: req.headers['x-forwarded-for'], server: name }));
        }),
      ),
    );
    app = await startMooring(backends, {
      service: { persistence: { method: 'client-ip' } },
      listener: { proxyProtocol: true },
      top: {
        trustedProxies: ['127.0.0.1'],
        timeouts: { header: '1s' },
        listeners: [
          { name: 'web', address: '127.0.0.1:0', service: 'app', proxyProtocol: true },
          { name: 'secure', address: '127.0.0.1:0', service: 'app', proxyProtocol: true, tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } },
        ],
      },
    });
    port = app.listeners[0]!.port;
    tlsPort = app.listeners[1]!.port;
  });
  after(async () => {
    await app?.stop(0);
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('v1 and v2 headers from a trusted proxy name the client, in one write or several', async () => {
    const v1 = seenFor(await exchange(port, [`PROXY TCP4 198.51.100.7 10.0.0.1 40000 80\r\n${GET()}`]));
    assert.equal(v1?.xff, '198.51.100.7');
    const split = seenFor(await exchange(port, ['PROXY TCP6 2001:db8::7 ', '2001:db8::1 40000 80\r\n', GET()]));
    assert.equal(split?.xff, '2001:db8::7');
    const binary = seenFor(await exchange(port, [Buffer.concat([v2ipv4([203, 0, 113, 5], 1234), Buffer.from(GET())])]));
    assert.equal(binary?.xff, '203.0.113.5');
  });

  it('client-ip persistence keys on the address the header names: one client stays, others spread', async () => {
    const serverOf = async (ip: string) => seenFor(await exchange(port, [`PROXY TCP4 ${ip} 10.0.0.1 40000 80\r\n${GET()}`]))!.server;
    const first = await serverOf('198.51.100.20');
    for (let i = 0; i < 10; i++) assert.equal(await serverOf('198.51.100.20'), first);
    const others = new Set<string>();
    for (let i = 0; i < 9; i++) others.add(await serverOf(`198.51.100.${30 + i}`));
    assert.ok(others.size >= 2, `different clients spread: ${[...others].join(' ')}`);
  });

  it('refuses a header from an untrusted address, a trusted connection without one, malformed and truncated headers', async () => {
    const untrusted = await exchange(port, [`PROXY TCP4 198.51.100.7 10.0.0.1 40000 80\r\n${GET()}`], '127.0.0.2');
    assert.equal(untrusted, '', 'closed without an answer');
    assert.equal(await exchange(port, [GET()]), '', 'a trusted proxy must send the header');
    assert.equal(await exchange(port, [`PROXY TCP4 198.51.100.999 10.0.0.1 1 80\r\n${GET()}`]), '');
    assert.equal(await exchange(port, [`PROXY TCP4 ${'9'.repeat(200)}\r\n`]), '');
    assert.equal(await exchange(port, [v2ipv4([203, 0, 113, 5], 1).subarray(0, 20)]), '', 'a truncated v2 header is closed after timeouts.header');
    assert.equal(await exchange(port, ['PROXY TCP4 198.5']), '', 'a truncated v1 header too');
  });

  it('plain HTTP from an address that is not a trusted proxy is served as usual', async () => {
    const answer = seenFor(await exchange(port, [GET()], '127.0.0.2'));
    assert.equal(answer?.xff, '127.0.0.2');
  });

  for (const together of [false, true]) {
    it(`an HTTPS listener reads the header before the TLS handshake (${together ? 'in one packet with the ClientHello' : 'sent first'})`, async () => {
      const raw = connect({ port: tlsPort, host: '127.0.0.1' });
      await new Promise((r) => raw.once('connect', r));
      if (together) raw.cork();
      raw.write('PROXY TCP4 198.51.100.77 10.0.0.1 40000 443\r\n');
      // Sent first: the server reads the header alone before the handshake begins.
      if (!together) await new Promise((r) => setTimeout(r, 100));
      const secure = tlsConnect({ socket: raw, ca: cert, servername: 'localhost' });
      if (together) setTimeout(() => raw.uncork(), 20);
      const answer = await exchange(tlsPort, [GET()], undefined, secure);
      assert.equal(seenFor(answer)?.xff, '198.51.100.77');
    });
  }
});
