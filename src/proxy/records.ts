// Records of what the Exchange does not see: requests refused before routing, and upgrades
// (refused, declined by the server, or tunnels that ran and closed).
import type { IncomingMessage } from 'node:http';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';
import type { Server } from '../core/server.ts';
import type { Ending } from '../observe/record.ts';
import type { ListenerContext } from './context.ts';
import type { Routing } from './routing.ts';

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** The Host header from node's raw array, without building node's lazy headers object. */
export function hostOf(raw: readonly string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') return raw[i + 1];
  return undefined;
}

/** A request or upgrade refused before any service was asked (too large, bad target, …). */
export function recordRefusal(ctx: ListenerContext, req: IncomingMessage, clientIp: string, code: ErrorCode, kind: 'request' | 'tunnel'): void {
  ctx.records?.({
    kind,
    time: Date.now(),
    listener: ctx.listener,
    clientIp,
    method: req.method ?? '',
    host: hostOf(req.rawHeaders),
    path: req.url ?? '/',
    status: errorCatalog[code].status,
    bytesIn: 0,
    bytesOut: 0,
    service: ctx.service.current.name,
    datacenter: undefined,
    server: undefined,
    decision: 'none',
    attempts: 0,
    queueMs: -1,
    firstByteMs: -1,
    totalMs: 0,
    ended: 'mooring-answer',
  });
}

export interface UpgradeOutcome {
  readonly status: number;
  readonly server: Server | undefined;
  readonly ended: Ending;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** performance.now() when the server answered the handshake; -1: it did not. */
  readonly answeredAt: number;
}

/** An upgrade that ended: refused by Mooring, declined by the server, or a tunnel that closed. */
export function recordUpgrade(ctx: ListenerContext, req: IncomingMessage, routing: Routing, startedAt: number, o: UpgradeOutcome): void {
  const now = performance.now();
  ctx.records?.({
    kind: 'tunnel',
    time: Date.now() - (now - startedAt),
    listener: ctx.listener,
    clientIp: routing.clientIp,
    method: req.method ?? '',
    host: hostOf(req.rawHeaders),
    path: req.url ?? '/',
    status: o.status,
    bytesIn: o.bytesIn,
    bytesOut: o.bytesOut,
    service: routing.service.name,
    datacenter: o.server?.datacenter,
    server: o.server?.id,
    decision: routing.decision,
    attempts: o.server ? routing.attempt + 1 : 0,
    queueMs: -1,
    firstByteMs: o.answeredAt < 0 ? -1 : round(o.answeredAt - startedAt),
    totalMs: round(now - startedAt),
    ended: o.ended,
  });
}
