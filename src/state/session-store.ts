// The session-store seam: where a service's sessions live (client identity → server), owned by the
// service runtime and handed to its persistence method, so sessions outlive a reload that rebuilds
// the method. One store per service and method; the method names the key (a session id, a masked
// client address, a header value, a keyed hash of an app cookie). Calls are synchronous: the data
// plane never waits on a store, except fetch(), one bounded round trip for a key not seen here.

/** A session as a store keeps it. */
export interface SessionEntry {
  readonly server: string;
  /** Milliseconds since the epoch. */
  lastSeen: number;
  /** Absolute expiry, ms since the epoch; 0: none. */
  readonly expiresAt: number;
  /** The Mooring session id issued with it, where the key is something else (app-cookie). */
  readonly sessionId?: string;
  /** Its client has not come back yet: it does not count toward maxSessions or a drain, and it
   *  ends after StoreLimits.provisionalMs unseen (one-shot clients, monitors, `curl`). */
  provisional: boolean;
}

/** How a session is bound: its absolute expiry (ms since the epoch; 0 or absent: none), the session
 *  id issued with it, and whether its client has yet to come back (provisional). */
export interface BindTerms {
  readonly expiresAt?: number;
  readonly sessionId?: string | undefined;
  readonly provisional?: boolean;
}

/** A live entry; why there is none (it expired, and is gone now); or undefined: never was. */
export type Found = SessionEntry | 'expired-idle' | 'expired-life' | undefined;

/** A session as the admin API lists it. */
export interface SessionView {
  /** What DELETE /api/v1/sessions/{key} takes: a session id, a masked client address, a header
   *  or query value, or (app-cookie) a keyed hash of the application's cookie. */
  readonly key: string;
  readonly server: string;
  /** ms since the epoch. */
  readonly lastSeen: number;
  /** ms since the epoch; undefined: no absolute expiry. */
  readonly expiresAt: number | undefined;
}

export interface SharedSessions {
  readonly count: number;
  readonly sample: readonly SessionView[];
}

export interface StoreLimits {
  /** Entries kept at most; beyond, the least recently seen go first. */
  readonly maxEntries: number;
  /** A session not seen for this long has ended. */
  readonly idleMs: number;
  /** A provisional session (its client has not come back) not seen for this long has ended; absent: idleMs. */
  readonly provisionalMs?: number;
}

export interface SessionStore {
  /** Entries held now. */
  readonly size: number;
  readonly limits: StoreLimits;
  /** The live entry for `key`; an expired one is removed and reported as such. */
  find(key: string, now: number): Found;
  /** Binds `key` to `server` (a re-bind moves its count); a provisional session does not count yet. */
  bind(key: string, server: string, now: number, terms?: BindTerms): SessionEntry;
  /** `entry` (as find returned it) was seen at `now`: its idle window starts again. */
  touch(key: string, entry: SessionEntry, now: number): void;
  /** `entry` was seen at `now` with its client's identity: touched, and counted from now on if it was provisional. */
  confirm(key: string, entry: SessionEntry, now: number): void;
  /** Ends `key`'s session; returns the entry it had, or undefined. */
  end(key: string): SessionEntry | undefined;
  /** Live sessions bound to `server` (provisional ones left out). */
  countOn(server: string): number;
  /** Up to `limit` live sessions (of one server, or all; provisional ones left out), least recently seen first. */
  list(server: string | undefined, limit: number, now: number): SessionView[];
  /** Removes expired entries; returns how many went. */
  sweep(now: number): number;
  /** New limits from a reload; entries are kept (beyond a smaller bound, the least recently seen go). */
  configure(limits: StoreLimits): void;
  /**
   * A store shared with other instances: asks them whether they know `key`, which this process
   * does not; once settled, find() answers with what they said. Undefined when there is nothing
   * to ask (no shared store, or it is unreachable): the caller goes on at once.
   */
  fetch?(key: string): Promise<void> | undefined;
  /**
   * The live sessions every instance sharing the store holds (of one server, or all): how many,
   * and up to `limit` of them, soonest to expire first; undefined when nothing is shared (or it is
   * unreachable): countOn() and list() are the answer.
   */
  readShared?(server: string | undefined, limit: number, now: number): Promise<SharedSessions> | undefined;
  /** Shared with other instances but unreachable now: decisions are made from this process's sessions alone. */
  readonly degraded?: boolean;
  /** The store is no longer used (a reload changed the method): stop hearing about it. */
  close?(): void;
}

/** How long a provisional session lives unseen under `limits`: never longer than a counted one. */
export function provisionalMs(limits: StoreLimits): number {
  return Math.min(limits.provisionalMs ?? limits.idleMs, limits.idleMs);
}

/**
 * A request answered by `server` for session `key`: refresh the session if it is already there,
 * else bind it (a new session, or one that moved). The one "find, then touch or bind" step.
 * `returned`: the client brought its identity (cookie, key), so the session counts from now on;
 * otherwise a new session is provisional until it does.
 */
export function keepSession(store: SessionStore, key: string, server: string, now: number, returned: boolean, terms: BindTerms = {}): void {
  const entry = store.find(key, now);
  if (typeof entry === 'object' && entry.server === server) {
    if (returned) store.confirm(key, entry, now);
    else store.touch(key, entry, now);
  } else store.bind(key, server, now, { ...terms, provisional: !returned });
}
