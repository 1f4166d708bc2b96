// Client address resolution through trusted proxies (table-driven, no sockets).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddress, normalizeIp } from './client-address.ts';
import { blockListOf } from '../config/fields.ts';

const trusted = blockListOf(['10.0.0.0/8', '2001:db8::/32', '127.0.0.1']);

describe('clientAddress', () => {
  const cases: [peer: string, xff: string | undefined, expected: string, why: string][] = [
    ['203.0.113.9', '1.2.3.4', '203.0.113.9', 'untrusted peer: its X-Forwarded-For is ignored'],
    ['10.1.1.1', undefined, '10.1.1.1', 'trusted peer without the header'],
    ['10.1.1.1', '198.51.100.7', '198.51.100.7', 'one trusted hop'],
    ['10.1.1.1', '6.6.6.6, 198.51.100.7, 10.2.2.2', '198.51.100.7', 'right-most untrusted entry wins over a forged left part'],
    ['10.1.1.1', '10.3.3.3, 10.2.2.2', '10.3.3.3', 'all trusted: the left-most'],
    ['10.1.1.1', 'not-an-ip, 10.2.2.2', '10.2.2.2', 'garbage stops the walk at the last trusted hop'],
    ['10.1.1.1', '198.51.100.7, garbage', '10.1.1.1', 'garbage right behind the peer: the peer'],
    ['10.1.1.1', '010.1.1.1', '10.1.1.1', 'octal-looking entries are not IPs'],
    ['10.1.1.1', '198.51.100.7:4711', '198.51.100.7', 'IPv4 with a port'],
    ['10.1.1.1', '[2001:db9::1]:443', '2001:db9::1', 'bracketed IPv6 with a port'],
    ['::ffff:10.1.1.1', '198.51.100.7', '198.51.100.7', 'IPv4-mapped peer counts as IPv4'],
    ['2001:db8::5', '2001:db9::1', '2001:db9::1', 'IPv6 trusted range'],
    ['127.0.0.1', ' 192.0.2.1 ', '192.0.2.1', 'spaces trimmed'],
  ];
  for (const [peer, xff, expected, why] of cases) {
    it(why, () => assert.equal(clientAddress(peer, xff, trusted), expected));
  }

  it('normalizes IPv4-mapped IPv6 only', () => {
    assert.equal(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(normalizeIp('::ffff:abcd'), '::ffff:abcd');
    assert.equal(normalizeIp('::1'), '::1');
  });
});
