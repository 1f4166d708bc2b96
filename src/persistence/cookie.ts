// method: cookie — duration-based persistence. Mooring issues its own signed cookie naming the
// server, with an absolute lifetime (maxAge) and a sliding idle timeout; sessions are also counted
// server-side (by session id) so maxSessions can be enforced.
import { DEFAULT_DATACENTER, type Server } from '../core/server.ts';
import { CookieIssuer } from './cookie-issuer.ts';
import { FirstBurst } from './first-burst.ts';
import { newSessionId } from './session-id.ts';
import { keepSession } from '../state/session-store.ts';
import type { PersistenceConfig } from './schema.ts';
import { cameBack, type Commit, type CookieExplanation, type Identity, type PersistRequest, type PersistenceMethod, type SessionParts } from './types.ts';
import type { Decoded } from './cookie-codec.ts';

interface Detail {
  readonly sessionId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly cookie?: Decoded;
  /** Set when this request may start a burst others join. */
  readonly burstKey?: string;
}

export class CookiePersistence implements PersistenceMethod {
  readonly ownCookie: string | undefined;
  private readonly issuer: CookieIssuer;
  private readonly burst: FirstBurst;
  private readonly maxAgeS: number | undefined;

  constructor(
    config: PersistenceConfig,
    serverIds: readonly string[],
    /** Sessions by session id: counted for maxSessions and drains, listed and ended by operators. */
    private readonly parts: SessionParts,
  ) {
    this.issuer = new CookieIssuer(config, serverIds, parts.ended);
    this.ownCookie = config.cookie.passToServer ? undefined : config.cookie.name;
    this.burst = new FirstBurst(config.firstBurstWindow, parts.bursts);
    this.maxAgeS = config.cookie.maxAge === undefined ? undefined : Math.round(config.cookie.maxAge / 1000);
  }

  identify(req: PersistRequest): Identity {
    const read = this.issuer.read(req);
    if (read.status === 'found') {
      const { cookie } = read;
      return { status: 'found', serverId: cookie.serverId, ...(cookie.datacenter === undefined ? {} : { datacenter: cookie.datacenter }), detail: { sessionId: cookie.sessionId, issuedAt: cookie.issuedAt, expiresAt: cookie.expiresAt, cookie } };
    }
    const ua = req.header('user-agent');
    const burstKey = FirstBurst.key(req.clientIp, ua);
    const burst = read.status === 'none' ? this.burst.find(burstKey, req.now) : undefined;
    if (burst) return { status: 'found', serverId: burst.serverId, joinedBurst: true, detail: burst satisfies Detail };
    const issuedAt = Math.floor(req.now / 1000);
    const detail: Detail = {
      sessionId: newSessionId(),
      issuedAt,
      expiresAt: this.maxAgeS === undefined ? 0 : issuedAt + this.maxAgeS,
      ...(read.status === 'none' ? { burstKey } : {}),
    };
    // Another process may have begun this client's burst: worth one bounded look (Routing.lookup).
    if (read.status === 'none' && this.burst.sharing) return { status: read.status, detail, missedBurst: FirstBurst.sharedKey(burstKey) };
    return { status: read.status, detail };
  }

  routed(identity: Identity, req: PersistRequest, server: Server): void {
    const d = identity.detail as Detail;
    if (d.burstKey === undefined) return;
    this.burst.remember(d.burstKey, { serverId: server.id, sessionId: d.sessionId, issuedAt: d.issuedAt, expiresAt: d.expiresAt, at: req.now });
  }

  commit(c: Commit): void {
    const d = c.identity.detail as Detail;
    const { now } = c.req;
    if (d.burstKey !== undefined) this.burst.close(d.burstKey);
    const stays = c.identity.serverId === c.server.id;
    keepSession(this.parts.store, d.sessionId, c.server.id, now, cameBack(c.identity), { expiresAt: d.expiresAt * 1000 });
    // The cookie records the data center too, when the service has named ones.
    const datacenter = c.server.datacenter === DEFAULT_DATACENTER ? undefined : c.server.datacenter;
    if (stays && d.cookie && d.cookie.datacenter === datacenter && !this.issuer.needsRefresh(d.cookie, now)) return;
    const nowS = Math.floor(now / 1000);
    const fields = { serverId: c.server.id, sessionId: d.sessionId, issuedAt: d.issuedAt, lastSeen: nowS, expiresAt: d.expiresAt, ...(datacenter === undefined ? {} : { datacenter }) };
    this.issuer.issue(c, fields, d.expiresAt === 0 ? {} : { maxAge: Math.max(0, d.expiresAt - nowS) });
  }

  sweep(now: number): void {
    this.burst.sweep(now);
  }

  endSession(key: string, now: number): boolean {
    const entry = this.parts.store.end(key);
    if (!entry) return false;
    this.issuer.endSession(key, entry.expiresAt, now);
    return true;
  }

  explainCookie(value: string, now: number): CookieExplanation {
    return this.issuer.explain(value, now);
  }

}
