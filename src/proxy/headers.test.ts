// Header rewriting rules (table-driven, no sockets).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requestHead, responseHeaders } from './headers.ts';

const untrusted = { peerIp: '203.0.113.9', peerTrusted: false, proto: 'http' as const, localHost: '127.0.0.1:8080' };
const trustedPeer = { peerIp: '10.0.0.2', peerTrusted: true, proto: 'https' as const, localHost: '127.0.0.1:8443' };

function pairs(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}: ${flat[i + 1]}`);
  return out;
}

describe('requestHead', () => {
  it('drops hop-by-hop headers and those named in Connection, keeps Host and Content-Length', () => {
    const head = requestHead(
      ['Host', 'shop.example', 'Connection', 'keep-alive, X-Secret, close', 'Keep-Alive', 'timeout=5', 'X-Secret', 's', 'TE', 'trailers',
        'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Expect', '100-continue', 'Proxy-Connection', 'keep-alive', 'Content-Length', '5', 'Accept', '*/*'],
      untrusted,
    );
    assert.deepEqual(pairs(head.headers), [
      'Host: shop.example',
      'Content-Length: 5',
      'Accept: */*',
      'x-forwarded-for: 203.0.113.9',
      'x-forwarded-proto: http',
      'x-forwarded-host: shop.example',
      'via: 1.1 mooring',
    ]);
    assert.equal(head.contentLength, 5);
    assert.equal(head.chunked, true);
    assert.equal(head.hostCount, 1);
  });

  it('replaces forged X-Forwarded-* from untrusted peers', () => {
    const head = requestHead(['Host', 'h', 'X-Forwarded-For', '1.1.1.1', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil'], untrusted);
    assert.deepEqual(pairs(head.headers).slice(1), ['x-forwarded-for: 203.0.113.9', 'x-forwarded-proto: http', 'x-forwarded-host: h', 'via: 1.1 mooring']);
    assert.equal(head.forwardedFor, '1.1.1.1');
  });

  it('extends a trusted proxy chain and keeps its proto, host and Via', () => {
    const head = requestHead(
      ['Host', 'h', 'X-Forwarded-For', '198.51.100.1', 'x-forwarded-for', '10.9.9.9', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'public.example', 'Via', '1.1 edge'],
      trustedPeer,
    );
    assert.deepEqual(pairs(head.headers).slice(1), [
      'x-forwarded-for: 198.51.100.1, 10.9.9.9, 10.0.0.2',
      'x-forwarded-proto: https',
      'x-forwarded-host: public.example',
      'via: 1.1 edge, 1.1 mooring',
    ]);
  });

  it('counts Host headers and keeps the upgrade pair only when asked', () => {
    assert.equal(requestHead(['Host', 'a', 'Host', 'b'], untrusted).hostCount, 2);
    const ws = requestHead(['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], untrusted, true);
    assert.deepEqual(pairs(ws.headers).slice(-2), ['connection: upgrade', 'upgrade: websocket']);
    assert.ok(pairs(ws.headers).includes('Sec-WebSocket-Key: k'));
  });

  it('never lets Connection nominate Host, Content-Length or Cookie', () => {
    const head = requestHead(['Host', 'h', 'Connection', 'host, content-length, cookie', 'Content-Length', '0', 'Cookie', 'a=1'], untrusted);
    assert.deepEqual(pairs(head.headers).slice(0, 2), ['Host: h', 'Content-Length: 0']);
    assert.deepEqual(pairs(head.headers).at(-1), 'cookie: a=1');
  });

  it('joins several Cookie headers into one, placed last', () => {
    const head = requestHead(['Cookie', 'a=1', 'Host', 'h', 'cookie', 'b=2'], untrusted);
    assert.equal(head.cookie, 'a=1; b=2');
    assert.equal(head.cookieAt, head.headers.length - 2);
    assert.deepEqual(pairs(head.headers).at(-1), 'cookie: a=1; b=2');
  });
});

describe('responseHeaders', () => {
  it('drops hop-by-hop response headers and keeps repeated Set-Cookie', () => {
    const raw = ['Content-Type', 'text/plain', 'Connection', 'keep-alive, X-Internal', 'Keep-Alive', 'timeout=5', 'X-Internal', '1',
      'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'].map((s) => Buffer.from(s, 'latin1'));
    assert.deepEqual(pairs(responseHeaders(raw)!), ['Content-Type: text/plain', 'Set-Cookie: a=1', 'Set-Cookie: b=2']);
  });

  it('refuses a transfer coding other than chunked', () => {
    for (const te of ['gzip, chunked', 'chunked, gzip', 'identity']) {
      assert.equal(responseHeaders(['Transfer-Encoding', te].map((s) => Buffer.from(s))), undefined, te);
    }
    assert.ok(responseHeaders(['Transfer-Encoding', ' Chunked '].map((s) => Buffer.from(s))));
  });
});
