// GET /api/v1/events: control-plane events as Server-Sent Events (health, drain, weight, reload),
// the last few kept ones first, then live. A comment line every 15 s keeps proxies from closing it.
import type { MooringEvent } from '../../core/events.ts';
import type { Route } from './route.ts';

const REPLAY = 20;
const KEEPALIVE_MS = 15_000;

function frame(event: MooringEvent, id: number): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event, at: new Date(event.at).toISOString() })}\n\n`;
}

const events: Route = {
  method: 'GET',
  path: /^\/api\/v1\/events$/,
  access: 'token',
  handle({ req, res, control }) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    // With nothing to replay the head would wait for the first event: a client must see the stream open.
    res.flushHeaders();
    const kept = control.events.recent();
    let id = 0;
    for (const e of kept.slice(-REPLAY)) res.write(frame(e, ++id));
    const unsubscribe = control.events.subscribe((e) => res.write(frame(e, ++id)));
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    const end = () => {
      unsubscribe();
      clearInterval(keepalive);
    };
    req.socket.on('close', end);
    res.on('close', end);
  },
};

export const eventRoutes: readonly Route[] = [events];
