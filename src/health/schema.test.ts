// Health keys in a config file: defaults, and each mistake reported with its line and what was expected.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../config/load.ts';
import { configProblems } from '../config/test-problems.ts';

const file = (service: string, server = '') => `listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop }
services:
  - name: shop
${service}
    servers:
      - { id: a, url: "http://127.0.0.1:9001"${server} }
`;

const problems = (text: string) => configProblems(text, 'm.yaml');

describe('health config', () => {
  it('fills in defaults: one monitor becomes a list; passive on; no slow start or drain deadline', () => {
    const shop = parseConfigText(file('    health: { path: /health }'), 'm.yaml', {}).services[0]!;
    assert.equal(shop.health?.length, 1);
    const m = shop.health![0]!;
    assert.deepEqual([m.type, m.method, m.interval, m.timeout, m.rise, m.fall, m.assume, m.expect.status], ['http', 'GET', 2000, 1000, 2, 3, 'up', [[200, 399]]]);
    assert.equal(shop.monitorsRequired, 'most');
    assert.deepEqual(shop.passive, { consecutiveFailures: 5, failOn: ['connect', 'timeout'], ejectFor: 30_000, maxEjectFor: 300_000, maxEjectedPercent: 50 });
    assert.deepEqual([shop.slowStart, shop.drainDeadline, shop.drainRate], [0, 0, 100]);
    assert.deepEqual([shop.servers[0]!.state, shop.servers[0]!.backup, shop.servers[0]!.health], ['enabled', false, undefined]);
  });

  it('health: false on a server; passive: false on a service', () => {
    const shop = parseConfigText(file('    passive: false', ', health: false'), 'm.yaml', {}).services[0]!;
    assert.deepEqual([shop.passive, shop.servers[0]!.health], [false, false]);
  });

  it('reads body expectations as text or /regex/, and status ranges', () => {
    const [m1, m2] = parseConfigText(file('    health: [{ expect: { body: ok, status: [200, "300-302"] } }, { expect: { body: "/^up$/i" } }]'), 'm.yaml', {}).services[0]!.health!;
    assert.equal(m1!.expect.body, 'ok');
    assert.deepEqual(m1!.expect.status, [[200, 200], [300, 302]]);
    assert.ok(m2!.expect.body instanceof RegExp && m2!.expect.body.test('UP'));
  });

  const cases: [string, string, string, string][] = [
    ['http keys on a tcp monitor', '    health: { type: tcp, path: /x }', '', 'm.yaml:5: services[0].health.path: only applies to type http (a tcp monitor only connects)'],
    ['timeout above interval', '    health: { interval: 1s, timeout: 2s }', '', 'm.yaml:5: services[0].health.timeout: must not exceed interval (1000ms): a probe must end before the next begins'],
    ['a status that is not one', '    health: { expect: { status: ["200-600"] } }', '', 'm.yaml:5: services[0].health.expect.status[0]: expected a status such as 200 or a range such as "200-399", got "200-600"'],
    ['a bad regex', '    health: { expect: { body: "/(/" } }', '', 'm.yaml:5: services[0].health.expect.body: expected a valid /regular expression/: Invalid regular expression: /(/: Unterminated group'],
    ['monitorsRequired', '    monitorsRequired: half', '', 'm.yaml:5: services[0].monitorsRequired: expected one, most, all or a number of monitors'],
    ['failOn', '    passive: { failOn: [refused] }', '', 'm.yaml:5: services[0].passive.failOn[0]: expected one of connect, timeout, reset, bad-response, 5xx; got "refused"'],
    ['maxEjectFor below ejectFor', '    passive: { ejectFor: 10m }', '', 'm.yaml:5: services[0].passive.maxEjectFor: must be at least ejectFor'],
    ['a misspelled monitor key', '    health: [{ path: /h, intervall: 1s }]', '', 'm.yaml:5: services[0].health[0].intervall: unknown key (did you mean "interval"?)'],
    ['health that is not a monitor', '    health: 5', '', 'm.yaml:5: services[0].health: expected a monitor such as { path: /health } or a list of them, got 5'],
    ['passive: true', '    passive: true', '', 'm.yaml:5: services[0].passive: expected false or ejection settings such as { consecutiveFailures: 5 }, got true'],
    ['a server monitor', '    retries: 2', ', health: { type: udp }', 'm.yaml:7: services[0].servers[0].health.type: expected one of http, tcp; got "udp"'],
    ['state', '    retries: 2', ', state: paused', 'm.yaml:7: services[0].servers[0].state: expected one of enabled, draining, disabled; got "paused"'],
  ];
  for (const [name, service, server, want] of cases) {
    it(`reports: ${name}`, () => assert.deepEqual(problems(file(service, server)), [want]));
  }
});
