// One broken config per row and the exact message a user reads: what was expected, what was given,
// a guess at what was meant; one problem, one message; never zod's own wording.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from './load.ts';
import { configProblems } from './test-problems.ts';

const file = (service: string, top = '') => `listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop }
services:
  - name: shop
    servers:
      - { id: a, url: "http://127.0.0.1:9001" }
${service}
${top}`;

const problems = (text: string) => configProblems(text, 'm.yaml');

const KEY = 'keys: ["0123456789abcdef0123"]';

describe('config messages', () => {
  const rows: [string, string, string, string[]][] = [
    ['an algorithm misspelled', '    balance: { algorithm: roundrobin }', '', ['m.yaml:7: services[0].balance.algorithm: expected one of round-robin, weighted-round-robin, least-connections, least-response-time, two-random-choices, maglev; got "roundrobin"; did you mean "round-robin"?']],
    ['a method misspelled', '    persistence: { method: cookies }', '', ['m.yaml:7: services[0].persistence.method: expected one of none, cookie, app-cookie, client-ip, header, query; got "cookies"; did you mean "cookie"?']],
    ['a duration as a bare number', `    persistence: { method: cookie, ${KEY}, cookie: { maxAge: 300 } }`, '', ['m.yaml:7: services[0].persistence.cookie.maxAge: got the number 300; write a duration such as "300s" or "5m" or "300ms"']],
    ['a duration in words', '    slowStart: "5 sec"', '', ['m.yaml:7: services[0].slowStart: expected a duration such as 250ms, 3s, 5m, 1h, 7d or 1m30s, got "5 sec"; did you mean "5s"?']],
    ['a duration in capitals', '    drainDeadline: 10S', '', ['m.yaml:7: services[0].drainDeadline: expected a duration such as 250ms, 3s, 5m, 1h, 7d or 1m30s, got "10S"; did you mean "10s"?']],
    ['a prefix out of range', '    persistence: { method: client-ip, clientIp: { ipv4Prefix: 33 } }', '', ['m.yaml:7: services[0].persistence.clientIp.ipv4Prefix: got 33; expected 0 to 32']],
    ['workers: 0', '', 'workers: 0', ['m.yaml:8: workers: got 0; expected 1 to 64']],
    ['workers: a word', '', 'workers: many', ['m.yaml:8: workers: expected a whole number from 1 to 64, or auto (one per core); got the text "many"']],
    ['a server without url', '      - { id: b }', '', ['m.yaml:7: services[0].servers[1].url: required: expected the server\'s URL, e.g. url: "http://10.0.0.5:8080"']],
    ['an unset variable, once', '    persistence: { method: cookie, keys: ["${NOPE}"] }', '', ['m.yaml:7: services[0].persistence.keys[0]: environment variable NOPE is not set']],
    ['appCookie with method cookie', `    persistence: { method: cookie, ${KEY}, appCookie: JSESSIONID }`, '', ['m.yaml:7: services[0].persistence.appCookie: applies to method app-cookie, not cookie: remove it, or set method: app-cookie']],
    ['cookie options with method client-ip', '    persistence: { method: client-ip, cookie: { maxAge: 8h } }', '', ['m.yaml:7: services[0].persistence.cookie: applies to method cookie or app-cookie, not client-ip: remove it, or set method: cookie']],
    ['maxAge with method app-cookie', `    persistence: { method: app-cookie, appCookie: SID, ${KEY}, cookie: { maxAge: 8h } }`, '', ["m.yaml:7: services[0].persistence.cookie.maxAge: does not apply to method app-cookie: its sessions last as long as the application's own cookie"]],
    ['a list where a number goes', '    retries: [1]', '', ['m.yaml:7: services[0].retries: expected number; got a list']],
  ];
  for (const [name, service, top, want] of rows) {
    it(name, () => {
      const got = problems(file(service, top)).filter((line) => !/problems?$/.test(line));
      assert.deepEqual(got, want);
      for (const line of got) assert.doesNotMatch(line, /Invalid option|Invalid input|Too big|Too small/);
    });
  }

  it('sameSite is read in any case', () => {
    const config = parseConfigText(file(`    persistence: { method: cookie, ${KEY}, cookie: { sameSite: Lax } }`), 'm.yaml', {});
    assert.equal(config.services[0]!.persistence.cookie.sameSite, 'lax');
  });
});
