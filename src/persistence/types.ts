// The persistence seam: each method identifies a request's session and records the server that
// answered it. Routing on top of that (honour, move, overload) is shared, in router.ts.
import type { Server } from '../core/server.ts';

/** Why a request went where it went. Every request has one. */
export type Decision =
  | 'new'
  | 'honored'
  | 'expired-idle'
  | 'expired-life'
  | 'invalid'
  | 'target-down'
  | 'overloaded'
  | 'disabled'
  | 'drained'
  | 'failback'
  | 'burst'
  | 'repinned'
  | 'none';

/** Why a client was moved off its pinned server (sent upstream in Mooring-Migrated-From). */
export type MigrationReason = 'down' | 'overload' | 'drain' | 'disabled' | 'failback' | 'removed';

export interface PersistRequest {
  readonly clientIp: string;
  /** The Cookie header as received (several joined with "; "). */
  readonly cookie: string | undefined;
  /** The first value of a header, by lower-case name. */
  header(name: string): string | undefined;
  readonly url: string;
  /** Whether the client reached Mooring over HTTPS (directly or via a trusted proxy). */
  readonly secure: boolean;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

export interface Identity {
  readonly status: 'none' | 'found' | 'expired-idle' | 'expired-life' | 'invalid';
  /** The pinned server's id when found (it may name a server no longer configured). */
  readonly serverId?: string;
  /** Found by joining the first burst of a client whose first answer is not out yet (no cookie of its own). */
  readonly joinedBurst?: boolean;
  /** The method's own state, handed back to commit(). */
  readonly detail?: unknown;
}

export interface Commit {
  readonly req: PersistRequest;
  readonly identity: Identity;
  /** The server that answered. */
  readonly server: Server;
  /** The response headers, flat; a method may append to them (Set-Cookie). */
  readonly response: string[];
}

export interface PersistenceMethod {
  /** Mooring's own cookie, taken out of upstream requests unless passToServer is set. */
  readonly ownCookie: string | undefined;
  identify(req: PersistRequest): Identity;
  /** Called once a server was chosen, before it answers (first-burst grouping needs this). */
  routed?(identity: Identity, req: PersistRequest, server: Server): void;
  /** After the server's answer: bind or refresh the session; may append response headers. */
  commit(c: Commit): void;
  /** Live sessions bound to a server, for maxSessions. */
  sessionsOn(serverId: string): number;
  /** Periodic clean-up of expired state. */
  sweep(now: number): void;
}
