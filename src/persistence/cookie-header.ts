// Reading and writing cookies on the data path: one cookie out of a Cookie header (without parsing
// the rest), removing it, Set-Cookie lifetimes, and keeping responses that set cookies out of caches.
import { parseSetCookie } from 'cookie';
import { nextCookie } from '../core/cookie-value.ts';
export { findCookie } from '../core/cookie-value.ts';

/**
 * The Cookie header without the cookies named `name`: the same string when there is none,
 * undefined when nothing else is left. One scan, slicing around each match.
 */
export function withoutCookie(header: string, name: string): string | undefined {
  let out: string | undefined;
  let kept = 0; // start of the part not yet copied
  for (let span = nextCookie(header, name); span; span = nextCookie(header, name, span.end + 1)) {
    out = (out ?? '') + header.slice(kept, span.start);
    kept = span.end + 1;
  }
  if (out === undefined) return header;
  out += kept < header.length ? header.slice(kept) : '';
  const trimmed = out.replace(/^[\s;]+|[\s;]+$/g, '').replace(/;\s*;/g, ';');
  return trimmed === '' ? undefined : trimmed;
}

export interface AppCookie {
  readonly value: string;
  /** Absolute expiry in ms since the epoch; 0 for a browser-session cookie. */
  readonly expiresAt: number;
  /** The application removed its cookie (Max-Age <= 0 or Expires in the past). */
  readonly cleared: boolean;
  readonly maxAge: number | undefined;
  readonly expires: Date | undefined;
}

/** The application's own cookie among a response's Set-Cookie headers (the last one wins). */
export function findSetCookie(response: readonly string[], name: string, now: number): AppCookie | undefined {
  let found: AppCookie | undefined;
  for (let i = 0; i < response.length; i += 2) {
    if (response[i]!.length !== 10 || response[i]!.toLowerCase() !== 'set-cookie') continue;
    const value = response[i + 1]!;
    if (!value.startsWith(name) || value.charCodeAt(name.length) !== 61) continue;
    const parsed = parseSetCookie(value);
    const maxAge = parsed.maxAge;
    const expires = parsed.expires && !Number.isNaN(parsed.expires.getTime()) ? parsed.expires : undefined;
    const expiresAt = maxAge !== undefined ? now + maxAge * 1000 : expires ? expires.getTime() : 0;
    const cleared = (maxAge !== undefined && maxAge <= 0) || (maxAge === undefined && expires !== undefined && expires.getTime() <= now);
    found = { value: parsed.value ?? '', expiresAt, cleared, maxAge, expires };
  }
  return found;
}

/** Keeps a response that carries a personal Set-Cookie out of shared caches. */
export function keepPrivate(response: string[], mode: 'private' | 'no-cache-set-cookie'): void {
  const directive = mode === 'private' ? 'private' : 'no-cache="Set-Cookie"';
  for (let i = 0; i < response.length; i += 2) {
    if (response[i]!.toLowerCase() !== 'cache-control') continue;
    const value = response[i + 1]!;
    if (/\b(private|no-store)\b/i.test(value) || value.includes(directive)) return;
    response[i + 1] = /\bpublic\b/i.test(value) && mode === 'private' ? value.replace(/\bpublic\b/i, 'private') : `${value}, ${directive}`;
    return;
  }
  response.push('cache-control', directive);
}
