// TLS mistakes caught by `mooring validate`, with listener, field and file named, instead of raw
// OpenSSL text at start: a certificate given as the key, a key of another certificate, a file that
// is not PEM; an expired certificate is a warning (exit 0); checked even when other fields are wrong.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToEnd } from '../cli-process.ts';

describe('validate: TLS files', () => {
  let dir: string;
  const config = (cert: string, key: string) => {
    const file = join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `listeners:\n  - { name: secure, address: "127.0.0.1:8443", service: s, tls: { cert: ${cert}, key: ${key} } }\nservices: [{ name: s, servers: [{ id: a, url: "http://127.0.0.1:9001" }] }]\n`);
    return file;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mooring-tlsv-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    for (const name of ['a', 'b']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', `${name}-key.pem`, '-out', `${name}-cert.pem`);
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=old', '-keyout', 'old-key.pem', '-out', 'old.csr');
    openssl('x509', '-req', '-in', 'old.csr', '-signkey', 'old-key.pem', '-days', '-1', '-out', 'old-cert.pem');
    writeFileSync(join(dir, 'notes.txt'), 'this is not a certificate\n');
  });

  const cases: [string, string, string, RegExp][] = [
    ['a certificate as the key', 'a-cert.pem', 'a-cert.pem', /:2: listeners\[0\]\.tls\.key: listener secure: \S+a-cert\.pem holds a certificate, not a private key; tls\.key must name the key file$/m],
    ['a key of another certificate', 'a-cert.pem', 'b-key.pem', /:2: listeners\[0\]\.tls\.key: listener secure: \S+b-key\.pem does not match the certificate in \S+a-cert\.pem$/m],
    ['a certificate that is not PEM', 'notes.txt', 'a-key.pem', /:2: listeners\[0\]\.tls\.cert: listener secure: \S+notes\.txt is not a PEM file \(expected -----BEGIN CERTIFICATE-----\)$/m],
    ['the key as the certificate', 'a-key.pem', 'a-key.pem', /listeners\[0\]\.tls\.cert: listener secure: \S+a-key\.pem holds no certificate/m],
  ];
  for (const [name, cert, key, expected] of cases) {
    it(`${name}: exit 1, named`, async () => {
      const { code, stderr } = await runToEnd(['validate', '--config', config(cert, key)]);
      assert.equal(code, 1);
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /error:[0-9A-F]{8}|routines/, 'no raw OpenSSL text');
    });
  }

  it('TLS files are checked even when the schema found other problems: every problem in one pass', async () => {
    const file = config('a-cert.pem', 'b-key.pem');
    writeFileSync(file, readFileSync(file, 'utf8').replace('id: a, url', 'id: a, weight: 0, url'));
    const { code, stderr } = await runToEnd(['validate', '--config', file]);
    assert.equal(code, 1);
    assert.match(stderr, /listeners\[0\]\.tls\.key: listener secure: \S+b-key\.pem does not match the certificate/);
    assert.match(stderr, /services\[0\]\.servers\[0\]\.weight: got 0/);
  });

  it('an expired certificate: a warning, exit 0', async () => {
    const { code, stderr, stdout } = await runToEnd(['validate', '--config', config('old-cert.pem', 'old-key.pem')]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /listeners\[0\]\.tls\.cert: warning: listener secure: the certificate in \S+old-cert\.pem expired on \d{4}-\d\d-\d\d; clients will refuse it/);
    assert.match(stdout, /: ok/);
  });

  it('a good pair passes without a word', async () => {
    const { code, stderr } = await runToEnd(['validate', '--config', config('a-cert.pem', 'a-key.pem')]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
  });
});
