// Sticky routing, shared by every persistence method: given what the request's identity says and
// where its server stands, honour the binding, move the client (and say why), wait, or refuse.
import type { ErrorCode } from '../core/errors.ts';
import type { Server } from '../core/server.ts';
import type { PersistenceConfig } from './schema.ts';
import type { Decision, Identity, MigrationReason } from './types.ts';

export interface SessionPolicy {
  readonly onOverload: PersistenceConfig['onOverload'];
  readonly strict: boolean;
  readonly debugHeader: boolean;
  /** Sessions stay in their data center while it is UP, and a moved client tries its own first. */
  readonly datacenterPersistence: boolean;
  /** After a failback, whether sessions on a standby data center move back to the active one. */
  readonly failbackSessions: 'stay' | 'move';
}

/**
 * Where a pinned server stands for the sessions bound to it: `ok` to keep them, or why they move:
 * down (monitors or ejection), disabled by an operator, drained (its drain deadline passed), or
 * failback (a backup server while a primary of its data center is back), or failover (its data
 * center is no longer UP while another is).
 */
export type Standing = 'ok' | 'down' | 'disabled' | 'drained' | 'failback' | 'failover';

/** What plan() needs of a service: its servers, where each stands, its load, its policy. */
export interface PlanView {
  readonly policy: SessionPolicy;
  server(id: string): Server | undefined;
  standing(server: Server): Standing;
  overloaded(server: Server): boolean;
}

export interface Plan {
  readonly decision: Decision;
  /** Use this server, without asking the balancer. */
  readonly pinned?: Server;
  /** Moving a client off its server: the server it leaves and why. */
  readonly movedFrom?: string;
  readonly reason?: MigrationReason;
  /** Wait for room on the pinned server (onOverload: queue). */
  readonly wait?: boolean;
  /** Answer now with this error. */
  readonly refuse?: ErrorCode;
}

const NONE: Plan = { decision: 'none' };
const NEW: Plan = { decision: 'new' };

/** Standing → the decision and migration reason of the move it calls for. */
const MOVES: Record<Exclude<Standing, 'ok'>, [Decision, MigrationReason]> = {
  down: ['target-down', 'down'],
  disabled: ['disabled', 'disabled'],
  drained: ['drained', 'drain'],
  failback: ['failback', 'failback'],
  failover: ['failover', 'failover'],
};

function move(view: PlanView, decision: Decision, from: string, reason: MigrationReason): Plan {
  return view.policy.strict ? { decision, refuse: 'MOORING_PINNED_SERVER_DOWN' } : { decision, movedFrom: from, reason };
}

export function plan(identity: Identity | undefined, view: PlanView): Plan {
  if (!identity) return NONE;
  if (identity.status === 'none') return NEW;
  if (identity.status !== 'found') return { decision: identity.status };
  const id = identity.serverId!;
  const server = view.server(id);
  if (!server) return move(view, 'repinned', id, 'removed');
  const standing = view.standing(server);
  if (standing !== 'ok') {
    const [decision, reason] = MOVES[standing];
    // A backup or a drained server still works: strict keeps the session there rather than refuse it.
    const stays = view.policy.strict && (standing === 'failback' || standing === 'drained');
    if (!stays) return move(view, decision, id, reason);
  }
  if (view.overloaded(server)) {
    switch (view.policy.onOverload) {
      case 'queue':
        return { decision: 'overloaded', pinned: server, wait: true };
      case 'reject':
        return { decision: 'overloaded', refuse: 'MOORING_SESSION_SERVER_BUSY' };
      case 'redispatch':
        return { decision: 'overloaded', movedFrom: id, reason: 'overload' };
    }
  }
  return identity.joinedBurst ? { decision: 'burst', pinned: server } : { decision: 'honored', pinned: server };
}

/** The plan after the pinned server failed under a request: move the client, unless strict. */
export function afterPinnedFailure(view: PlanView, server: Server): Plan {
  return move(view, 'target-down', server.id, 'down');
}
