// Mooring's own cookie, shared by the cookie and app-cookie methods: reading it off a request,
// deciding when to refresh it, and writing Set-Cookie with the configured attributes.
import { stringifySetCookie } from 'cookie';
import { CookieCodec, type CookieFields, type Decoded } from './cookie-codec.ts';
import { findCookie, keepPrivate } from './cookie-header.ts';
import type { PersistenceConfig } from './schema.ts';
import type { EndedSessions } from './ended-sessions.ts';
import type { Commit, CookieExplanation, PersistRequest } from './types.ts';

/** How long an ended session is remembered when its cookie has no idle timeout. */
const ENDED_KEEP_MS = 86_400_000;

export type CookieRead =
  | { status: 'none' }
  | { status: 'invalid' }
  | { status: 'ended'; cookie: Decoded }
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
  private readonly servers: ReadonlySet<string>;
  /** "; Domain=…; Path=/; HttpOnly; SameSite=Lax", without and with Secure: built once, validated by the cookie library. */
  private readonly suffix: { plain: string; secure: string };

  constructor(
    private readonly config: PersistenceConfig,
    serverIds: readonly string[],
    /** Sessions ended early (an operator, a logout): their cookies no longer pin. Kept by the runtime across reloads. */
    private readonly ended: EndedSessions,
  ) {
    this.name = config.cookie.name;
    this.codec = new CookieCodec(config.keys, serverIds);
    this.servers = new Set(serverIds);
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
    return { status: this.statusOf(cookie, req.now), cookie };
  }

  private statusOf(cookie: Decoded, now: number): 'found' | 'expired-life' | 'expired-idle' | 'ended' {
    const nowS = now / 1000;
    if (cookie.expiresAt !== 0 && nowS >= cookie.expiresAt) return 'expired-life';
    if (this.idleS !== undefined && nowS - cookie.lastSeen >= this.idleS) return 'expired-idle';
    if (this.ended.has(cookie.sessionId, now)) return 'ended';
    return 'found';
  }

  /** What a cookie value says, and whether it would pin its client now. */
  explain(value: string, now: number): CookieExplanation {
    const cookie = this.codec.decode(value);
    if (!cookie) return { valid: false, why: 'it does not verify with any configured key: not a Mooring cookie, altered, or signed with a key no longer in persistence.keys' };
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const fields = {
      server: cookie.serverId,
      ...(cookie.datacenter === undefined ? {} : { datacenter: cookie.datacenter }),
      session: cookie.sessionId,
      issued: iso(cookie.issuedAt),
      lastSeen: iso(cookie.lastSeen),
      expires: cookie.expiresAt === 0 ? null : iso(cookie.expiresAt),
      oldKey: cookie.keyIndex !== 0,
    };
    const status = this.statusOf(cookie, now);
    const why: Record<typeof status, string | undefined> = {
      found: this.servers.has(cookie.serverId) ? undefined : `server ${cookie.serverId} is no longer configured (its client moves on its next request)`,
      'expired-life': 'its lifetime (maxAge) is over',
      'expired-idle': 'it was idle longer than cookie.idleTimeout',
      ended: 'the session was ended (by an operator, or by the application clearing its own cookie)',
    };
    return why[status] === undefined ? { valid: true, ...fields } : { valid: false, why: why[status], ...fields };
  }

  /**
   * Re-issue only when it matters: signed with an old key, or a good part (a quarter) of the idle
   * window has passed since the last-seen time it carries. Not on every response.
   */
  needsRefresh(cookie: Decoded, now: number): boolean {
    if (cookie.keyIndex !== 0) return true;
    return this.idleS !== undefined && now / 1000 - cookie.lastSeen >= this.idleS / 4;
  }

  /**
   * Ends session `sessionId` (its absolute expiry `expiresAt` ms, 0: none): its cookie stops pinning
   * until it would have lapsed anyway (a day at most for a cookie with neither lifetime nor idle timeout).
   */
  endSession(sessionId: string, expiresAt: number, now: number): void {
    this.ended.end(sessionId, expiresAt, now, this.idleS === undefined ? ENDED_KEEP_MS : this.idleS * 1000);
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
