// Server-side keyed persistence, for clients without cookies: method client-ip (the masked client
// address), method header (a header such as X-Session-Id or Mcp-Session-Id, optionally learned from
// the server's response) and method query (a query parameter).
import { maskedIp } from './client-key.ts';
import { SessionTable } from './session-table.ts';
import type { PersistenceConfig } from './schema.ts';
import type { Commit, Identity, PersistRequest, PersistenceMethod, SessionView } from './types.ts';

type KeyOf = (req: PersistRequest) => string | undefined;

export class KeyedPersistence implements PersistenceMethod {
  readonly ownCookie = undefined;

  constructor(
    private readonly keyOf: KeyOf,
    private readonly table: SessionTable,
    /** For learnFromResponse: the lower-cased response header that carries a new key. */
    private readonly learnHeader?: string,
  ) {}

  identify(req: PersistRequest): Identity {
    const key = this.keyOf(req);
    if (key === undefined) return { status: 'none' };
    const found = this.table.find(key, req.now);
    if (typeof found === 'object') return { status: 'found', serverId: found.server, detail: key };
    return { status: found ?? 'none', detail: key };
  }

  commit(c: Commit): void {
    const key = (c.identity.detail as string | undefined) ?? this.learned(c.response);
    if (key === undefined) return;
    const entry = this.table.find(key, c.req.now);
    if (typeof entry === 'object' && entry.server === c.server.id) this.table.touch(key, entry, c.req.now);
    else this.table.bind(key, c.server.id, c.req.now);
  }

  private learned(response: readonly string[]): string | undefined {
    if (this.learnHeader === undefined) return undefined;
    for (let i = 0; i < response.length; i += 2) {
      if (response[i]!.toLowerCase() === this.learnHeader) return response[i + 1] || undefined;
    }
    return undefined;
  }

  sessionsOn(serverId: string): number {
    return this.table.sessionsOn(serverId);
  }

  sweep(now: number): void {
    this.table.sweep(now);
  }

  listSessions(server: string | undefined, limit: number, now: number): SessionView[] {
    return this.table.sample(server, limit, now);
  }

  endSession(key: string): boolean {
    return this.table.delete(key) !== undefined;
  }
}

export function clientIpPersistence(config: PersistenceConfig): KeyedPersistence {
  const { ipv4Prefix, ipv6Prefix, idleTimeout, maxEntries } = config.clientIp;
  return new KeyedPersistence((req) => maskedIp(req.clientIp, ipv4Prefix, ipv6Prefix), new SessionTable(maxEntries, idleTimeout));
}

export function headerPersistence(config: PersistenceConfig): KeyedPersistence {
  const name = config.header!.toLowerCase();
  const keyOf: KeyOf = (req) => req.header(name) || undefined;
  const table = new SessionTable(config.table.maxEntries, config.table.idleTimeout);
  return new KeyedPersistence(keyOf, table, config.learnFromResponse ? name : undefined);
}

export function queryPersistence(config: PersistenceConfig): KeyedPersistence {
  const name = config.query!;
  const keyOf: KeyOf = (req) => {
    const q = req.url.indexOf('?');
    return q < 0 ? undefined : new URLSearchParams(req.url.slice(q + 1)).get(name) || undefined;
  };
  return new KeyedPersistence(keyOf, new SessionTable(config.table.maxEntries, config.table.idleTimeout));
}

