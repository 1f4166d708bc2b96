// WebSocket (and any HTTP/1.1 Upgrade): route like any request (persistence included), replay the
// handshake to the chosen server, relay its answer (the 101 carries Mooring's cookie when one is
// set), then pipe both sockets until either side ends or the tunnel idles.
import type { IncomingMessage, ClientRequest } from 'node:http';
import { http } from '../core/node-http.ts';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Server } from '../core/server.ts';
import type { ListenerContext } from './context.ts';
import { responseHeaders } from './headers.ts';
import { answerOnSocket, rawHead, refuseOnSocket } from './respond.ts';
import { recordRefusal, recordUpgrade } from './records.ts';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';
import { refusal, resolveRequest, routeThroughRules } from './handler.ts';
import { failureOf, failureOutcome, mayRetry } from './retry.ts';
import { socketFailure, UpstreamError } from '../upstream/client.ts';
import { Routing } from './routing.ts';

interface Upgrade {
  readonly ctx: ListenerContext;
  readonly req: IncomingMessage;
  readonly client: Duplex;
  readonly clientHead: Buffer;
  readonly headers: string[];
  readonly routing: Routing;
  readonly startedAt: number;
}

export function handleUpgrade(ctx: ListenerContext, req: IncomingMessage, client: Duplex, clientHead: Buffer): void {
  const startedAt = performance.now();
  const resolved = resolveRequest(ctx, req, true);
  const refused = refusal(ctx, req, resolved.head);
  if (refused) {
    recordRefusal(ctx, req, resolved.clientIp, refused, 'tunnel');
    return refuseOnSocket(client, refused);
  }
  client.on('error', () => client.destroy());
  const routing = routeThroughRules(ctx, req, resolved, 'tunnel');
  if (!(routing instanceof Routing)) return routing === 'MOORING_NO_ROUTE' ? refuseOnSocket(client, routing) : answerOnSocket(client, routing);
  const upgrade: Upgrade = { ctx, req, client, clientHead, headers: resolved.head.headers, routing, startedAt };
  const lookup = routing.lookup();
  if (lookup) void lookup.then(() => attempt(upgrade), () => attempt(upgrade));
  else attempt(upgrade);
}

/** Mooring answers the upgrade itself with an error, and records it. */
function refuse(u: Upgrade, code: ErrorCode, server?: Server): void {
  refuseOnSocket(u.client, code);
  const status = errorCatalog[code].status;
  recordUpgrade(u.ctx, u.req, u.routing, u.startedAt, { status, server, ended: 'mooring-answer', bytesIn: 0, bytesOut: 0, answeredAt: -1 });
}

function attempt(u: Upgrade): void {
  const choice = u.routing.choose();
  // A tunnel does not wait in the queue: a full server answers 503 at once.
  if (!('server' in choice)) return refuse(u, 'refuse' in choice ? choice.refuse : 'MOORING_OVERLOADED');
  const server = choice.server;
  const { headers, routing } = u;
  routing.sending(server, headers);
  const service = routing.service;
  service.acquire(server);
  let released = false;
  const release = () => {
    if (!released) service.release(server);
    released = true;
  };
  const origin = new URL(server.origin);
  const upstream: ClientRequest = (origin.protocol === 'https:' ? httpsRequest : http.request)({
    host: origin.hostname,
    port: origin.port,
    method: u.req.method,
    path: u.req.url,
    headers,
    setHost: false,
    agent: false,
    timeout: u.ctx.timeouts.connect + u.ctx.timeouts.response,
  });
  let reached = false;
  upstream.on('socket', (s: Socket) => s.once('connect', () => (reached = true)));
  upstream.on('timeout', () => upstream.destroy(new UpstreamError('answer-timeout', 'upgrade timed out')));
  upstream.on('error', (err) => {
    release();
    if (u.client.destroyed) return;
    const kind = failureOf(socketFailure(err, false).kind);
    routing.reportFailure(server, failureOutcome[kind]);
    if (u.routing.failed(server, kind, reached, mayRetry(kind, reached, u.req.method ?? 'GET', false))) return attempt(u);
    refuse(u, u.routing.failure(), server);
  });
  upstream.on('response', (res) => {
    relayDeclined(u, server, res);
    res.once('close', release);
  });
  upstream.on('upgrade', (res, socket: Socket, serverHead: Buffer) => {
    const response = [...res.rawHeaders];
    routing.answered(server, 101, response);
    u.client.write(rawHead(101, res.statusMessage || 'Switching Protocols', response));
    tunnel(u, server, socket, serverHead, release);
  });
  // A client that leaves ends the upstream call too (a tunnel's own sockets are closed in tunnel()).
  u.client.once('close', () => upstream.destroy());
  upstream.end();
}

