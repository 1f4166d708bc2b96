// The persistence seam: each method identifies a request's session and records the server that
// answered it. Routing on top of that (honour, move, overload) is shared, in router.ts.
import type { Server } from '../core/server.ts';
import type { SessionStore, SessionView } from '../state/session-store.ts';
import type { EndedSessions } from './ended-sessions.ts';
import type { NewKeyBudget } from './new-key-budget.ts';

export type { SessionView };

/** What a method keeps its sessions in: owned by the service runtime, so a reload keeps them. */
export interface SessionParts {
  readonly store: SessionStore;
  /** Where first-burst groups are shared with other processes; undefined: this process alone. */
  readonly bursts?: SessionStore | undefined;
  /** Sessions ended early (an operator, an app-cookie logout) whose signed cookies would otherwise keep pinning; app-cookie also keeps logged-out app values here. */
  readonly ended: EndedSessions;
  /** How many new sessions one client address may start per minute with keys it makes up (header, query). */
  readonly newKeys: NewKeyBudget;
}

/** Why a request went where it went. Every request has one. */
export type Decision =
  | 'new'
  | 'honored'
  | 'expired-idle'
  | 'expired-life'
  | 'invalid'
  | 'ended'
  | 'target-down'
  | 'overloaded'
  | 'disabled'
  | 'drained'
  | 'failback'
  | 'failover'
  | 'burst'
  | 'repinned'
  | 'none';

/** Why a client was moved off its pinned server (sent upstream in Mooring-Migrated-From). */
export type MigrationReason = 'down' | 'overload' | 'drain' | 'disabled' | 'failback' | 'failover' | 'removed';

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
  /** ended: the session its cookie names was ended early (an operator, an app-cookie logout). */
  readonly status: 'none' | 'found' | 'expired-idle' | 'expired-life' | 'invalid' | 'ended';
  /** The pinned server's id when found (it may name a server no longer configured). */
  readonly serverId?: string;
  /** The pinned server's data center, when the identity records it (a cookie does). */
  readonly datacenter?: string;
  /** Found by joining the first burst of a client whose first answer is not out yet (no cookie of its own). */
  readonly joinedBurst?: boolean;
  /** The method's own state, handed back to commit(). */
  readonly detail?: unknown;
  /** The store key looked up and not found here: a store shared with other instances may know it. */
  readonly missed?: string;
  /** The same for a first burst this client may have started through another process (SessionParts.bursts). */
  readonly missedBurst?: string;
}

/**
 * Whether the client brought its identity back (a cookie, expired or not; a key): clients that
 * never do (monitors, bots, `curl`) would otherwise fill servers' maxSessions and hold drains open,
 * so only then does its session count. Joining a first burst is not coming back.
 */
export function cameBack(identity: Identity): boolean {
  return identity.status !== 'none' && identity.status !== 'invalid' && identity.joinedBurst !== true;
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
  /** Periodic clean-up of the method's own short-lived state (the session store sweeps itself). */
  sweep?(now: number): void;
  /** Ends the session of `key` (as the store lists it); false when there is none. */
  endSession(key: string, now: number): boolean;
  /** What a value of Mooring's cookie says (methods that issue one). */
  explainCookie?(value: string, now: number): CookieExplanation;
}

export interface CookieExplanation {
  readonly valid: boolean;
  /** Why not, when not valid. */
  readonly why?: string;
  readonly server?: string;
  readonly datacenter?: string;
  readonly session?: string;
  /** ISO dates. */
  readonly issued?: string;
  readonly lastSeen?: string;
  readonly expires?: string | null;
  /** Signed with an old key (it is re-signed with the first key on its next answer). */
  readonly oldKey?: boolean;
}
