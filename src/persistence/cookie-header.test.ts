// Cookie header helpers (table-driven).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findCookie, findSetCookie, keepPrivate, withoutCookie } from './cookie-header.ts';

describe('cookie header helpers', () => {
  const without: [string, string | undefined][] = [
    ['mooring=abc', undefined],
    ['a=1; mooring=abc; b=2', 'a=1; b=2'],
    ['mooring=abc; b=2', 'b=2'],
    ['a=1; mooring=abc', 'a=1'],
    ['a=1;mooring=abc;b=2', 'a=1;b=2'],
    ['mooring=x; a=1; mooring=y', 'a=1'],
    ['a=1; b=2', 'a=1; b=2'],
    ['mooringX=1; a=2', 'mooringX=1; a=2'],
    ['xmooring=1', 'xmooring=1'],
  ];
  for (const [header, want] of without) it(`withoutCookie(${header})`, () => assert.equal(withoutCookie(header, 'mooring'), want));

  it('findCookie finds exact names only', () => {
    assert.equal(findCookie('a=1; mooring=abc; b=2', 'mooring'), 'abc');
    assert.equal(findCookie('mooringX=1; mooring=2', 'mooring'), '2');
    assert.equal(findCookie('a=1', 'mooring'), undefined);
    assert.equal(findCookie(undefined, 'mooring'), undefined);
  });

  it('findSetCookie reads lifetimes and clearing', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const r = (v: string) => findSetCookie(['Set-Cookie', v], 'SID', now);
    assert.deepEqual(
      { ...r('SID=x; Max-Age=60') },
      { value: 'x', expiresAt: now + 60_000, cleared: false, maxAge: 60, expires: undefined },
    );
    assert.equal(r('SID=; Max-Age=0')?.cleared, true);
    assert.equal(r('SID=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT')?.cleared, true);
    assert.equal(r('SID=x')?.expiresAt, 0);
    assert.equal(r('OTHER=x'), undefined);
  });

  it('keepPrivate adds or tightens Cache-Control, never loosens it', () => {
    const apply = (headers: string[], mode: 'private' | 'no-cache-set-cookie' = 'private') => (keepPrivate(headers, mode), headers);
    assert.deepEqual(apply([]), ['cache-control', 'private']);
    assert.deepEqual(apply(['Cache-Control', 'max-age=60']), ['Cache-Control', 'max-age=60, private']);
    assert.deepEqual(apply(['Cache-Control', 'public, max-age=60']), ['Cache-Control', 'private, max-age=60']);
    assert.deepEqual(apply(['Cache-Control', 'no-store']), ['Cache-Control', 'no-store']);
    assert.deepEqual(apply(['cache-control', 'max-age=5'], 'no-cache-set-cookie'), ['cache-control', 'max-age=5, no-cache="Set-Cookie"']);
  });
});
