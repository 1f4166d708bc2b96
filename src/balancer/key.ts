// Where a key-based algorithm (maglev) reads its hash key: `client-ip`, `header:NAME`,
// `cookie:NAME` or `query:NAME`.
import { z } from 'zod';
import { findCookie } from '../core/cookie-value.ts';

export type KeySource =
  | { kind: 'client-ip' }
  | { kind: 'header' | 'cookie' | 'query'; name: string };

/** What a key is read from. */
export interface KeyRequest {
  readonly clientIp: string;
  /** The first value of a header, by lower-case name. */
  header(name: string): string | undefined;
  /** The request target, path and query. */
  readonly url: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const keySourceSchema = z.string({ error: 'expected client-ip, header:NAME, cookie:NAME or query:NAME (a string such as "header:X-User")' }).transform((text, ctx): KeySource => {
  if (text === 'client-ip') return { kind: 'client-ip' };
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (colon > 0 && (kind === 'header' || kind === 'cookie' || kind === 'query') && TOKEN.test(name)) {
    return { kind, name: kind === 'header' ? name.toLowerCase() : name };
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected client-ip, header:NAME, cookie:NAME or query:NAME, got "${text}"`,
  });
  return z.NEVER;
});

export function readKey(source: KeySource, req: KeyRequest): string | undefined {
  switch (source.kind) {
    case 'client-ip':
      return req.clientIp;
    case 'header':
      return req.header(source.name) || undefined;
    case 'cookie':
      return findCookie(req.header('cookie'), source.name) || undefined;
    case 'query':
      return queryValue(req.url, source.name);
  }
}

function queryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const value = new URLSearchParams(url.slice(q + 1)).get(name);
  return value || undefined;
}
