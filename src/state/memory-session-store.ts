// Sessions in this process's memory: key → server, with an idle timeout, an optional absolute
// expiry, a size bound (least recently used evicted first), and a live count per server. The Maps'
// insertion order is the recency order: a touch moves an entry to the end, so expired and evictable
// entries sit at the front. Provisional sessions (their client has not come back) live in a Map of
// their own: uncounted, ended sooner, and the first to go for room, so one-shot clients can neither
// fill a server nor push real sessions out. Where the store is the sessions' only home, the last
// entries evicted for room are remembered: a user who comes back is bound to the same server again.
import { provisionalMs, type BindTerms, type Found, type SessionEntry, type SessionStore, type SessionView, type StoreLimits } from './session-store.ts';

/** Re-ordering on every request costs two Map operations; once a second per entry is enough. */
const REORDER_AFTER_MS = 1000;
/** Entries evicted for room that are remembered (about 1.5 MB); older ones are forgotten first. */
export const MAX_EVICTED_REMEMBERED = 10_000;

export class MemorySessionStore implements SessionStore {
  /** Counted sessions, least recently seen first. */
  private readonly entries = new Map<string, SessionEntry>();
  /** Provisional sessions, least recently seen first. */
  private readonly provisional = new Map<string, SessionEntry>();
  private readonly perServer = new Map<string, number>();
  /** Evicted entries, oldest first; undefined for a cache of sessions kept elsewhere (which asks there instead). */
  private readonly evicted: Map<string, SessionEntry> | undefined;
  /** Entries evicted for room since start. */
  evictions = 0;

  constructor(
    public limits: StoreLimits,
    { rememberEvicted = true }: { readonly rememberEvicted?: boolean } = {},
  ) {
    this.evicted = rememberEvicted ? new Map() : undefined;
  }

  get size(): number {
    return this.entries.size + this.provisional.size;
  }

  find(key: string, now: number): Found {
    const entry = this.entries.get(key) ?? this.provisional.get(key);
    if (!entry) return this.restore(key, now);
    const expired = this.expiry(entry, now);
    if (!expired) return entry;
    this.end(key);
    // A provisional session that ended was never more than a guess: as if there had been none.
    return entry.provisional ? undefined : expired;
  }

  touch(key: string, entry: SessionEntry, now: number): void {
    const stale = now - entry.lastSeen > REORDER_AFTER_MS;
    entry.lastSeen = now;
    const map = entry.provisional ? this.provisional : this.entries;
    if (stale && map.get(key) === entry) {
      map.delete(key);
      map.set(key, entry);
    }
  }

  confirm(key: string, entry: SessionEntry, now: number): void {
    if (!entry.provisional || this.provisional.get(key) !== entry) return this.touch(key, entry, now);
    this.provisional.delete(key);
    entry.provisional = false;
    entry.lastSeen = now;
    this.entries.set(key, entry);
    this.count(entry.server, 1);
  }

  bind(key: string, server: string, now: number, { expiresAt = 0, sessionId, provisional = false }: BindTerms = {}): SessionEntry {
    this.end(key);
    const entry: SessionEntry = sessionId === undefined ? { server, lastSeen: now, expiresAt, provisional } : { server, lastSeen: now, expiresAt, sessionId, provisional };
    if (provisional) this.provisional.set(key, entry);
    else {
      this.entries.set(key, entry);
      this.count(server, 1);
    }
    this.evict(provisional);
    return entry;
  }

  end(key: string): SessionEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      const provisional = this.provisional.get(key);
      if (provisional) {
        this.provisional.delete(key);
        return provisional;
      }
      // An operator's end (or a logout) reaches a remembered entry too.
      const remembered = this.evicted?.get(key);
      this.evicted?.delete(key);
      return remembered;
    }
    this.entries.delete(key);
    this.count(entry.server, -1);
    return entry;
  }

  list(server: string | undefined, limit: number, now: number): SessionView[] {
    const out: SessionView[] = [];
    for (const [key, entry] of this.entries) {
      if (out.length >= limit) break;
      if ((server !== undefined && entry.server !== server) || this.expiry(entry, now)) continue;
      out.push({ key, server: entry.server, lastSeen: entry.lastSeen, expiresAt: entry.expiresAt === 0 ? undefined : entry.expiresAt });
    }
    return out;
  }

  /** Every live session, provisional ones too (what is written back or handed to a new worker). */
  *live(now: number): Generator<[string, SessionEntry]> {
    for (const map of [this.entries, this.provisional]) {
      for (const [key, entry] of map) if (!this.expiry(entry, now)) yield [key, entry];
    }
  }

  countOn(server: string): number {
    return this.perServer.get(server) ?? 0;
  }

  sweep(now: number): number {
    return this.sweepMap(this.provisional, this.provisionalMs, now) + this.sweepMap(this.entries, this.limits.idleMs, now);
  }

  private sweepMap(map: Map<string, SessionEntry>, idleMs: number, now: number): number {
    let removed = 0;
    for (const [key, entry] of map) {
      if (!this.expiry(entry, now)) {
        // Entries behind this one were seen more recently (give or take REORDER_AFTER_MS).
        if (now - entry.lastSeen < idleMs - REORDER_AFTER_MS) break;
        continue;
      }
      this.end(key);
      removed++;
    }
    return removed;
  }

  private get provisionalMs(): number {
    return provisionalMs(this.limits);
  }

  configure(limits: StoreLimits): void {
    this.limits = limits;
    this.evict();
  }

  private evict(provisionalJustBound = false): void {
    // Provisional sessions go first, and are not remembered: their clients may never come back.
    // The one just bound stays (its client must get the chance to come back), so a full table
    // makes room from its least recently seen counted session.
    const keep = provisionalJustBound ? 1 : 0;
    while (this.size > this.limits.maxEntries && this.provisional.size > keep) this.provisional.delete(this.provisional.keys().next().value!);
    while (this.size > this.limits.maxEntries && this.entries.size > 0) {
      const key = this.entries.keys().next().value!;
      const entry = this.end(key)!;
      this.evictions++;
      if (!this.evicted) continue;
      this.evicted.set(key, entry);
      if (this.evicted.size > MAX_EVICTED_REMEMBERED) this.evicted.delete(this.evicted.keys().next().value!);
    }
  }

  /** An entry evicted for room, bound again to its server (as it would have been had there been room); undefined: none. */
  private restore(key: string, now: number): Found {
    const entry = this.evicted?.get(key);
    if (!entry) return undefined;
    this.evicted!.delete(key);
    const expired = this.expiry(entry, now);
    if (expired) return expired;
    return this.bind(key, entry.server, entry.lastSeen, entry);
  }

  private expiry(entry: SessionEntry, now: number): 'expired-idle' | 'expired-life' | undefined {
    if (entry.expiresAt !== 0 && now >= entry.expiresAt) return 'expired-life';
    if (now - entry.lastSeen >= (entry.provisional ? this.provisionalMs : this.limits.idleMs)) return 'expired-idle';
    return undefined;
  }

  private count(server: string, delta: number): void {
    this.perServer.set(server, (this.perServer.get(server) ?? 0) + delta);
  }
}
