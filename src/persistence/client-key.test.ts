// Client-IP masking (table-driven).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskedIp } from './client-key.ts';

describe('maskedIp', () => {
  const cases: [string, number, number, string][] = [
    ['10.1.2.3', 32, 64, '10.1.2.3'],
    ['10.1.2.3', 24, 64, '10.1.2.0/24'],
    ['10.1.2.3', 16, 64, '10.1.0.0/16'],
    ['10.1.2.3', 0, 64, '0.0.0.0/0'],
    ['255.255.255.255', 31, 64, '255.255.255.254/31'],
    ['2001:db8:1:2:3:4:5:6', 32, 64, '2001:db8:1:2:0:0:0:0/64'],
    ['2001:db8::1', 32, 64, '2001:db8:0:0:0:0:0:0/64'],
    ['2001:db8:abcd:12ff::1', 32, 56, '2001:db8:abcd:1200:0:0:0:0/56'],
    ['::1', 32, 128, '0:0:0:0:0:0:0:1/128'],
    ['::ffff:1.2.3.4', 32, 128, '0:0:0:0:0:ffff:102:304/128'],
    ['fe80::1:2', 32, 0, '0:0:0:0:0:0:0:0/0'],
  ];
  for (const [ip, v4, v6, want] of cases) it(`${ip} /${v4} /${v6}`, () => assert.equal(maskedIp(ip, v4, v6), want));
  it('two clients of one /64 share a key, another /64 does not', () => {
    assert.equal(maskedIp('2001:db8:0:1::a', 32, 64), maskedIp('2001:db8:0:1::b', 32, 64));
    assert.notEqual(maskedIp('2001:db8:0:1::a', 32, 64), maskedIp('2001:db8:0:2::a', 32, 64));
  });
});
