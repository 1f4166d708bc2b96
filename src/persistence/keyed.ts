// Server-side keyed persistence, for clients without cookies: method client-ip (the masked client
// address), method header (a header such as X-Session-Id or Mcp-Session-Id, optionally learned from
// the server's response) and method query (a query parameter).
import { maskedIp } from './client-key.ts';
import { keepSession, type SessionStore } from '../state/session-store.ts';
import type { NewKeyBudget } from './new-key-budget.ts';
import type { PersistenceConfig } from './schema.ts';
import { cameBack, type Commit, type Identity, type PersistRequest, type PersistenceMethod, type SessionParts } from './types.ts';

type KeyOf = (req: PersistRequest) => string | undefined;

export class KeyedPersistence implements PersistenceMethod {
  readonly ownCookie = undefined;

  constructor(
    private readonly keyOf: KeyOf,
    private readonly store: SessionStore,
    /** For learnFromResponse: the lower-cased response header that carries a new key. */
    private readonly learnHeader?: string,
    /** Bounds the new keys one client address may bring (keys it makes up); undefined: the key is the address. */
    private readonly budget?: NewKeyBudget,
  ) {}

  identify(req: PersistRequest): Identity {
    const key = this.keyOf(req);
    if (key === undefined) return { status: 'none' };
    const found = this.store.find(key, req.now);
    if (typeof found === 'object') return { status: 'found', serverId: found.server, detail: key };
    if (found === undefined) return { status: 'none', detail: key, missed: key };
    return { status: found, detail: key };
  }

  commit(c: Commit): void {
    const brought = c.identity.detail as string | undefined;
    const key = brought ?? this.learned(c.response);
    if (key === undefined) return;
    // A key the client brought that starts a session counts toward its address's budget.
    if (brought !== undefined && c.identity.status !== 'found' && this.budget && !this.budget.take(c.req.clientIp, c.req.now)) return;
    keepSession(this.store, key, c.server.id, c.req.now, cameBack(c.identity));
  }

  private learned(response: readonly string[]): string | undefined {
    if (this.learnHeader === undefined) return undefined;
    for (let i = 0; i < response.length; i += 2) {
      if (response[i]!.toLowerCase() === this.learnHeader) return response[i + 1] || undefined;
    }
    return undefined;
  }

  endSession(key: string): boolean {
    return this.store.end(key) !== undefined;
  }
}

export function clientIpPersistence(config: PersistenceConfig, store: SessionStore): KeyedPersistence {
  const { ipv4Prefix, ipv6Prefix } = config.clientIp;
  return new KeyedPersistence((req) => maskedIp(req.clientIp, ipv4Prefix, ipv6Prefix), store);
}

export function headerPersistence(config: PersistenceConfig, parts: SessionParts): KeyedPersistence {
  const name = config.header!.toLowerCase();
  const keyOf: KeyOf = (req) => req.header(name) || undefined;
  return new KeyedPersistence(keyOf, parts.store, config.learnFromResponse ? name : undefined, parts.newKeys);
}

export function queryPersistence(config: PersistenceConfig, parts: SessionParts): KeyedPersistence {
  const name = config.query!;
  const keyOf: KeyOf = (req) => {
    const q = req.url.indexOf('?');
    return q < 0 ? undefined : new URLSearchParams(req.url.slice(q + 1)).get(name) || undefined;
  };
  return new KeyedPersistence(keyOf, parts.store, undefined, parts.newKeys);
}

