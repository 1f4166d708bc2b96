// Per-request orchestration: check the request, resolve the client, build upstream headers, let
// the service's persistence identify the session, and hand over to an Exchange.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readKey } from '../balancer/key.ts';
import type { ErrorCode } from '../core/errors.ts';
import { withoutCookie } from '../persistence/cookie-header.ts';
import type { Service, ServiceHandle } from '../topology/service.ts';
import type { ListenerContext } from './context.ts';
import { clientAddress, isTrusted, normalizeIp } from './client-address.ts';
import { proxiedClient } from './proxy-protocol.ts';
import { requestHead, type RequestHead } from './headers.ts';
import { ruleAnswer, sendAnswer, sendError, type ErrorAnswer } from './respond.ts';
import { Exchange } from './exchange.ts';
import { recordAnswered, recordRefusal } from './records.ts';
import type { RouteResult } from '../rules/router.ts';
import { bufferBody } from './body-buffer.ts';
import { Routing } from './routing.ts';
import { RequestView } from './request-view.ts';

/** Most header fields a request may have (node's own count limit: beyond it, fields would be dropped unseen). */
export const MAX_HEADER_FIELDS = 2000;

/** Why a request is refused before it goes anywhere, or undefined when it may proceed. */
export function refusal(ctx: ListenerContext, req: IncomingMessage, head: RequestHead): ErrorCode | undefined {
  if (req.rawHeaders.length > MAX_HEADER_FIELDS * 2) return 'MOORING_TOO_MANY_HEADERS';
  // HTTP/0.9 has no headers to route by; HTTP/2 and later are not spoken on an HTTP/1 connection.
  if (req.httpVersionMajor !== 1) return req.httpVersionMajor === 0 ? 'MOORING_BAD_REQUEST' : 'MOORING_HTTP_VERSION';
  const url = req.url ?? '/';
  if (Buffer.byteLength(url) > ctx.limits.maxUrlBytes) return 'MOORING_URL_TOO_LONG';
  if (head.otherCoding) return 'MOORING_TRANSFER_CODING';
  // Only origin-form targets ("/path?query"): absolute-form and "*" have no meaning behind a reverse proxy.
  if (url.charCodeAt(0) !== 47 /* "/" */) return 'MOORING_BAD_REQUEST';
  if (head.hostCount > 1) return 'MOORING_BAD_REQUEST';
  if (head.contentLength > ctx.limits.maxBodyBytes) return 'MOORING_BODY_TOO_LARGE';
  return undefined;
}

export interface ResolvedRequest {
  readonly head: RequestHead;
  readonly clientIp: string;
  /** HTTPS to Mooring, directly or as a trusted proxy says. */
  readonly secure: boolean;
}

const kPeer = Symbol('mooring.peer');
interface Peer {
  readonly ip: string;
  readonly trusted: boolean;
  readonly localHost: string;
}
type PeerSocket = Socket & { [kPeer]?: Peer };

/** The socket's peer, whether it is a trusted proxy, and the address it reached: worked out once per connection. */
function peerOf(ctx: ListenerContext, socket: PeerSocket): Peer {
  let peer = socket[kPeer];
  if (!peer) {
    const ip = proxiedClient(socket) ?? normalizeIp(socket.remoteAddress ?? '');
    const local = socket.localAddress ?? '127.0.0.1';
    const localHost = `${local.includes(':') ? `[${local}]` : local}:${socket.localPort ?? 0}`;
    peer = socket[kPeer] = { ip, trusted: ctx.trustsProxies && isTrusted(ctx.trusted, ip), localHost };
  }
  return peer;
}

export function resolveRequest(ctx: ListenerContext, req: IncomingMessage, keepUpgrade: boolean): ResolvedRequest {
  const { ip: peerIp, trusted: peerTrusted, localHost } = peerOf(ctx, req.socket);
  const head = requestHead(req.rawHeaders, { peerIp, peerTrusted, proto: ctx.proto, localHost }, keepUpgrade);
  const clientIp = peerTrusted ? clientAddress(peerIp, head.forwardedFor, ctx.trusted) : peerIp;
  const secure = ctx.proto === 'https' || (peerTrusted && head.forwardedProto?.trim().toLowerCase() === 'https');
  return { head, clientIp, secure };
}

/**
 * The routing for a request on `service`: its session identity (if the service keeps sessions),
 * its balancer key, and Mooring's own cookie taken out of the upstream headers.
 */
