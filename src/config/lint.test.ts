// Lint as a table: one config per row and the findings expected (severity and path), then the
// command's output and exit code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from './load.ts';
import { lint } from './lint.ts';
import { main } from '../cli.ts';

const KEY = 'keys: ["0123456789abcdef0123"]';
const file = (service: string, extra = '', listener = '') => `listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop${listener} }
services:
  - name: shop
    servers:
      - { id: a, url: "http://127.0.0.1:9001" }
      - { id: b, url: "http://127.0.0.1:9002" }
${service}
${extra}`;

const HEALTH = '    health: { path: /health }';

describe('lint', () => {
  const rows: [string, string, string[]][] = [
    ['a good config', `${HEALTH}\n    persistence: { method: cookie, ${KEY} }`, []],
    ['client-ip without trustedProxies', `${HEALTH}\n    persistence: { method: client-ip }`, ['warning services[0].persistence.method']],
    ['client-ip with trustedProxies', `${HEALTH}\n    persistence: { method: client-ip }\ntrustedProxies: ["10.0.0.0/8"]`, []],
    ['no health checks on several servers', '    retries: 2', ['warning services[0].health']],
    ['no health checks and passive ejection off', '    passive: false', ['warning services[0].health', 'error services[0].passive']],
    ['a long first-burst window', `${HEALTH}\n    persistence: { method: cookie, ${KEY}, firstBurstWindow: 10s }`, ['warning services[0].persistence.firstBurstWindow']],
    ['maxSessions with persistence none', `${HEALTH}\n    persistence: { method: none }`, ['warning services[0].servers[0].maxSessions']],
    ['maxSessions beyond the session table', `${HEALTH}\n    persistence: { method: header, header: X-Session, table: { maxEntries: 1000 } }`, ['warning services[0].persistence.table.maxEntries']],
    ['maxSessions beyond the client-ip table', `${HEALTH}\n    persistence: { method: client-ip, clientIp: { maxEntries: 500 } }\ntrustedProxies: ["10.0.0.0/8"]`, ['warning services[0].persistence.clientIp.maxEntries']],
    ['maxSessions within the session table', `${HEALTH}\n    persistence: { method: cookie, ${KEY}, table: { maxEntries: 5000 } }`, []],
    ['https servers with certificate checks off', `${HEALTH}\n    tls: { verify: false }`, ['warning services[0].tls.verify']],
    ['a monitor path routed to a service that keeps sessions', `${HEALTH}\n    persistence: { method: cookie, ${KEY} }`, ['warning listeners[0].rules[0].match.path']],
    ['a monitor path routed to a service without sessions', `${HEALTH}\n    persistence: { method: none }`, []],
  ];
  for (const [name, service, want] of rows) {
    it(name, () => {
      // The maxSessions rows give each server room for 800 sessions.
      // The monitor rows send /healthz to the service by a rule.
      const listener = name.startsWith('a monitor') ? ', rules: [{ match: { path: [/api/, /healthz] }, service: shop }]' : '';
      const https = name.startsWith('https') ? file(service, '', listener).replaceAll('http://', 'https://') : file(service, '', listener);
      const text = name.startsWith('maxSessions') ? https.replace(/(900[12]") }/g, '$1, maxSessions: 800 }') : https;
      const findings = lint(parseConfigText(text, 'l.yaml', {}));
      assert.deepEqual(findings.map((f) => `${f.severity} ${f.path}`), want);
      for (const f of findings) assert.ok(f.why.length > 20 && f.fix.length > 5);
    });
  }

  it('a standby data center without kickstart, and kickstart credentials over plain http', () => {
    const dcs = (kickstart: string) => `listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop }
services:
  - name: shop
    health: { path: /health }
    datacenters:
      - { name: main, servers: [{ id: a, url: "http://127.0.0.1:9001" }, { id: b, url: "http://127.0.0.1:9002" }] }
      - { name: spare, standby: true, ${kickstart} servers: [{ id: c, url: "http://127.0.0.1:9003" }] }
`;
    const found = (kickstart: string) => lint(parseConfigText(dcs(kickstart), 'l.yaml', {})).map((f) => `${f.severity} ${f.path}`);
    assert.deepEqual(found(''), ['warning services[0].datacenters[1]']);
    assert.deepEqual(found('kickstart: { url: "http://ops.example/wake", username: ops, password: pw },'), ['warning services[0].datacenters[1].kickstart.url']);
    assert.deepEqual(found('kickstart: { url: "https://ops.example/wake", username: ops, password: pw },'), []);
  });

  it('every server disabled', () => {
    const text = file(HEALTH).replaceAll('9001" }', '9001", state: disabled }').replaceAll('9002" }', '9002", state: disabled }');
    assert.deepEqual(lint(parseConfigText(text, 'l.yaml', {})).map((f) => `${f.severity} ${f.path}`), ['error services[0].servers']);
  });

  it('a cookie without Secure on an HTTPS listener', () => {
    const config = parseConfigText(file(`${HEALTH}\n    persistence: { method: cookie, ${KEY}, cookie: { secure: false } }`), 'l.yaml', {});
    const withTls = { ...config, listeners: [{ ...config.listeners[0]!, tls: { cert: 'c.pem', key: 'k.pem', sni: [] } }] };
    assert.deepEqual(lint(withTls).map((f) => `${f.severity} ${f.path}`), ['warning listeners[0].tls']);
  });

  it('the command prints each finding with its fix; exit 1 only for an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-lint-'));
    const run = async (text: string) => {
      const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(path, text);
      let out = '';
      const code = await main(['lint', '--config', path], { out: (s) => (out += `${s}\n`), err: (s) => (out += `${s}\n`) });
      return { code, out };
    };
    const warned = await run(file('    retries: 2'));
    assert.equal(warned.code, 0);
    assert.match(warned.out, /\.yaml:\d+: warning: services\[0\]\.health: no active health check on a, b: .+\. Fix: add health: \{ path: \/health \}/);
    const failed = await run(file('    passive: false'));
    assert.equal(failed.code, 1);
    const passiveLine = file('    passive: false').split('\n').findIndex((l) => l.includes('passive: false')) + 1;
    assert.match(failed.out, new RegExp(`\\.yaml:${passiveLine}: error: services\\[0\\]\\.passive: `), 'the finding names the line of the key');
    const clean = await run(file(HEALTH));
    assert.equal(clean.code, 0);
    assert.match(clean.out, /no pitfall found/);
  });
});