/**
 * The server declined the upgrade: relay its answer with its framing (a chunked body stays chunked,
 * so a cut-short answer cannot pass for whole), then close the client, which was promised
 * `Connection: close`. An answer cut short closes the client at once.
 */
function relayDeclined(u: Upgrade, server: Server, res: IncomingMessage): void {
  const response = responseHeaders(res.rawHeaders);
  if (response === undefined) {
    u.routing.reportFailure(server, 'bad-response');
    res.destroy();
    return refuse(u, 'MOORING_UPSTREAM_BAD_RESPONSE', server);
  }
  const chunked = /\bchunked\b/i.test(String(res.headers['transfer-encoding'] ?? ''));
  u.routing.answered(server, res.statusCode ?? 502, response);
  if (chunked) response.push('transfer-encoding', 'chunked');
  response.push('connection', 'close');
  const { client } = u;
  // The client hung up before the whole answer: stop relaying (its close ends the upstream call).
  client.once('end', () => client.destroy());
  client.write(rawHead(res.statusCode ?? 502, res.statusMessage ?? '', response));
  res.on('data', (chunk: Buffer) => {
    const room = chunked ? client.write(`${chunk.length.toString(16)}\r\n`) && client.write(chunk) && client.write('\r\n') : client.write(chunk);
    if (!room) {
      res.pause();
      client.once('drain', () => res.resume());
    }
  });
  let bytesOut = 0;
  res.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
  res.once('end', () => client.end(chunked ? '0\r\n\r\n' : undefined));
  const answeredAt = performance.now();
  let clientLeft = false;
  client.once('close', () => (clientLeft = true));
  res.once('close', () => {
    const ended = res.complete ? 'complete' : clientLeft ? 'client-gone' : 'broken';
    if (!res.complete) client.destroy();
    recordUpgrade(u.ctx, u.req, u.routing, u.startedAt, { status: res.statusCode ?? 502, server, ended, bytesIn: 0, bytesOut, answeredAt });
  });
}

function tunnel(u: Upgrade, upstream: Server, server: Socket, serverHead: Buffer, release: () => void): void {
  const { ctx, client, clientHead } = u;
  const clientSocket = client as Socket;
  ctx.activity.tunnels.add(clientSocket);
  if (serverHead.length > 0) client.write(serverHead);
  if (clientHead.length > 0) server.write(clientHead);
  const close = () => {
    client.destroy();
    server.destroy();
  };
  for (const side of [clientSocket, server]) {
    side.setTimeout(ctx.timeouts.tunnel, close);
    side.on('error', close);
    side.on('close', close);
  }
  const answeredAt = performance.now();
  server.once('close', () => {
    ctx.activity.tunnels.delete(clientSocket);
    release();
    const bytes = { bytesIn: clientSocket.bytesRead, bytesOut: clientSocket.bytesWritten };
    recordUpgrade(ctx, u.req, u.routing, u.startedAt, { status: 101, server: upstream, ended: 'tunnel-closed', ...bytes, answeredAt });
  });
  server.pipe(client);
  client.pipe(server);
}
