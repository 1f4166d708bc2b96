// Sticky routing, shared by every persistence method: given what the request's identity says and
// the service's state, honour the binding, move the client (and say why), wait, or refuse.
import type { ErrorCode } from '../core/errors.ts';
import type { Server } from '../core/server.ts';
import type { ServiceSnapshot } from '../topology/snapshot.ts';
import type { Decision, Identity, MigrationReason } from './types.ts';

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

function move(service: ServiceSnapshot, decision: Decision, from: string, reason: MigrationReason): Plan {
  return service.policy.strict ? { decision, refuse: 'MOORING_PINNED_SERVER_DOWN' } : { decision, movedFrom: from, reason };
}

export function plan(identity: Identity | undefined, service: ServiceSnapshot): Plan {
  if (!identity) return NONE;
  if (identity.status === 'none') return NEW;
  if (identity.status !== 'found') return { decision: identity.status };
  const id = identity.serverId!;
  const server = service.byId.get(id);
  if (!server) return move(service, 'repinned', id, 'removed');
  const status = service.status(server);
  if (status === 'down') return move(service, 'target-down', id, 'down');
  if (status === 'disabled') return move(service, 'draining', id, 'drain');
  if (service.overloaded(server)) {
    switch (service.policy.onOverload) {
      case 'queue':
        return { decision: 'overloaded', pinned: server, wait: true };
      case 'reject':
        return { decision: 'overloaded', refuse: 'MOORING_OVERLOADED' };
      case 'redispatch':
        return { decision: 'overloaded', movedFrom: id, reason: 'overload' };
    }
  }
  return { decision: 'honored', pinned: server };
}

/** The plan after the pinned server failed under a request: move the client, unless strict. */
export function afterPinnedFailure(service: ServiceSnapshot, server: Server): Plan {
  return move(service, 'target-down', server.id, 'down');
}