export function routeRequest(service: Service, req: IncomingMessage, resolved: ResolvedRequest): Routing {
  const { head, clientIp, secure } = resolved;
  const source = service.keySource;
  const method = service.persistence;
  if (!source && !method) return new Routing(service, undefined, undefined, clientIp);
  const now = service.env.clock.now();
  const view = new RequestView(req.rawHeaders, clientIp, head.cookie, req.url ?? '/', secure, now);
  const key = source ? readKey(source, view) : undefined;
  if (!method) return new Routing(service, undefined, key, clientIp, undefined, now);
  const identity = method.identify(view);
  if (method.ownCookie !== undefined && head.cookie !== undefined) {
    const rest = withoutCookie(head.cookie, method.ownCookie);
    if (rest === undefined) head.headers.length = head.cookieAt;
    else if (rest !== head.cookie) head.headers[head.cookieAt + 1] = rest;
  }
  return new Routing(service, identity, key, clientIp, view, now);
}

/** Where the listener's rules send a request. */
function routeTarget(ctx: ListenerContext, req: IncomingMessage, resolved: ResolvedRequest): RouteResult<ServiceHandle> {
  if (!ctx.router.hasRules) return ctx.router.route(undefined as never);
  const host = hostName(firstHeader(req.rawHeaders, 'host'));
  return ctx.router.route({
    method: req.method ?? 'GET',
    host,
    target: req.url ?? '/',
    clientIp: resolved.clientIp,
    secure: resolved.secure,
    header: (name) => firstHeader(req.rawHeaders, name),
  });
}

/** The Host header without its port, lower case. */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

function firstHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** A rule's request headers, over what the client sent (after persistence took its cookie out). */
function applySetHeaders(headers: string[], set: readonly (readonly [string, string])[] | undefined): void {
  if (!set) return;
  for (const [name, value] of set) {
    let found = false;
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]!.toLowerCase() !== name) continue;
      headers[i + 1] = value;
      found = true;
    }
    if (!found) headers.push(name, value);
  }
}

/**
 * The routing of a request the listener's rules send to a service (with the rule's data center and
 * headers applied), or what to answer instead: no route, or a rule's deny or redirect (recorded).
 */
export function routeThroughRules(ctx: ListenerContext, req: IncomingMessage, resolved: ResolvedRequest, kind: 'request' | 'tunnel'): Routing | 'MOORING_NO_ROUTE' | ErrorAnswer {
  const target = routeTarget(ctx, req, resolved);
  if (target.kind === 'no-route') {
    recordRefusal(ctx, req, resolved.clientIp, 'MOORING_NO_ROUTE', kind);
    return 'MOORING_NO_ROUTE';
  }
  if (target.kind !== 'service') {
    recordAnswered(ctx, req, resolved.clientIp, target.status, kind);
    return ruleAnswer(target);
  }
  const routing = routeRequest(target.service.current, req, resolved);
  routing.routeDatacenter = target.datacenter;
  if (routing.service.readsPlace) routing.placeOf = () => ctx.router.placeOf(resolved.clientIp);
  applySetHeaders(resolved.head.headers, target.setHeaders);
  return routing;
}

/** `expectsContinue`: the client waits for 100 Continue before its body, sent once the checks pass. */
export function handleRequest(ctx: ListenerContext, req: IncomingMessage, res: ServerResponse, expectsContinue = false): void {
  const resolved = resolveRequest(ctx, req, false);
  const refused = refusal(ctx, req, resolved.head);
  if (refused) {
    recordRefusal(ctx, req, resolved.clientIp, refused, 'request');
    return sendError(res, refused, undefined, true);
  }
  if (expectsContinue) res.writeContinue();
  const { head } = resolved;
  const routed = routeThroughRules(ctx, req, resolved, 'request');
  if (!(routed instanceof Routing)) {
    req.resume();
    return routed === 'MOORING_NO_ROUTE' ? sendError(res, routed) : sendAnswer(res, routed);
  }
  const lookup = routed.lookup();
  if (lookup) void lookup.then(
    () => forward(ctx, req, res, head, routed),
    () => forward(ctx, req, res, head, routed),
  );
  else forward(ctx, req, res, head, routed);
}

/** The request goes upstream: its body streamed, or first buffered up to limits.bufferBodyBytes. */
function forward(ctx: ListenerContext, req: IncomingMessage, res: ServerResponse, head: ResolvedRequest['head'], routing: Routing): void {
  const hasBody = head.contentLength > 0 || head.chunked;
  const exchange = new Exchange(ctx, req, res, head.headers, hasBody, routing);
  if (!hasBody) return exchange.begin(null);
  const limit = ctx.limits.bufferBodyBytes;
  if (limit === 0) return exchange.begin(req);
  bufferBody(req, limit, (body) => exchange.begin(body));
}
