// WebSocket (and any HTTP/1.1 Upgrade): pick a server like any request, replay the handshake to it,
// relay its answer, and after a 101 pipe both sockets until either side ends or the tunnel idles.
import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { PickContext } from '../balancer/types.ts';
import type { Server } from '../core/server.ts';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';
import type { ListenerContext } from './context.ts';
import { dropPairs } from './headers.ts';
import { refusal, requestKey, resolveRequest } from './handler.ts';
import { classify, failureCode, mayRetry } from './retry.ts';

const RESPONSE_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function rawHead(status: number, message: string, flat: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < flat.length; i += 2) head += `${flat[i]}: ${flat[i + 1]}\r\n`;
  return `${head}\r\n`;
}

function refuse(socket: Duplex, code: ErrorCode): void {
  const { status, text } = errorCatalog[code];
  const body = `${text}\n`;
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'mooring-error', code, 'connection', 'close'];
  socket.end(rawHead(status, text, headers) + body);
}

export function handleUpgrade(ctx: ListenerContext, req: IncomingMessage, client: Duplex, clientHead: Buffer): void {
  const url = req.url ?? '/';
  const { head, clientIp } = resolveRequest(ctx, req, true);
  const refused = refusal(ctx, url, head);
  if (refused) return refuse(client, refused);
  const service = ctx.service.current;
  const tried: Server[] = [];
  const pick: PickContext = {
    key: requestKey(service, req, clientIp),
    attempt: 0,
    eligible: (s) => service.isAvailable(s) && !tried.includes(s),
  };
  client.on('error', () => client.destroy());

  const attempt = (n: number): void => {
    const server = service.balancer.pick({ ...pick, attempt: n });
    if (!server) return refuse(client, 'MOORING_NO_SERVER');
    tried.push(server);
    server.load.inflight++;
    let released = false;
    const release = () => {
      if (!released) server.load.inflight--;
      released = true;
    };
    const origin = new URL(server.origin);
    const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream: ClientRequest = send({
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      path: url,
      headers: head.headers,
      setHost: false,
      agent: false,
      timeout: ctx.timeouts.connect + ctx.timeouts.response,
    });
    let reached = false;
    upstream.on('socket', (s: Socket) => s.once('connect', () => (reached = true)));
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upgrade timed out'), { code: 'UND_ERR_HEADERS_TIMEOUT' })));
    upstream.on('error', (err) => {
      release();
      if (client.destroyed) return;
      const kind = classify(err);
      if (n < service.retries && mayRetry(kind, reached, req.method ?? 'GET', false)) return attempt(n + 1);
      refuse(client, failureCode[kind]);
    });
    upstream.on('response', (res) => {
      // The server declined the upgrade: relay its answer and close.
      const headers = dropPairs(res.rawHeaders, RESPONSE_HOP);
      headers.push('connection', 'close');
      client.write(rawHead(res.statusCode ?? 502, res.statusMessage ?? '', headers));
      res.pipe(client);
      res.on('end', release);
    });
    upstream.on('upgrade', (res, socket: Socket, serverHead: Buffer) => {
      client.write(rawHead(101, res.statusMessage || 'Switching Protocols', res.rawHeaders));
      tunnel(ctx, client, socket, clientHead, serverHead, release);
    });
    client.once('close', () => {
      if (!reached) upstream.destroy();
    });
    upstream.end();
  };
  attempt(0);
}

function tunnel(ctx: ListenerContext, client: Duplex, server: Socket, clientHead: Buffer, serverHead: Buffer, release: () => void): void {
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
  server.once('close', () => {
    ctx.activity.tunnels.delete(clientSocket);
    release();
  });
  server.pipe(client);
  client.pipe(server);
}
