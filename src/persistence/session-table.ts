// Server-side sessions: key → server, with an idle timeout, an optional absolute expiry, a size bound
// (least recently used evicted first), and a live count per server. The Map's insertion order is the
// recency order: a touch moves an entry to the end, so expired and evictable entries sit at the front.
import type { SessionView } from './types.ts';

export interface SessionEntry {
  server: string;
  /** Milliseconds since the epoch. */
  lastSeen: number;
  /** 0: no absolute expiry. */
  expiresAt: number;
  /** The Mooring session id issued with it, where the key is something else (app-cookie). */
  readonly sessionId?: string;
}

export type Found = SessionEntry | 'expired-idle' | 'expired-life' | undefined;

/** Re-ordering on every request costs two Map operations; once a second per entry is enough. */
const REORDER_AFTER_MS = 1000;

export class SessionTable {
  private readonly entries = new Map<string, SessionEntry>();
  private readonly perServer = new Map<string, number>();

  constructor(
    readonly maxEntries: number,
    readonly idleMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The live entry for `key`; an expired one is removed and reported as such. */
  find(key: string, now: number): Found {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const expired = this.expiry(entry, now);
    if (!expired) return entry;
    this.delete(key);
    return expired;
  }

  touch(key: string, entry: SessionEntry, now: number): void {
    const stale = now - entry.lastSeen > REORDER_AFTER_MS;
    entry.lastSeen = now;
    if (stale) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
  }

  /** Binds `key` to `server` (re-binding moves its count), evicting the least recently used beyond the bound. */
  bind(key: string, server: string, now: number, expiresAt = 0, sessionId?: string): SessionEntry {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.count(old.server, -1);
    }
    const entry: SessionEntry = sessionId === undefined ? { server, lastSeen: now, expiresAt } : { server, lastSeen: now, expiresAt, sessionId };
    this.entries.set(key, entry);
    this.count(server, 1);
    while (this.entries.size > this.maxEntries) this.delete(this.entries.keys().next().value!);
    return entry;
  }

  /** Removes `key`'s entry; returns it, or undefined when there was none. */
  delete(key: string): SessionEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.count(entry.server, -1);
    return entry;
  }

  /** Up to `limit` live entries (of one server, or all), least recently seen first: an admin view. */
  sample(server: string | undefined, limit: number, now: number): SessionView[] {
    const out: SessionView[] = [];
    for (const [key, entry] of this.entries) {
      if (out.length >= limit) break;
      if ((server !== undefined && entry.server !== server) || this.expiry(entry, now)) continue;
      out.push({ key, server: entry.server, lastSeen: entry.lastSeen, expiresAt: entry.expiresAt === 0 ? undefined : entry.expiresAt });
    }
    return out;
  }

  /** Live sessions bound to `server`. */
  sessionsOn(server: string): number {
    return this.perServer.get(server) ?? 0;
  }

  /** Removes idle-expired entries from the front (oldest first); returns how many went. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (!this.expiry(entry, now)) {
        // Entries behind this one were seen more recently (give or take REORDER_AFTER_MS).
        if (now - entry.lastSeen < this.idleMs - REORDER_AFTER_MS) break;
        continue;
      }
      this.delete(key);
      removed++;
    }
    return removed;
  }

  private expiry(entry: SessionEntry, now: number): 'expired-idle' | 'expired-life' | undefined {
    if (entry.expiresAt !== 0 && now >= entry.expiresAt) return 'expired-life';
    if (now - entry.lastSeen >= this.idleMs) return 'expired-idle';
    return undefined;
  }

  private count(server: string, delta: number): void {
    this.perServer.set(server, (this.perServer.get(server) ?? 0) + delta);
  }
}
