// The cookie codec: round trips, opacity, tampering, truncation, key rotation, removed servers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CookieCodec } from './cookie-codec.ts';
import { newSessionId } from './session-id.ts';

const KEY = 'k1-0123456789abcdef0123456789abcdef';
const OLD = 'k0-fedcba9876543210fedcba9876543210';
const fields = { serverId: 'app-server-7', sessionId: newSessionId(), issuedAt: 1_800_000_000, lastSeen: 1_800_000_100, expiresAt: 1_800_028_800 };

describe('cookie codec', () => {
  it('round-trips every field', () => {
    const codec = new CookieCodec([KEY], ['app-server-7']);
    const value = codec.encode(fields);
    assert.match(value, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(codec.decode(value), { ...fields, keyIndex: 0 });
  });

  it('hides the server id: not in the value, not in its decoding without the key', () => {
    const codec = new CookieCodec([KEY], ['app-server-7']);
    const value = codec.encode(fields);
    const bytes = Buffer.from(value, 'base64url').toString('latin1');
    assert.ok(!bytes.includes('app-server-7') && !value.includes('app-server-7'));
    assert.equal(new CookieCodec(['another-key-0123456789abcdef0123'], ['app-server-7']).decode(value), undefined);
  });

  it('version 2 carries the data center, hidden like the server; version 1 cookies still decode without one', () => {
    const codec = new CookieCodec([KEY], ['app-server-7']);
    const v1 = codec.encode(fields);
    const v2 = codec.encode({ ...fields, datacenter: 'eu-west' });
    assert.equal(Buffer.from(v1, 'base64url')[0], 1, 'no data center: still version 1, no longer');
    assert.equal(Buffer.from(v2, 'base64url')[0], 2);
    assert.deepEqual(codec.decode(v2), { ...fields, datacenter: 'eu-west', keyIndex: 0 });
    assert.deepEqual(new CookieCodec([KEY], ['app-server-7']).decode(v1), { ...fields, keyIndex: 0 });
    assert.ok(!Buffer.from(v2, 'base64url').toString('latin1').includes('eu-west'));
  });

  for (const datacenter of [undefined, 'eu-west']) it(`rejects every single-byte change, truncation and extension (${datacenter ? 'version 2' : 'version 1'})`, () => {
    const codec = new CookieCodec([KEY], ['app-server-7']);
    const body = Buffer.from(codec.encode({ ...fields, datacenter }), 'base64url');
    for (let i = 0; i < body.length; i++) {
      const forged = Buffer.from(body);
      forged[i] = forged[i]! ^ 0x01;
      assert.equal(codec.decode(forged.toString('base64url')), undefined, `byte ${i}`);
    }
    for (let n = 0; n < body.length; n++) assert.equal(codec.decode(body.subarray(0, n).toString('base64url')), undefined, `length ${n}`);
    assert.equal(codec.decode(Buffer.concat([body, Buffer.from([0])]).toString('base64url')), undefined);
    for (const junk of ['', 'x', '!!!!', 'a'.repeat(5000), '%00%00']) assert.equal(codec.decode(junk), undefined);
  });

  it('rotation: an old key still verifies (keyIndex 1), the new key signs', () => {
    const before = new CookieCodec([OLD], ['a', 'b']);
    const after = new CookieCodec([KEY, OLD], ['a', 'b']);
    const oldValue = before.encode({ ...fields, serverId: 'b' });
    assert.equal(after.decode(oldValue)?.serverId, 'b');
    assert.equal(after.decode(oldValue)?.keyIndex, 1);
    const newValue = after.encode({ ...fields, serverId: 'b' });
    assert.equal(after.decode(newValue)?.keyIndex, 0);
    assert.equal(before.decode(newValue), undefined, 'the retired key alone cannot verify new cookies');
  });

  it('a cookie for a server that was removed still names it', () => {
    const value = new CookieCodec([KEY], ['a', 'gone']).encode({ ...fields, serverId: 'gone' });
    assert.equal(new CookieCodec([KEY], ['a']).decode(value)?.serverId, 'gone');
  });

  it('the same server under the same key gives the same token, sessions differ', () => {
    const codec = new CookieCodec([KEY], ['a']);
    const one = codec.encode({ ...fields, serverId: 'a', sessionId: newSessionId() });
    const two = codec.encode({ ...fields, serverId: 'a', sessionId: newSessionId() });
    assert.notEqual(one, two);
    assert.notEqual(codec.decode(one)?.sessionId, codec.decode(two)?.sessionId);
  });
});
