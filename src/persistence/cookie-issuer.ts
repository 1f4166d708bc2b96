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

  constructor(
    private readonly config: PersistenceConfig,
    serverIds: readonly string[],
  ) {
    this.name = config.cookie.name;
    this.codec = new CookieCodec(config.keys, serverIds);
    this.idleS = config.cookie.idleTimeout === undefined ? undefined : config.cookie.idleTimeout / 1000;
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
    const value = this.codec.encode(fields);
    c.response.push('set-cookie', stringifySetCookie(this.name, value, { ...this.attributes(c.req), ...lifetime }));
    keepPrivate(c.response, this.config.cookie.cacheControl);
  }

  clear(c: Commit): void {
    c.response.push('set-cookie', stringifySetCookie(this.name, '', { ...this.attributes(c.req), maxAge: 0, expires: new Date(0) }));
    keepPrivate(c.response, this.config.cookie.cacheControl);
  }

  private attributes(req: PersistRequest) {
    const { path, domain, secure, httpOnly, sameSite } = this.config.cookie;
    return { path, domain, httpOnly, sameSite, secure: secure === 'auto' ? req.secure : secure };
  }
}
