// Where a key-based algorithm (maglev) reads its hash key: `client-ip`, `header:NAME`,
// `cookie:NAME` or `query:NAME`.
import { z } from 'zod';

export type KeySource =
  | { kind: 'client-ip' }
  | { kind: 'header' | 'cookie' | 'query'; name: string };

/** What a key is read from; built by the proxy once per request, only when a key is needed. */
export interface KeyRequest {
  readonly clientIp: string;
  /** Lower-cased header name → value(s), as node:http gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request target, path and query. */
  readonly url: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const keySourceSchema = z.string().transform((text, ctx): KeySource => {
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
    case 'header': {
      const value = req.headers[source.name];
      return Array.isArray(value) ? value[0] : value || undefined;
    }
    case 'cookie':
      return cookieValue(req.headers['cookie'], source.name);
    case 'query':
      return queryValue(req.url, source.name);
  }
}

function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function queryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const value = new URLSearchParams(url.slice(q + 1)).get(name);
  return value || undefined;
}
