// What the primary and its workers tell each other about sessions (node:cluster IPC): a worker's
// binds, refreshes and ends go to the primary, which keeps every session and passes each change to
// the other workers; a worker asks it for a key it has not seen; a new worker receives them all.
import type { SessionEntry, SessionStore } from './session-store.ts';

/** A session as it travels: key, server, last seen, absolute expiry (0: none), session id ('' none), provisional (1) or counted (0). */
export type WireEntry = [key: string, server: string, lastSeen: number, expiresAt: number, sessionId: string, provisional: 0 | 1];

export type SessionMessage =
  /** A worker's store for `ns` and its limits; `hello`: it was just made, and wants every session. */
  | { readonly mooring: 'session-limits'; readonly ns: string; readonly maxEntries: number; readonly idleMs: number; readonly provisionalMs?: number; readonly hello: boolean }
  | { readonly mooring: 'session-bind'; readonly ns: string; readonly entry: WireEntry }
  /** `confirm`: the client came back with its identity, so a provisional session counts from now. */
  | { readonly mooring: 'session-touch'; readonly ns: string; readonly key: string; readonly lastSeen: number; readonly confirm?: boolean }
  | { readonly mooring: 'session-end'; readonly ns: string; readonly key: string }
  | { readonly mooring: 'session-get'; readonly id: number; readonly ns: string; readonly key: string }
  | { readonly mooring: 'session-got'; readonly id: number; readonly entry: WireEntry | null }
  /** Every session of one store, in chunks, to a worker that has just started. */
  | { readonly mooring: 'session-all'; readonly ns: string; readonly entries: readonly WireEntry[] };

/** `entry` as it travels under `key`. */
export function wireEntry(key: string, entry: SessionEntry): WireEntry {
  return [key, entry.server, entry.lastSeen, entry.expiresAt, entry.sessionId ?? '', entry.provisional ? 1 : 0];
}

/** A travelled entry bound into `store`, as it was where it was made. */
export function bindWire(store: SessionStore, [key, server, lastSeen, expiresAt, sessionId, provisional]: WireEntry): void {
  store.bind(key, server, lastSeen, { expiresAt, sessionId: sessionId || undefined, provisional: provisional === 1 });
}

/** A refresh heard from elsewhere, applied to `store` unless it already saw the session later. */
export function applyTouch(store: SessionStore, key: string, lastSeen: number, confirm: boolean | undefined): void {
  const entry = store.find(key, lastSeen);
  if (typeof entry !== 'object') return;
  if (confirm) store.confirm(key, entry, Math.max(entry.lastSeen, lastSeen));
  else if (entry.lastSeen < lastSeen) store.touch(key, entry, lastSeen);
}

export function isSessionMessage(message: unknown): message is SessionMessage {
  return typeof message === 'object' && message !== null && typeof (message as { mooring?: unknown }).mooring === 'string' && (message as { mooring: string }).mooring.startsWith('session-');
}
