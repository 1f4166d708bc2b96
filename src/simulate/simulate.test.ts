// simulate's counts against a direct computation with the same balancer, and its rules for pinned
// sessions (cookies: only the removed server's sessions move; a drain or an addition moves none).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../config/load.ts';
import { balancerFactory } from '../balancer/registry.ts';
import { seededRandom, systemClock } from '../core/clock.ts';
import { makeServers, pickContext } from '../balancer/test-servers.ts';
import { main } from '../cli.ts';
import { simulate, SimulationError } from './simulate.ts';

const KEY = '0123456789abcdef0123';
const yaml = (balance: string, persistence: string, servers = ['a', 'b', 'c', 'd'], extra = '') => `listeners: [{ name: web, address: "127.0.0.1:8080", service: shop }]
services:
  - name: shop
    balance: ${balance}
    persistence: ${persistence}
    servers:
${servers.map((id, i) => `      - { id: ${id}, url: "http://127.0.0.1:${9001 + i}"${extra} }`).join('\n')}
`;
const service = (text: string) => parseConfigText(text, 'sim.yaml', {}).services[0]!;
const MAGLEV = '{ algorithm: maglev, key: "header:X-User" }';
const COOKIE = `{ method: cookie, keys: ["${KEY}"] }`;

describe('simulate', () => {
  it('maglev without persistence: the moved count is what the two tables say, about 1/N', () => {
    const sim = simulate(service(yaml(MAGLEV, '{ method: none }')), 20_000, { kind: 'remove', server: 'b' });
    // Direct: the same maglev over the four servers and over the three left, key by key.
    const factory = balancerFactory('maglev')!;
    const options = service(yaml(MAGLEV, '{ method: none }')).balance.options;
    const env = { random: seededRandom(1), clock: systemClock };
    const all = makeServers([1, 1, 1, 1]).map((s, i) => ({ ...s, id: 'abcd'[i]! }));
    const before = factory.build(all, options, env);
    const after = factory.build(all.filter((s) => s.id !== 'b'), options, env);
    let moved = 0;
    for (let i = 0; i < 20_000; i++) {
      const key = `session-${i}`;
      if (before.pick(pickContext(undefined, key))!.id !== after.pick(pickContext(undefined, key))!.id) moved++;
    }
    assert.equal(sim.moved, moved);
    assert.ok(Math.abs(sim.moved / 20_000 - 1 / 4) < 0.03, `moved ${sim.moved}`);
    assert.equal(sim.servers.find((s) => s.id === 'b')!.after, undefined);
    assert.equal(sim.servers.reduce((n, s) => n + (s.after ?? 0), 0), 20_000);
  });

  it('cookies: removing a server moves exactly its sessions, and the others keep theirs', () => {
    const sim = simulate(service(yaml('{ algorithm: round-robin }', COOKIE)), 10_000, { kind: 'remove', server: 'b' });
    const b = sim.servers.find((s) => s.id === 'b')!;
    assert.equal(b.before, 2500);
    assert.equal(sim.moved, b.before);
    for (const s of sim.servers.filter((x) => x.id !== 'b')) assert.ok(s.after! >= s.before && s.after! - s.before <= Math.ceil(2500 / 3));
    assert.equal(sim.servers.reduce((n, s) => n + (s.after ?? 0), 0), 10_000);
  });

  it('cookies: a drain or an added server moves nobody; new sessions avoid the drained one and reach the new one', () => {
    const svc = service(yaml('{ algorithm: round-robin }', COOKIE));
    const drained = simulate(svc, 4000, { kind: 'drain', server: 'c' });
    assert.equal(drained.moved, 0);
    assert.equal(drained.servers.find((s) => s.id === 'c')!.newShare, 0);
    assert.deepEqual(drained.servers.map((s) => s.after), drained.servers.map((s) => s.before));
    const added = simulate(svc, 4000, { kind: 'add', server: 'e' });
    assert.equal(added.moved, 0);
    assert.equal(added.servers.find((s) => s.id === 'e')!.before, 0);
    assert.equal(added.servers.find((s) => s.id === 'e')!.newShare, 0.2);
  });

  it('counts sessions that find no room under maxSessions', () => {
    const sim = simulate(service(yaml('{ algorithm: round-robin }', COOKIE, ['a', 'b'], ', maxSessions: 100')), 300, { kind: 'remove', server: 'a' });
    assert.deepEqual(sim.unplaced, { before: 100, after: 200 });
    assert.equal(sim.moved, 100);
  });

  it('names the server it cannot find, or one that already exists', () => {
    const svc = service(yaml('{ algorithm: round-robin }', COOKIE));
    assert.throws(() => simulate(svc, 10, { kind: 'remove', server: 'zz' }), (e: Error) => e instanceof SimulationError && /zz is not a server of it \(servers: a, b, c, d\)/.test(e.message));
    assert.throws(() => simulate(svc, 10, { kind: 'add', server: 'a' }), /already has a server a/);
  });

  it('the command prints the table, writes the plot, and explains usage mistakes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-sim-'));
    const file = join(dir, 'sim.yaml');
    (await import('node:fs')).writeFileSync(file, yaml('{ algorithm: round-robin }', COOKIE));
    const run = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await main(args, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
      return { code, out, err };
    };
    const plot = join(dir, 'plot.svg');
    const ok = await run(['simulate', '--config', file, '--sessions', '1000', '--remove', 'b', '--plot', plot]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^b\s+250\s+–\s+removed\s+–$/m);
    assert.match(ok.out, /moved: 250 of 1000 sessions \(25\.0%\)/);
    const svg = readFileSync(plot, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<title>b before: 250<\/title>/);
    assert.equal((await run(['simulate', '--config', file])).code, 2);
    assert.match((await run(['simulate', '--config', file, '--remove', 'a', '--drain', 'b'])).err, /exactly one of --remove ID, --add ID, --drain ID, got --remove and --drain/);
    assert.match((await run(['simulate', '--config', file, '--remove', 'a', '--sessions', 'many'])).err, /--sessions expects a whole number/);
    assert.match((await run(['start', '--config', file, '--remove', 'a'])).err, /--remove applies to simulate only/);
    const png = join(dir, 'plot.png');
    const wrongKind = await run(['simulate', '--config', file, '--remove', 'b', '--plot', png]);
    assert.equal(wrongKind.code, 2);
    assert.match(wrongKind.err, /--plot writes an SVG drawing: expected FILE\.svg, got ".*plot\.png"/);
    assert.equal(existsSync(png), false, 'no SVG written under a .png name');
    const missing = await run(['simulate', '--config', file, '--remove', 'q']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /--remove q: in service shop, q is not a server of it/);
  });
});
