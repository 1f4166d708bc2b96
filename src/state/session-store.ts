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
}

export interface SessionStore {
  /** Entries held now. */
  readonly size: number;
  readonly limits: StoreLimits;
  /** The live entry for `key`; an expired one is removed and reported as such. */
  find(key: string, now: number): Found;
  /** Binds `key` to `server` (a re-bind moves its count); `expiresAt` 0: no absolute expiry. */
  bind(key: string, server: string, now: number, expiresAt?: number, sessionId?: string): SessionEntry;
  /** `entry` (as find returned it) was seen at `now`: its idle window starts again. */
  touch(key: string, entry: SessionEntry, now: number): void;
  /** Ends `key`'s session; returns the entry it had, or undefined. */
  end(key: string): SessionEntry | undefined;
  /** Live sessions bound to `server`. */
  countOn(server: string): number;
  /** Up to `limit` live sessions (of one server, or all), least recently seen first. */
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

/**
 * A request answered by `server` for session `key`: refresh the session if it is already there,
 * else bind it (a new session, or one that moved). The one "find, then touch or bind" step.
 */
export function keepSession(store: SessionStore, key: string, server: string, now: number, expiresAt = 0, sessionId?: string): void {
  const entry = store.find(key, now);
  if (typeof entry === 'object' && entry.server === server) store.touch(key, entry, now);
  else store.bind(key, server, now, expiresAt, sessionId);
}
