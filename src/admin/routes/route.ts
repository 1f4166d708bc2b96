// The shape of an admin route: a method, a path pattern, who may call it, and its handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../control.ts';
import { AdminError } from '../http.ts';
import type { ServiceHandle } from '../../topology/service.ts';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The pattern's captures, decoded. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly control: AdminControl;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: RegExp;
  /** token: the bearer token; metrics: the token unless admin.metricsToken is false; public: none. */
  readonly access: 'token' | 'metrics' | 'public';
  handle(ctx: RouteContext): void | Promise<void>;
}

/** The services a request names with ?service= (all when absent); AdminError for an unknown one. */
export function servicesOf(ctx: RouteContext): ServiceHandle[] {
  const wanted = ctx.query.get('service');
  const all = ctx.control.services();
  if (wanted === null) return [...all.values()];
  const one = all.get(wanted);
  if (!one) throw new AdminError(404, 'NO_SUCH_SERVICE', `no service named ${JSON.stringify(wanted)} (services: ${[...all.keys()].join(', ')})`);
  return [one];
}

/** The one service holding server `id` (narrowed by ?service=); AdminError when none or several do. */
export function serviceWithServer(ctx: RouteContext, id: string): ServiceHandle {
  const holding = servicesOf(ctx).filter((r) => r.current.server(id) !== undefined);
  if (holding.length === 0) throw new AdminError(404, 'NO_SUCH_SERVER', `no server with id ${JSON.stringify(id)}`);
  if (holding.length > 1) throw new AdminError(409, 'AMBIGUOUS_SERVER', `server id ${JSON.stringify(id)} is in services ${holding.map((r) => r.name).join(', ')}; add ?service=NAME`);
  return holding[0]!;
}
