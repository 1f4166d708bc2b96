// Mooring's own cookie, shared by the cookie and app-cookie methods: reading it off a request,
// deciding when to refresh it, and writing Set-Cookie with the configured attributes.
import { stringifySetCookie } from 'cookie';
import { CookieCodec, type CookieFields, type Decoded } from './cookie-codec.ts';
import { findCookie, keepPrivate } from './cookie-header.ts';
import type { PersistenceConfig } from './schema.ts';
import type { Commit, PersistRequest } from './types.ts';

export type CookieRead =
  | { status: 'none' }
  | { status: 'invalid' }
  | { status: 'expired-idle' | 'expired-life'; cookie: Decoded }
  | { status: 'found'; cookie: Decoded };

export interface Lifetime {
  readonly maxAge?: number | undefined;
  readonly expires?: Date | undefined;
}

export class CookieIssuer {
  readonly name: string;
  private readonly codec: CookieCodec;
  private readonly idleS: number | undefined;
  /** "; Domain=…; Path=/; HttpOnly; SameSite=Lax", without and with Secure: built once, validated by the cookie library. */
  private readonly suffix: { plain: string; secure: string };

  constructor(
    private readonly config: PersistenceConfig,
    serverIds: readonly string[],
  ) {
    this.name = config.cookie.name;
    this.codec = new CookieCodec(config.keys, serverIds);
    this.idleS = config.cookie.idleTimeout === undefined ? undefined : config.cookie.idleTimeout / 1000;
    const { path, domain, secure, httpOnly, sameSite } = config.cookie;
    const attributes = (on: boolean) => stringifySetCookie(this.name, '', { path, domain, httpOnly, sameSite, secure: secure === 'auto' ? on : secure }).slice(this.name.length + 1);
    this.suffix = { plain: attributes(false), secure: attributes(true) };
  }

  read(req: PersistRequest): CookieRead {
    const value = findCookie(req.cookie, this.name);
    if (value === undefined || value === '') return { status: 'none' };
    const cookie = this.codec.decode(value);
    if (!cookie) return { status: 'invalid' };
    const nowS = req.now / 1000;
    if (cookie.expiresAt !== 0 && nowS >= cookie.expiresAt) return { status: 'expired-life', cookie };
    if (this.idleS !== undefined && nowS - cookie.lastSeen >= this.idleS) return { status: 'expired-idle', cookie };
    return { status: 'found', cookie };
  }

  /**
   * Re-issue only when it matters: signed with an old key, or a good part (a quarter) of the idle
   * window has passed since the last-seen time it carries. Not on every response.
   */
  needsRefresh(cookie: Decoded, now: number): boolean {
    if (cookie.keyIndex !== 0) return true;
    return this.idleS !== undefined && now / 1000 - cookie.lastSeen >= this.idleS / 4;
  }

  issue(c: Commit, fields: CookieFields, lifetime: Lifetime): void {
    this.set(c, this.codec.encode(fields), lifetime);
  }

  clear(c: Commit): void {
    this.set(c, '', { maxAge: 0, expires: new Date(0) });
  }

  private set(c: Commit, value: string, { maxAge, expires }: Lifetime): void {
    const age = maxAge === undefined ? '' : `; Max-Age=${Math.floor(maxAge)}`;
    const until = expires === undefined ? '' : `; Expires=${expires.toUTCString()}`;
    const suffix = c.req.secure ? this.suffix.secure : this.suffix.plain;
    c.response.push('set-cookie', `${this.name}=${value}${age}${until}${suffix}`);
    keepPrivate(c.response, this.config.cookie.cacheControl);
  }
}
