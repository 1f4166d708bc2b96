// Sessions in this process's memory: key → server, with an idle timeout, an optional absolute
// expiry, a size bound (least recently used evicted first), and a live count per server. The Map's
// insertion order is the recency order: a touch moves an entry to the end, so expired and evictable
// entries sit at the front. Where the store is the sessions' only home, the last entries evicted
// for room are remembered: a user who comes back is bound to the same server again, not moved.
import type { Found, SessionEntry, SessionStore, SessionView, StoreLimits } from './session-store.ts';

/** Re-ordering on every request costs two Map operations; once a second per entry is enough. */
const REORDER_AFTER_MS = 1000;
/** Entries evicted for room that are remembered (about 1.5 MB); older ones are forgotten first. */
export const MAX_EVICTED_REMEMBERED = 10_000;

export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, SessionEntry>();
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
    return this.entries.size;
  }

  find(key: string, now: number): Found {
    const entry = this.entries.get(key);
    if (!entry) return this.restore(key, now);
    const expired = this.expiry(entry, now);
    if (!expired) return entry;
    this.end(key);
    return expired;
  }

  touch(key: string, entry: SessionEntry, now: number): void {
    const stale = now - entry.lastSeen > REORDER_AFTER_MS;
    entry.lastSeen = now;
    if (stale && this.entries.get(key) === entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
  }

  bind(key: string, server: string, now: number, expiresAt = 0, sessionId?: string): SessionEntry {
    this.end(key);
    const entry: SessionEntry = sessionId === undefined ? { server, lastSeen: now, expiresAt } : { server, lastSeen: now, expiresAt, sessionId };
    this.entries.set(key, entry);
    this.count(server, 1);
    this.evict();
    return entry;
  }

  end(key: string): SessionEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
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

  countOn(server: string): number {
    return this.perServer.get(server) ?? 0;
  }

  sweep(now: number): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (!this.expiry(entry, now)) {
        // Entries behind this one were seen more recently (give or take REORDER_AFTER_MS).
        if (now - entry.lastSeen < this.limits.idleMs - REORDER_AFTER_MS) break;
        continue;
      }
      this.end(key);
      removed++;
    }
    return removed;
  }

  configure(limits: StoreLimits): void {
    this.limits = limits;
    this.evict();
  }

  private evict(): void {
    while (this.entries.size > this.limits.maxEntries) {
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
    return this.bind(key, entry.server, entry.lastSeen, entry.expiresAt, entry.sessionId);
  }

  private expiry(entry: SessionEntry, now: number): 'expired-idle' | 'expired-life' | undefined {
    if (entry.expiresAt !== 0 && now >= entry.expiresAt) return 'expired-life';
    if (now - entry.lastSeen >= this.limits.idleMs) return 'expired-idle';
    return undefined;
  }

  private count(server: string, delta: number): void {
    this.perServer.set(server, (this.perServer.get(server) ?? 0) + delta);
  }
}
