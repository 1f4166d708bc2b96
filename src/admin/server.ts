// The admin listener: its own HTTP server (loopback by default) for the JSON API, the dashboard and
// /metrics. Every request passes the guard (Host, then token, then origin for writes) before its
// route; errors answer JSON with a stable code. The token is never logged.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../core/node-http.ts';
import type { Logger } from '../log.ts';
import { listen } from '../proxy/listener.ts';
import type { AdminControl } from './control.ts';
import { allowedHosts, checkHost, checkOrigin, checkToken } from './guard.ts';
import { AdminError, sendError } from './http.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { eventRoutes } from './routes/events.ts';
import { processRoutes } from './routes/process.ts';
import type { Route } from './routes/route.ts';
import { serverRoutes } from './routes/servers.ts';
import { sessionRoutes } from './routes/sessions.ts';

const ROUTES: readonly Route[] = [...processRoutes, ...serverRoutes, ...sessionRoutes, ...eventRoutes, ...dashboardRoutes];

function decodeParam(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AdminError(400, 'BAD_PATH', `${JSON.stringify(text)} is not valid percent-encoding`);
  }
}

function findRoute(method: string, path: string): { route: Route; params: string[] } {
  const verb = method === 'HEAD' ? 'GET' : method;
  let allowed: string[] = [];
  for (const route of ROUTES) {
    const match = route.path.exec(path);
    if (!match) continue;
    if (route.method === verb) return { route, params: match.slice(1).map(decodeParam) };
    allowed = [...allowed, route.method];
  }
  if (allowed.length > 0) throw new AdminError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`);
  throw new AdminError(404, 'NOT_FOUND', `no admin route ${path} (the API is under /api/v1/; see docs/admin-api.md)`);
}

async function handle(req: IncomingMessage, res: ServerResponse, control: AdminControl, listenHost: string): Promise<void> {
  const settings = control.settings();
  const hosts = allowedHosts(listenHost, settings.hosts);
  checkHost(req, hosts);
  const url = new URL(req.url ?? '/', 'http://admin');
  let found: { route: Route; params: string[] };
  try {
    found = findRoute(req.method ?? 'GET', url.pathname);
  } catch (err) {
    // Say nothing of which routes exist to a caller without the token.
    checkToken(req, settings.token);
    throw err;
  }
  const { route, params } = found;
  if (route.access === 'token' || (route.access === 'metrics' && settings.metricsToken)) checkToken(req, settings.token);
  if (route.method !== 'GET') checkOrigin(req);
  await route.handle({ req, res, params, query: url.searchParams, control });
}

export interface AdminListener {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdmin(control: AdminControl, log: Logger): Promise<AdminListener> {
  const { host, port } = control.settings().address;
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    handle(req, res, control, host).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof AdminError) return sendError(res, err, err.status === 401 ? { 'www-authenticate': 'Bearer realm="mooring-admin"' } : {});
      log.error({ err, method: req.method, path: req.url?.split('?')[0] }, 'admin request failed');
      sendError(res, new AdminError(500, 'INTERNAL', 'the admin request failed; see the log'));
    });
  });
  const bound = await listen(server, { name: 'admin', address: { host, port } });
  log.info({ host, port: bound.port }, 'admin listening');
  return {
    server,
    host,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
