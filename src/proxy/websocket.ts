// WebSocket (and any HTTP/1.1 Upgrade): route like any request (persistence included), replay the
// handshake to the chosen server, relay its answer (the 101 carries Mooring's cookie when one is
// set), then pipe both sockets until either side ends or the tunnel idles.
import type { IncomingMessage } from 'node:http';
import { http } from '../core/node-http.ts';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Server } from '../core/server.ts';
import type { ListenerContext } from './context.ts';
import { responseHeaders } from './headers.ts';
import { answerOnSocket, rawHead, refuseOnSocket } from './respond.ts';
import { recordRefusal, recordUpgrade } from './records.ts';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';
import { refusal, resolveRequest, routeThroughRules } from './handler.ts';
import { UpstreamError } from '../upstream/client.ts';
import { Attempt, type AttemptOwner } from './attempt.ts';
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
  if (lookup) void lookup.then(() => tryUpgrade(upgrade), () => tryUpgrade(upgrade));
  else tryUpgrade(upgrade);
}

/** Mooring answers the upgrade itself with an error, and records it. */
function refuse(u: Upgrade, code: ErrorCode, server?: Server): void {
  refuseOnSocket(u.client, code);
  const status = errorCatalog[code].status;
  recordUpgrade(u.ctx, u.req, u.routing, u.startedAt, { status, server, ended: 'mooring-answer', bytesIn: 0, bytesOut: 0, answeredAt: -1 });
}

function tryUpgrade(u: Upgrade): void {
  const choice = u.routing.choose();
  // A tunnel does not wait in the queue: a session whose server is full is answered 503 at once.
  if (!('server' in choice)) return refuse(u, 'refuse' in choice ? choice.refuse : 'MOORING_SESSION_SERVER_BUSY');
  new UpgradeAttempt(u, choice.server).send();
}

/**
 * One try of an upgrade on one server: the owner of its Attempt (which holds the server's load and
 * talks to the upstream client). The switch becomes a tunnel; a declined upgrade's answer is
 * relayed with its framing (a body without a length is sent chunked, so a cut-short answer cannot
 * pass for whole) and the client, promised `Connection: close`, is closed after it; a failure goes
 * through the same retry rules as requests.
 */
class UpgradeAttempt implements AttemptOwner {
  private settled = false;
  private answering = false;
  private chunked = false;
  private bytesOut = 0;
  private answeredAt = -1;
  private status = 0;
  private clientLeft = false;
  private readonly attempt: Attempt;

  constructor(
    private readonly u: Upgrade,
    private readonly server: Server,
  ) {
    this.attempt = new Attempt(server, u.routing.service, u.ctx.deadlines, this);
  }

  send(): void {
    const { u, server } = this;
    u.routing.sending(server, u.headers);
    u.client.once('close', this.onClientClose);
    this.attempt.sendUpgrade({ method: u.req.method ?? 'GET', path: u.req.url ?? '/', headers: u.headers, body: null });
  }

  /** A client that leaves ends the upstream call too, now or once a connection takes it (a tunnel's own sockets are closed in tunnel()). */
  private readonly onClientClose = (): void => {
    this.clientLeft = true;
    if (!this.settled) this.attempt.abort(new UpstreamError('reset-before-answer', 'the client left'));
  };

  answerHead(attempt: Attempt, status: number, rawHeaders: readonly (Buffer | string)[]): boolean {
    const { u, server } = this;
    const response = responseHeaders(rawHeaders);
    if (response === undefined) {
      this.settle();
      u.routing.reportFailure(server, 'bad-response');
      attempt.abort(new UpstreamError('bad-answer', 'transfer coding other than chunked'));
      refuse(u, 'MOORING_UPSTREAM_BAD_RESPONSE', server);
      return false;
    }
    this.answering = true;
    this.status = status;
    this.chunked = !response.some((value, i) => i % 2 === 0 && value.toLowerCase() === 'content-length');
    u.routing.answered(server, status, response);
    if (this.chunked) response.push('transfer-encoding', 'chunked');
    response.push('connection', 'close');
    const { client } = u;
    // The client hung up before the whole answer: stop relaying (its close ends the upstream call).
    client.once('end', () => client.destroy());
    client.on('drain', () => attempt.resume());
    client.write(rawHead(status, http.STATUS_CODES[status] ?? '', response));
    this.answeredAt = performance.now();
    return true;
  }

  answerData(_attempt: Attempt, chunk: Buffer): boolean {
    const { client } = this.u;
    this.bytesOut += chunk.length;
    if (!this.chunked) return client.write(chunk);
    client.cork();
    client.write(`${chunk.length.toString(16)}\r\n`);
    client.write(chunk);
    const room = client.write('\r\n');
    client.uncork();
    return room;
  }

  answerEnd(): void {
    this.settle();
    this.u.client.end(this.chunked ? '0\r\n\r\n' : undefined);
    this.record('complete');
  }

  bodySent(): boolean {
    return true; // an upgrade request has no body
  }

  attemptFailed(attempt: Attempt, err: Error): void {
    if (this.settled) return;
    this.settle();
    const { u, server } = this;
    if (this.answering) {
      u.client.destroy();
      return this.record(this.clientLeft ? 'client-gone' : 'broken');
    }
    if (this.clientLeft || u.client.destroyed) return;
    const kind = err instanceof UpstreamError ? err.kind : 'reset-before-answer';
    if (u.routing.attemptFailed(server, kind, attempt.reachedServer, u.req.method ?? 'GET', false)) return tryUpgrade(u);
    refuse(u, u.routing.failure(), server);
  }

  deadlinePassed(): void {} // upgrades are sent without an overall deadline (Attempt.sendUpgrade)

  upgraded(attempt: Attempt, status: number, rawHeaders: readonly (Buffer | string)[], socket: Duplex, head: Buffer): void {
    this.settle();
    const response = rawHeaders.map(String);
    this.u.routing.answered(this.server, status, response);
    this.u.client.write(rawHead(status, http.STATUS_CODES[status] ?? 'Switching Protocols', response));
    tunnel(this.u, this.server, socket as Socket, head, () => attempt.release());
  }

  /** No more of this try reaches the client's side from here: its close no longer aborts the call. */
  private settle(): void {
    this.settled = true;
    this.u.client.off('close', this.onClientClose);
  }

  private record(ended: 'complete' | 'client-gone' | 'broken'): void {
    const { u } = this;
    recordUpgrade(u.ctx, u.req, u.routing, u.startedAt, { status: this.status, server: this.server, ended, bytesIn: 0, bytesOut: this.bytesOut, answeredAt: this.answeredAt });
  }
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
