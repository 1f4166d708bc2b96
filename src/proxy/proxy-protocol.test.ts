// The PROXY header parser, table-driven: v1 and v2 (IPv4, IPv6, LOCAL, UNKNOWN, TLVs), headers cut
// anywhere (read more), and malformed ones refused with a reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyHeader, type ProxyHeader } from './proxy-protocol.ts';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: command (1 PROXY, 0 LOCAL), family/transport byte, address bytes, optional TLV bytes. */
function v2(command: number, famProto: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = famProto;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}

const ipv4Body = Buffer.from([203, 0, 113, 7, 10, 0, 0, 1, 0x30, 0x39, 0x00, 0x50]); // 203.0.113.7:12345 → 10.0.0.1:80
const ipv6Body = Buffer.concat([Buffer.from('20010db8000000000000000000000042', 'hex'), Buffer.alloc(16), Buffer.from([0x01, 0xbb, 0x00, 0x50])]);
const tlv = Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63]); // a NOOP TLV

const header = (ip: string | undefined, port: number, length: number): ProxyHeader => ({ kind: 'header', length, client: ip === undefined ? undefined : { ip, port } });

describe('PROXY protocol header', () => {
  const cases: [string, Buffer, ProxyHeader | string][] = [
    ['v1 TCP4', Buffer.from('PROXY TCP4 198.51.100.9 10.0.0.1 5555 80\r\nGET /'), header('198.51.100.9', 5555, 42)],
    ['v1 TCP6', Buffer.from('PROXY TCP6 2001:db8::9 2001:db8::1 5555 443\r\n'), header('2001:db8::9', 5555, 45)],
    ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n'), header(undefined, 0, 15)],
    ['v1 cut short', Buffer.from('PROXY TCP4 198.51.1'), { kind: 'more' }],
    ['v1 prefix cut short', Buffer.from('PRO'), { kind: 'more' }],
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\n'), { kind: 'none' }],
    ['plain HTTP that starts like it', Buffer.from('PUT / HTTP/1.1\r\n'), { kind: 'none' }],
    ['v1 bad address', Buffer.from('PROXY TCP4 198.51.100.999 10.0.0.1 5555 80\r\n'), 'addresses are not TCP4'],
    ['v1 family mismatch', Buffer.from('PROXY TCP4 2001:db8::9 10.0.0.1 5555 80\r\n'), 'addresses are not TCP4'],
    ['v1 bad port', Buffer.from('PROXY TCP4 198.51.100.9 10.0.0.1 65536 80\r\n'), 'ports must be'],
    ['v1 port with a sign', Buffer.from('PROXY TCP4 198.51.100.9 10.0.0.1 +55 80\r\n'), 'ports must be'],
    ['v1 unknown protocol', Buffer.from('PROXY UDP4 198.51.100.9 10.0.0.1 1 2\r\n'), 'unknown protocol'],
    ['v1 missing fields', Buffer.from('PROXY TCP4 198.51.100.9\r\n'), 'expected PROXY TCP4'],
    ['v1 no CRLF in 107 bytes', Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`), 'longer than 107'],
    ['v2 IPv4', Buffer.concat([v2(1, 0x11, ipv4Body), Buffer.from('GET')]), header('203.0.113.7', 12345, 28)],
    ['v2 IPv4 with a TLV', v2(1, 0x11, Buffer.concat([ipv4Body, tlv])), header('203.0.113.7', 12345, 34)],
    ['v2 IPv6', v2(1, 0x21, ipv6Body), header('2001:db8::42', 443, 52)],
    ['v2 LOCAL', v2(0, 0x00, Buffer.alloc(0)), header(undefined, 0, 16)],
    ['v2 signature cut short', SIG.subarray(0, 7), { kind: 'more' }],
    ['v2 addresses cut short', v2(1, 0x11, ipv4Body).subarray(0, 20), { kind: 'more' }],
    ['v2 IPv4 length too small', v2(1, 0x11, ipv4Body.subarray(0, 8)), 'IPv4 addresses cut short'],
    ['v2 version 1', Buffer.concat([SIG, Buffer.from([0x11, 0x11, 0, 0])]), 'unknown version'],
    ['v2 unknown command', Buffer.concat([SIG, Buffer.from([0x22, 0x11, 0, 0])]), 'unknown command'],
    ['v2 UDP', v2(1, 0x12, ipv4Body), 'not a stream'],
    ['v2 unix socket', v2(1, 0x31, Buffer.alloc(216)), 'unix sockets'],
    ['v2 huge length', Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]), 'more than 4096'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      const got = parseProxyHeader(input);
      if (typeof expected === 'string') {
        assert.equal(got.kind, 'bad');
        assert.match((got as { why: string }).why, new RegExp(expected.replace(/[+]/g, '\\+')));
      } else assert.deepEqual(got, expected);
    });
  }
});
