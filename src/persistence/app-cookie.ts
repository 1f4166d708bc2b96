// method: app-cookie — application-controlled persistence. Mooring's cookie follows the lifetime of
// the application's session cookie (set, refreshed and cleared with it). A learned mapping (keyed hash
// of the app cookie's value → server) routes clients that send only the app cookie; the value itself
// is never stored.
import { createHmac } from 'node:crypto';
import { CookieIssuer } from './cookie-issuer.ts';
import { findCookie, findSetCookie } from './cookie-header.ts';
import { newSessionId } from './session-id.ts';
import { keepSession, type SessionStore } from '../state/session-store.ts';
import type { PersistenceConfig } from './schema.ts';
import { cameBack, type Commit, type CookieExplanation, type Identity, type PersistRequest, type PersistenceMethod, type SessionParts } from './types.ts';

interface Detail {
  /** The app cookie's value on the request, if any. */
  readonly appValue?: string;
  readonly sessionId: string;
  readonly issuedAt: number;
  /** Absolute expiry in seconds (0: a browser-session cookie), as the app cookie's. */
  readonly expiresAt: number;
  /** Whether the request carried a valid Mooring cookie. */
  readonly viaCookie: boolean;
}

export class AppCookiePersistence implements PersistenceMethod {
  readonly ownCookie: string | undefined;
  private readonly issuer: CookieIssuer;
  /** Learned mappings: keyed hash of the app cookie's value → server. */
  private readonly table: SessionStore;
  private readonly appName: string;
  private readonly hashKeys: Buffer[];

  /** Ended sessions and logged-out app values (by their table key), kept by the runtime. */
  private readonly ended: SessionParts['ended'];
  private readonly idleMs: number;

  constructor(config: PersistenceConfig, serverIds: readonly string[], parts: SessionParts) {
    this.issuer = new CookieIssuer(config, serverIds, parts.ended);
    this.ended = parts.ended;
    this.idleMs = config.table.idleTimeout;
    this.ownCookie = config.cookie.passToServer ? undefined : config.cookie.name;
    this.table = parts.store;
    this.appName = config.appCookie!;
    this.hashKeys = config.keys.map((k) => createHmac('sha256', k).update('mooring/app-cookie').digest());
  }

  /** The table key for an app cookie value under key `i` (the first key binds, all look up). */
  private hash(value: string, i = 0): string {
    return createHmac('sha256', this.hashKeys[i]!).update(value).digest('base64url').slice(0, 22);
  }

  identify(req: PersistRequest): Identity {
    const sent = findCookie(req.cookie, this.appName) || undefined;
    // A value the application logged out is no session, whoever sends it again.
    const appValue = sent !== undefined && this.ended.has(this.hash(sent), req.now) ? undefined : sent;
    const read = this.issuer.read(req);
    const nowS = Math.floor(req.now / 1000);
    if (read.status === 'found') {
      const { cookie } = read;
      const detail: Detail = { appValue, sessionId: cookie.sessionId, issuedAt: cookie.issuedAt, expiresAt: cookie.expiresAt, viaCookie: true };
      return { status: 'found', serverId: cookie.serverId, detail };
    }
    const fresh: Detail = { appValue, sessionId: newSessionId(), issuedAt: nowS, expiresAt: 0, viaCookie: false };
    if (appValue === undefined) return { status: read.status, detail: fresh };
    let status: Identity['status'] = read.status;
    let seen = false;
    for (let i = 0; i < this.hashKeys.length; i++) {
      const found = this.table.find(this.hash(appValue, i), req.now);
      if (typeof found === 'object') {
        const detail: Detail = { ...fresh, expiresAt: Math.floor(found.expiresAt / 1000) };
        return { status: 'found', serverId: found.server, detail };
      }
      if (found !== undefined) {
        status = found;
        seen = true;
      }
    }
    // Bound under the first key: that is the one other instances would know.
    return seen ? { status, detail: fresh } : { status, detail: fresh, missed: this.hash(appValue) };
  }

  commit(c: Commit): void {
    const d = c.identity.detail as Detail;
    const { now } = c.req;
    const app = findSetCookie(c.response, this.appName, now);
    if (app?.cleared) {
      // The application ended its session: end ours with it, so that a client that kept the old
      // cookies and sends them again is neither pinned by them nor teaches the mapping again.
      if (d.appValue !== undefined) {
        this.forget(d.appValue);
        this.ended.end(this.hash(d.appValue), 0, now, this.idleMs);
      }
      if (d.viaCookie) this.issuer.endSession(d.sessionId, d.expiresAt * 1000, now);
      return this.issuer.clear(c);
    }
    if (app) {
      if (d.appValue !== undefined && d.appValue !== app.value) this.forget(d.appValue);
      this.table.bind(this.hash(app.value), c.server.id, now, { expiresAt: app.expiresAt, sessionId: d.sessionId, provisional: !cameBack(c.identity) });
      const expiresAt = Math.floor(app.expiresAt / 1000);
      return this.issue(c, d, expiresAt, { maxAge: app.maxAge, expires: app.expires });
    }
    // No session on either side yet (an ended one is replaced below, with a new session id).
    if (c.identity.status !== 'found' && c.identity.status !== 'ended') return;
    const moved = c.identity.serverId !== c.server.id;
    if (d.appValue !== undefined) keepSession(this.table, this.hash(d.appValue), c.server.id, now, cameBack(c.identity), { expiresAt: d.expiresAt * 1000, sessionId: d.sessionId });
    // A client routed by the mapping alone, or moved, gets its Mooring cookie (back).
    if (moved || !d.viaCookie) {
      const nowS = Math.floor(now / 1000);
      this.issue(c, d, d.expiresAt, d.expiresAt === 0 ? {} : { maxAge: Math.max(0, d.expiresAt - nowS) });
    }
  }

  private issue(c: Commit, d: Detail, expiresAt: number, lifetime: { maxAge?: number | undefined; expires?: Date | undefined }): void {
    const fields = { serverId: c.server.id, sessionId: d.sessionId, issuedAt: d.issuedAt, lastSeen: Math.floor(c.req.now / 1000), expiresAt };
    this.issuer.issue(c, fields, lifetime);
  }

  private forget(appValue: string): void {
    for (let i = 0; i < this.hashKeys.length; i++) this.table.end(this.hash(appValue, i));
  }

  endSession(key: string, now: number): boolean {
    const entry = this.table.end(key);
    if (!entry) return false;
    if (entry.sessionId !== undefined) this.issuer.endSession(entry.sessionId, entry.expiresAt, now);
    return true;
  }

  explainCookie(value: string, now: number): CookieExplanation {
    return this.issuer.explain(value, now);
  }

}
