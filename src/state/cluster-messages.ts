// What the primary and its workers tell each other about sessions (node:cluster IPC): a worker's
// binds, refreshes and ends go to the primary, which keeps every session and passes each change to
// the other workers; a worker asks it for a key it has not seen; a new worker receives them all.

/** A session as it travels: key, server, last seen, absolute expiry (0: none), session id ('' none). */
export type WireEntry = [key: string, server: string, lastSeen: number, expiresAt: number, sessionId: string];

export type SessionMessage =
  /** A worker's store for `ns` and its limits; `hello`: it was just made, and wants every session. */
  | { readonly mooring: 'session-limits'; readonly ns: string; readonly maxEntries: number; readonly idleMs: number; readonly hello: boolean }
  | { readonly mooring: 'session-bind'; readonly ns: string; readonly entry: WireEntry }
  | { readonly mooring: 'session-touch'; readonly ns: string; readonly key: string; readonly lastSeen: number }
  | { readonly mooring: 'session-end'; readonly ns: string; readonly key: string }
  | { readonly mooring: 'session-get'; readonly id: number; readonly ns: string; readonly key: string }
  | { readonly mooring: 'session-got'; readonly id: number; readonly entry: WireEntry | null }
  /** Every session of one store, in chunks, to a worker that has just started. */
  | { readonly mooring: 'session-all'; readonly ns: string; readonly entries: readonly WireEntry[] };

export function isSessionMessage(message: unknown): message is SessionMessage {
  return typeof message === 'object' && message !== null && typeof (message as { mooring?: unknown }).mooring === 'string' && (message as { mooring: string }).mooring.startsWith('session-');
}
