// Per-request orchestration: check the request, resolve the client, build upstream headers, and
// hand over to an Exchange.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readKey } from '../balancer/key.ts';
import type { ListenerContext } from './context.ts';
import { clientAddress, isTrusted, normalizeIp } from './client-address.ts';
import { requestHead, type RequestHead } from './headers.ts';
import { sendError } from './respond.ts';
import { Exchange } from './exchange.ts';
import type { ServiceSnapshot } from '../topology/snapshot.ts';

/** Why a request is refused before it goes anywhere, or undefined when it may proceed. */
export function refusal(ctx: ListenerContext, url: string, head: RequestHead): Parameters<typeof sendError>[1] | undefined {
  if (Buffer.byteLength(url) > ctx.limits.maxUrlBytes) return 'MOORING_URL_TOO_LONG';
  // Only origin-form targets ("/path?query"): absolute-form and "*" have no meaning behind a reverse proxy.
  if (url.charCodeAt(0) !== 47 /* "/" */) return 'MOORING_BAD_REQUEST';
  if (head.hostCount > 1) return 'MOORING_BAD_REQUEST';
  if (head.contentLength > ctx.limits.maxBodyBytes) return 'MOORING_BODY_TOO_LARGE';
  return undefined;
}

export interface ResolvedRequest {
  readonly head: RequestHead;
  readonly clientIp: string;
}

export function resolveRequest(ctx: ListenerContext, req: IncomingMessage, keepUpgrade: boolean): ResolvedRequest {
  const peerIp = normalizeIp(req.socket.remoteAddress ?? '');
  const peerTrusted = isTrusted(ctx.trusted, peerIp);
  const head = requestHead(req.rawHeaders, { peerIp, peerTrusted, proto: ctx.proto }, keepUpgrade);
  const clientIp = peerTrusted ? clientAddress(peerIp, head.forwardedFor, ctx.trusted) : peerIp;
  return { head, clientIp };
}

export function requestKey(service: ServiceSnapshot, req: IncomingMessage, clientIp: string): string | undefined {
  const source = service.balancer.keySource;
  return source ? readKey(source, { clientIp, headers: req.headers, url: req.url ?? '/' }) : undefined;
}

export function handleRequest(ctx: ListenerContext, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const { head, clientIp } = resolveRequest(ctx, req, false);
  const refused = refusal(ctx, url, head);
  if (refused) return sendError(res, refused, undefined, true);
  const hasBody = head.contentLength > 0 || head.chunked;
  const service = ctx.service.current;
  new Exchange(ctx, req, res, service, head.headers, hasBody, requestKey(service, req, clientIp)).start();
}
