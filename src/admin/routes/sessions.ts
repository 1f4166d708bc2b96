// Sessions: how many a server holds and a bounded sample of them, ending one, and what a Mooring
// cookie value says (which server, since when, valid or why not).
import { AdminError, sendJson } from '../http.ts';
import type { ServiceHandle } from '../../topology/service.ts';
import { serviceWithServer, servicesOf, type Route } from './route.ts';

const DEFAULT_SAMPLE = 100;
const MAX_SAMPLE = 1000;

function sampleSize(text: string | null): number {
  if (text === null) return DEFAULT_SAMPLE;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > MAX_SAMPLE) throw new AdminError(400, 'BAD_QUERY', `limit: expected a whole number from 0 to ${MAX_SAMPLE}, got ${JSON.stringify(text)}`);
  return n;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

const listSessions: Route = {
  method: 'GET',
  path: /^\/api\/v1\/sessions$/,
  access: 'token',
  async handle(ctx) {
    const server = ctx.query.get('server') ?? undefined;
    const limit = sampleSize(ctx.query.get('limit'));
    const now = ctx.control.now();
    const runtimes = server === undefined ? servicesOf(ctx) : [serviceWithServer(ctx, server)];
    const read = (runtime: ServiceHandle) => {
      const ids = server === undefined ? runtime.current.servers.map((s) => s.id) : [server];
      return runtime.store.readShared?.(server, limit, now) ?? { count: ids.reduce((n, id) => n + runtime.sessionsOn(id), 0), sample: runtime.store.list(server, limit, now) };
    };
    const found = await Promise.all(runtimes.map(read));
    const services = runtimes.map((runtime, i) => {
      const { count, sample } = found[i]!;
      return {
        service: runtime.name,
        count,
        sample: sample.map((s) => ({ key: s.key, server: s.server, lastSeen: iso(s.lastSeen), expires: iso(s.expiresAt) })),
      };
    });
    sendJson(ctx.res, 200, { services });
  },
};

const endSession: Route = {
  method: 'DELETE',
  path: /^\/api\/v1\/sessions\/([^/]+)$/,
  access: 'token',
  handle(ctx) {
    const key = ctx.params[0]!;
    const result = ctx.control.command({ type: 'end-session', key });
    if (!result.ok) throw new AdminError(404, 'NO_SUCH_SESSION', `no live session with key ${JSON.stringify(key)}`);
    sendJson(ctx.res, 200, { ended: result.services });
  },
};

const explain: Route = {
  method: 'GET',
  path: /^\/api\/v1\/explain$/,
  access: 'token',
  handle(ctx) {
    const value = ctx.query.get('cookie');
    if (value === null || value === '') throw new AdminError(400, 'BAD_QUERY', "expected ?cookie=VALUE (the value of Mooring's cookie, without its name)");
    const now = ctx.control.now();
    const answers = servicesOf(ctx).flatMap((r) => {
      const e = r.persistence?.explainCookie?.(value, now);
      return e ? [{ service: r.name, ...e }] : [];
    });
    if (answers.length === 0) throw new AdminError(404, 'NO_COOKIE_SERVICE', 'no service issues a Mooring cookie (persistence method cookie or app-cookie)');
    // A cookie is signed for one service: show the services whose keys verify it, else every answer.
    const verified = answers.filter((a) => a.session !== undefined);
    sendJson(ctx.res, 200, { cookie: verified.length > 0 ? verified : answers });
  },
};

export const sessionRoutes: readonly Route[] = [listSessions, endSession, explain];
