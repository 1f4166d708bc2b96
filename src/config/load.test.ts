// Config loading: defaults, durations, environment variables, and precise problem reports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfigFile, parseConfigText } from './load.ts';
import { parseDuration } from '../core/duration.ts';
import { configProblems } from './test-problems.ts';

const base = `listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop }
services:
  - name: shop
    servers:
      - { id: a, url: "http://127.0.0.1:9001" }
      - { id: b, url: "http://127.0.0.1:9002", weight: 3 }
`;

/** A self-signed certificate and its key, cert.pem and key.pem in `dir` (openssl, as CI installs it). */
function makeCertificate(dir: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
}

const problems = (text: string, env: NodeJS.ProcessEnv = {}) => configProblems(text, 'mooring.yaml', env);

describe('config', () => {
  it('reads a minimal file with defaults filled in, and freezes it', () => {
    const config = parseConfigText(base, 'mooring.yaml', {});
    const shop = config.services[0]!;
    assert.equal(shop.balance.algorithm, 'round-robin');
    assert.equal(shop.retries, 2);
    assert.deepEqual(shop.servers.map((s) => s.weight), [1, 3]);
    assert.deepEqual(config.listeners[0]!.address, { host: '127.0.0.1', port: 8080 });
    assert.equal(config.timeouts.connect, 3000);
    assert.equal(config.limits.maxHeaderBytes, 16384);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(shop.servers[0]));
  });

  it('reads JSON too, with line numbers', () => {
    const json = JSON.stringify(JSON.parse(JSON.stringify({ listeners: [{ name: 'web', address: '127.0.0.1:1', service: 'shop' }], services: [{ name: 'shop', servers: [{ id: 'a', url: 'http://x:1' }], retires: 1 }] })), null, 2);
    const lines = problems(json);
    const line = json.split('\n').findIndex((l) => l.includes('retires')) + 1;
    assert.deepEqual(lines, [`mooring.yaml:${line}: services[0].retires: unknown key (did you mean "retries"?)`]);
  });

  it('reports a misspelled key with its line number', () => {
    assert.deepEqual(problems(base.replace('    servers:', '    retrys: 2\n    servers:')), ['mooring.yaml:5: services[0].retrys: unknown key (did you mean "retries"?)']);
  });

  it('suggests the intended key for a typo, or lists the keys allowed there', () => {
    const text = `${base.replace('    servers:', '    balance: { algorithm: maglev, tablesize: 101 }\n    persistence: { method: cookie, keys: [kkkkkkkkkkkkkkkkkkkk], cookie: { httponly: false } }\n    servers:')}colour: blue\n`;
    assert.deepEqual(problems(text), [
      'mooring.yaml:5: services[0].balance.tablesize: unknown key (did you mean "tableSize"?) for algorithm maglev',
      'mooring.yaml:6: services[0].persistence.cookie.httponly: unknown key (did you mean "httpOnly"?)',
      'mooring.yaml:10: colour: unknown key; expected one of listeners, services, trustedProxies, timeouts, limits, log, workers, geoip, admin, store',
    ]);
    assert.deepEqual(problems(base.replace('    servers:', '    balance: { algorithm: round-robin, key: x }\n    servers:')), [
      'mooring.yaml:5: services[0].balance.key: unknown key: round-robin takes no options besides algorithm',
    ]);
  });

  it('lists every problem at once: duplicates, URLs, algorithms, weights, references', () => {
    const text = `listeners:
  - { name: web, address: "127.0.0.1:99999", service: shopp }
services:
  - name: shop
    balance: { algorithm: round-robbin }
    servers:
      - { id: a, url: "http://127.0.0.1:9001" }
      - { id: a, url: "ftp://127.0.0.1:9002", weight: 0 }
      - { id: c, url: "not a url", weight: -2 }
`;
    assert.deepEqual(problems(text), [
      'mooring.yaml:2: listeners[0].address: expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got "127.0.0.1:99999"',
      'mooring.yaml:2: listeners[0].service: no service named "shopp" (services: shop)',
      'mooring.yaml:5: services[0].balance.algorithm: expected one of round-robin, weighted-round-robin, least-connections, least-response-time, two-random-choices, maglev; got "round-robbin"; did you mean "round-robin"?',
      'mooring.yaml:8: services[0].servers[1].id: duplicate server id "a" in service shop',
      'mooring.yaml:8: services[0].servers[1].url: expected an http:// or https:// URL, got "ftp://127.0.0.1:9002"',
      'mooring.yaml:8: services[0].servers[1].weight: got 0; expected 1 to 10000',
      'mooring.yaml:9: services[0].servers[2].url: expected a URL such as http://10.0.0.5:8080, got "not a url"',
      'mooring.yaml:9: services[0].servers[2].weight: got -2; expected 1 to 10000',
    ]);
  });

  it('reads ${NAME} from the environment, and reports unset variables', () => {
    const text = base.replace('"http://127.0.0.1:9001"', '"http://${BACKEND_HOST}:9001"');
    const config = parseConfigText(text, 'mooring.yaml', { BACKEND_HOST: '10.1.2.3' });
    assert.equal(config.services[0]!.servers[0]!.url, 'http://10.1.2.3:9001');
    assert.deepEqual(problems(text), ['mooring.yaml:6: services[0].servers[0].url: environment variable BACKEND_HOST is not set']);
    assert.deepEqual(problems(text, { BACKEND_HOSTS: '10.1.2.3', PATH: '/bin' }), ['mooring.yaml:6: services[0].servers[0].url: environment variable BACKEND_HOST is not set; did you mean BACKEND_HOSTS?']);
  });

  it('refuses a ${NAME without its closing brace instead of taking it as text, and never shows the value', () => {
    const text = `${base}admin: { token: "s3cret-\${MOORING_ADMIN_TOKEN" }\n`;
    assert.deepEqual(problems(text, { MOORING_ADMIN_TOKEN: 'x'.repeat(32) }), ['mooring.yaml:8: admin.token: "${MOORING_ADMIN_TOKEN" has no closing "}": expected ${NAME} (the value is not used as it is)']);
  });

  it('refuses __proto__, constructor and prototype as keys, wherever they are', () => {
    assert.deepEqual(problems(`${base}__proto__: { workers: 2 }\ntimeouts: { constructor: 1s }\n`), [
      'mooring.yaml:8: __proto__: unknown key "__proto__": it is never a config key',
      'mooring.yaml:9: timeouts.constructor: unknown key "constructor": it is never a config key',
    ]);
    const admin = `${base}admin: { __proto__: { token: "${'t'.repeat(20)}" } }\n`;
    assert.ok(problems(admin).some((p) => /admin\.__proto__: unknown key/.test(p)), 'no key is smuggled in through a prototype');
  });

  it('refuses a timer longer than a timer can wait (about 24.8 days); lifetimes may be longer', () => {
    assert.deepEqual(problems(`${base}timeouts: { idle: 25d }\n`), ['mooring.yaml:8: timeouts.idle: expected at most 24d (about the longest a timer can wait: 2147483647ms), got "25d"']);
    assert.deepEqual(problems(`${base}timeouts: { idle: 24d }\n`), []);
    const cookie = base.replace('    servers:', `    persistence: { method: cookie, keys: ["${'k'.repeat(32)}"], cookie: { maxAge: 400d, idleTimeout: 90d } }\n    servers:`);
    assert.deepEqual(problems(cookie), []);
  });

  it('reads durations and rejects bare numbers and unknown units', () => {
    assert.deepEqual(['250ms', '3s', '5m', '1h', '7d', '1.5s'].map(parseDuration), [250, 3000, 300000, 3600000, 604800000, 1500]);
    assert.equal(parseDuration('3'), undefined);
    assert.equal(parseDuration('3 weeks'), undefined);
    assert.deepEqual(problems(`${base}timeouts: { connect: 3, idle: 2w }\n`), [
      'mooring.yaml:8: timeouts.connect: got the number 3; write a duration such as "3s" or "3ms"',
      'mooring.yaml:8: timeouts.idle: expected a duration such as 250ms, 3s, 5m, 1h, 7d or 1m30s, got "2w"',
    ]);
  });

  it('checks maglev options and trusted proxy blocks', () => {
    const text = base.replace('    servers:', '    balance: { algorithm: maglev, key: "cookie:sid", tableSize: 1000 }\n    servers:') + 'trustedProxies: ["10.0.0.0/8", "::1", "10.0.0.0/33"]\n';
    assert.deepEqual(problems(text), [
      'mooring.yaml:5: services[0].balance.tableSize: expected a prime number (the Maglev table size must be prime)',
      'mooring.yaml:9: trustedProxies[2]: expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32',
    ]);
  });

  it('reports missing fields, empty files and YAML syntax errors', () => {
    assert.deepEqual(problems('services: []\n'), [
      'mooring.yaml:1: listeners: required: expected array',
      'mooring.yaml:1: services: expected at least one service',
    ]);
    assert.deepEqual(problems(''), ['mooring.yaml:1: the file is empty; expected listeners and services']);
    assert.match(problems('listeners: [\n')[0]!, /^mooring\.yaml:\d+: not valid YAML or JSON: /);
  });

  it('refuses a value that contains itself through a YAML alias, naming where, instead of recursing forever', () => {
    const contains = /this value contains itself \(a YAML alias such as \*a inside its own anchor &a\)/;
    const [list] = problems(`${base}x: &a [*a]\n`);
    assert.match(list!, /^mooring\.yaml:8: x\[0\]: /);
    assert.match(list!, contains);
    const [map] = problems(base.replace('servers:', 'balance: &b { algorithm: round-robin, again: *b }\n    servers:'));
    assert.match(map!, /^mooring\.yaml:5: services\[0\]\.balance\.again: /);
    assert.match(map!, contains);
    // One anchor used twice side by side is no loop.
    assert.deepEqual(problems(base.replace('- { id: b, url: "http://127.0.0.1:9002", weight: 3 }', '- &s { id: b, url: "http://127.0.0.1:9002" }\n  - name: copy\n    servers: [*s]')), []);
  });

  it('reports unreadable files and unreadable TLS files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-config-'));
    assert.throws(() => loadConfigFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot read the config file: no such file/);
    const file = join(dir, 'tls.yaml');
    writeFileSync(file, base.replace('service: shop }', 'service: shop, tls: { cert: cert.pem, key: key.pem } }'));
    assert.throws(() => loadConfigFile(file), (err: Error) => /tls\.yaml:2: listeners\[0\]\.tls\.cert: listener web: cannot read file \S+\/cert\.pem/.test(err.message));
    writeFileSync(join(dir, 'cert.pem'), 'x');
    writeFileSync(join(dir, 'key.pem'), 'x');
    assert.throws(() => loadConfigFile(file), (err: Error) => /tls\.yaml:2: listeners\[0\]\.tls\.cert: listener web: \S+cert\.pem is not a PEM file/.test(err.message));
    makeCertificate(dir);
    assert.equal(loadConfigFile(file).listeners[0]!.tls!.cert, join(dir, 'cert.pem'));
  });
});

describe('examples', () => {
  it("the README's small config is valid", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const yaml = /A small config:\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(yaml, 'the README shows a config');
    const config = parseConfigText(yaml, 'README.md', { MOORING_COOKIE_KEY: 'k'.repeat(44), MOORING_ADMIN_TOKEN: 't'.repeat(32) });
    assert.equal(config.services[0]!.health?.[0]!.path, '/health');
    assert.equal(config.admin?.address.port, 9901);
  });

  it('every file in examples/ is valid', () => {
    const examples = new URL('../../examples/', import.meta.url);
    const dir = mkdtempSync(join(tmpdir(), 'mooring-examples-'));
    makeCertificate(dir);
    const files = readdirSync(examples).filter((f) => /\.(ya?ml|json)$/.test(f));
    assert.ok(files.length >= 2);
    for (const name of files) {
      const config = loadConfigFile(new URL(name, examples).pathname, { MOORING_TLS_DIR: dir, MOORING_COOKIE_KEY: 'k'.repeat(44), MOORING_ADMIN_TOKEN: 't'.repeat(32) });
      assert.ok(config.services.length > 0, name);
    }
  });
});
