// Rules' regular expressions run in linear time: a pattern that backtracks exponentially in a
// backtracking engine, against a path built to trigger it, is answered at once and stalls nobody.
// Patterns that need backtracking (backreferences, lookaround) are refused with the reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from '../../src/app.ts';
import { parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { get, startBackend, type Backend } from '../helpers.ts';

describe('rules: regular expressions', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('site');
    const config = {
      listeners: [
        {
          name: 'web',
          address: '127.0.0.1:0',
          service: 'site',
          rules: [
            { match: { pathRegex: '^/(a+)+$' }, deny: { status: 403 } },
            { match: { header: { name: 'X-Evil', regex: '^(b|bb)+$' } }, deny: { status: 403 } },
          ],
        },
      ],
      services: [{ name: 'site', servers: [{ id: 'site', url: backend.url }] }],
    };
    app = await App.start(parseConfigObject(config), { logger: silentLogger });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('matches as before: a path or header the pattern matches is denied, others pass', async () => {
    assert.equal((await get(`${app.url()}/aaaa`)).status, 403);
    assert.equal((await get(`${app.url()}/abc`)).status, 200);
    assert.equal((await get(app.url(), { 'x-evil': 'bbbb' })).status, 403);
    assert.equal((await get(app.url(), { 'x-evil': 'bbbc' })).status, 200);
  });

  it('answers a path built to make ^/(a+)+$ backtrack at once, and serves others meanwhile', async () => {
    // 29 bytes: V8's backtracking engine took 8.2 s on it, the whole proxy stalled.
    const evil = `/${'a'.repeat(27)}b`;
    const started = performance.now();
    const [a, b] = await Promise.all([get(`${app.url()}${evil}`), get(`${app.url()}/other`)]);
    const took = performance.now() - started;
    assert.equal(a.status, 200, 'the evil path does not match, and is served');
    assert.equal(b.status, 200);
    assert.ok(took < 1000, `both answered in ${took.toFixed(0)} ms`);
    const header = await get(app.url(), { 'x-evil': `${'b'.repeat(40)}c` });
    assert.equal(header.status, 200);
  });

  it('refuses a pattern that needs backtracking, naming the rule and the reason', () => {
    const config = (pathRegex: string) => ({
      listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'site', rules: [{ match: { pathRegex }, deny: true }] }],
      services: [{ name: 'site', servers: [{ id: 'site', url: 'http://127.0.0.1:1' }] }],
    });
    assert.throws(() => parseConfigObject(config('^/(a)\\1$')), /listeners\[0\]\.rules\[0\]\.match\.pathRegex.*without backreferences or lookaround.*invalid escape sequence/s);
    assert.throws(() => parseConfigObject(config('^/(?=x)')), /pathRegex.*unsupported Perl syntax/s);
    assert.throws(() => parseConfigObject(config('^/(')), /pathRegex.*missing closing \)/s);
  });
});
