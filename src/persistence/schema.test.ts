// Persistence options: defaults and the rules that tie options together.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { persistenceSchema } from './schema.ts';

const KEY = 'k'.repeat(32);
function problems(input: unknown): string[] {
  const r = persistenceSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('persistence options', () => {
  it('defaults', () => {
    const p = persistenceSchema.parse({ method: 'cookie', keys: [KEY] });
    assert.deepEqual(p.cookie, { name: 'mooring', path: '/', secure: 'auto', httpOnly: true, sameSite: 'lax', passToServer: false, cacheControl: 'private' });
    assert.deepEqual(p.clientIp, { ipv4Prefix: 32, ipv6Prefix: 64, idleTimeout: 1_800_000, maxEntries: 1_000_000 });
    assert.equal(p.onOverload, 'redispatch');
    assert.equal(p.firstBurstWindow, 2000);
    assert.equal(persistenceSchema.parse({}).method, 'none');
  });

  it('each method names what it needs', () => {
    assert.deepEqual(problems({ method: 'cookie' }), ['keys: required for method cookie: at least one secret, e.g. "${MOORING_COOKIE_KEY}" set to the output of: mooring keygen (or openssl rand -base64 32)']);
    assert.match(problems({ method: 'app-cookie', keys: [KEY] })[0]!, /^appCookie: required for method app-cookie/);
    assert.match(problems({ method: 'header' })[0]!, /^header: required for method header/);
    assert.match(problems({ method: 'query' })[0]!, /^query: required for method query/);
    assert.deepEqual(problems({ method: 'client-ip' }), []);
  });

  it('rejects sameSite none without secure, short keys, and misplaced options', () => {
    assert.match(problems({ method: 'cookie', keys: [KEY], cookie: { sameSite: 'none' } })[0]!, /^cookie\.secure: must be true when sameSite is none/);
    assert.deepEqual(problems({ method: 'cookie', keys: [KEY], cookie: { sameSite: 'none', secure: true } }), []);
    assert.match(problems({ method: 'cookie', keys: ['short'] })[0]!, /^keys\.0: expected a secret of at least 16 characters/);
    assert.match(problems({ method: 'client-ip', learnFromResponse: true })[0]!, /^learnFromResponse: only applies to method header/);
    assert.match(problems({ method: 'app-cookie', keys: [KEY], appCookie: 'mooring' })[0]!, /^appCookie: must differ from cookie\.name/);
    assert.match(problems({ method: 'cookie', keys: [KEY], cookie: { nmae: 'x' } })[0]!, /^cookie: Unrecognized key/);
    assert.match(problems({ method: 'sticky' })[0]!, /^method: expected one of none, cookie, app-cookie, client-ip, header, query/);
  });
});
