// Records of what the Exchange does not see: requests refused before routing, and upgrades
// (refused, declined by the server, or tunnels that ran and closed).
import type { IncomingMessage } from 'node:http';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';
import type { Server } from '../core/server.ts';
import type { Ending, RequestRecord } from '../observe/record.ts';
import type { ListenerContext } from './context.ts';
import type { Routing } from './routing.ts';

const round = (ms: number): number => Math.round(ms * 10) / 10;
/** Milliseconds from `startedAt` to `at`; -1 when `at` is -1 (it did not happen). */
const since = (at: number, startedAt: number): number => (at < 0 ? -1 : round(at - startedAt));

/** The Host header from node's raw array, without building node's lazy headers object. */
export function hostOf(raw: readonly string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') return raw[i + 1];
  return undefined;
}

/** A request or upgrade refused before any service was asked (too large, bad target, …). */
export function recordRefusal(ctx: ListenerContext, req: IncomingMessage, clientIp: string, code: ErrorCode, kind: 'request' | 'tunnel'): void {
  recordAnswered(ctx, req, clientIp, errorCatalog[code].status, kind);
}

/** A request or upgrade Mooring answered itself before any service: a refusal, or a rule's deny or redirect. */
export function recordAnswered(ctx: ListenerContext, req: IncomingMessage, clientIp: string, status: number, kind: 'request' | 'tunnel'): void {
  ctx.records?.({
    kind,
    time: Date.now(),
    listener: ctx.listener,
    clientIp,
    method: req.method ?? '',
    host: hostOf(req.rawHeaders),
    path: req.url ?? '/',
    status,
    bytesIn: 0,
    bytesOut: 0,
    service: ctx.defaultService,
    datacenter: undefined,
    server: undefined,
    decision: 'none',
    degraded: false,
    attempts: 0,
    queueMs: -1,
    firstByteMs: -1,
    totalMs: 0,
    ended: 'mooring-answer',
  });
}

/** How a routed request or upgrade went, for its record. */
export interface Outcome {
  readonly status: number;
  /** The server of the last attempt, if one was made. */
  readonly server: Server | undefined;
  readonly ended: Ending;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** performance.now() when it was first dispatched and first answered; -1: it was not. */
  readonly dispatchedAt: number;
  readonly answeredAt: number;
}

/** The record of a request or upgrade that went through routing, begun at `startedAt` (performance.now()). */
export function routedRecord(kind: 'request' | 'tunnel', ctx: ListenerContext, req: IncomingMessage, routing: Routing, startedAt: number, o: Outcome): RequestRecord {
  const now = performance.now();
  return {
    kind,
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
    degraded: routing.degraded,
    attempts: o.server ? routing.attempt + 1 : 0,
    queueMs: since(o.dispatchedAt, startedAt),
    firstByteMs: since(o.answeredAt, startedAt),
    totalMs: round(now - startedAt),
    ended: o.ended,
  };
}

/** An upgrade that ended: refused by Mooring, declined by the server, or a tunnel that closed. */
export function recordUpgrade(ctx: ListenerContext, req: IncomingMessage, routing: Routing, startedAt: number, o: Omit<Outcome, 'dispatchedAt'>): void {
  ctx.records?.(routedRecord('tunnel', ctx, req, routing, startedAt, { ...o, dispatchedAt: -1 }));
}
