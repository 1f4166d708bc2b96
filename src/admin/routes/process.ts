// The process: liveness (/healthz, no token), status, reload, and Prometheus metrics.
import { sendJson } from '../http.ts';
import type { Route } from './route.ts';

const healthz: Route = {
  method: 'GET',
  path: /^\/healthz$/,
  access: 'public',
  handle: ({ res }) => sendJson(res, 200, { ok: true }),
};

const status: Route = {
  method: 'GET',
  path: /^\/api\/v1\/status$/,
  access: 'token',
  handle({ res, control }) {
    const s = control.status();
    const now = control.now();
    const last = [...control.events.recent()].reverse().find((e) => e.type === 'reload' || e.type === 'reload-refused');
    sendJson(res, 200, {
      ...s,
      startedAt: new Date(s.startedAt).toISOString(),
      uptimeSeconds: Math.round((now - s.startedAt) / 1000),
      services: control.services().size,
      lastReload: last ? { at: new Date(last.at).toISOString(), applied: last.type === 'reload', detail: last.reason } : null,
    });
  },
};

const reload: Route = {
  method: 'POST',
  path: /^\/api\/v1\/reload$/,
  access: 'token',
  async handle({ res, control }) {
    const outcome = await control.reload();
    sendJson(res, outcome.applied ? 200 : 422, outcome);
  },
};

const metrics: Route = {
  method: 'GET',
  path: /^\/metrics$/,
  access: 'metrics',
  async handle({ res, control }) {
    const { contentType, text } = await control.metrics();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(text);
  },
};

export const processRoutes: readonly Route[] = [healthz, status, reload, metrics];
