// The upstream seam: how the proxy sends one request to one server and hears the answer, in
// Mooring's own terms. proxy/ sees no HTTP-client type and no client's error codes; each
// implementation (http1-client.ts, Mooring's own; undici-client.ts where Node's parser is missing)
// turns its own into these.
import type { Duplex, Readable } from 'node:stream';

/**
 * How an attempt failed. `reset-before-answer` and the connect kinds are the ones a request can be
 * safely tried again after (see proxy/retry.ts); `bad-request`: the client refused the request
 * itself before sending anything (the client's request is at fault, not the server).
 */
export type UpstreamErrorKind =
  | 'connect-refused'
  | 'connect-timeout'
  | 'reset-before-answer'
  | 'reset-mid-answer'
  | 'bad-answer'
  | 'answer-timeout'
  | 'idle-timeout'
  | 'bad-request';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

/** Socket-level errors (node's codes), as any client over net/tls sees them. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);
/** A certificate the server showed and Mooring does not trust: no request was sent, so it is a connect failure. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A socket error as an upstream failure; `answering`: the server had begun its answer. */
export function socketFailure(err: unknown, answering: boolean): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as (Error & { code?: string }) | null;
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  if (UNREACHABLE.has(code)) return new UpstreamError('connect-refused', message, { cause: err });
  if (UNTRUSTED.has(code)) {
    const hint = 'the server\'s certificate is not trusted: set tls.ca to the CA that signed it, or tls.servername to the name it holds';
    return new UpstreamError('connect-refused', `TLS ${code}: ${message} (${hint})`, { cause: err });
  }
  if (code === 'ETIMEDOUT') return new UpstreamError('connect-timeout', message, { cause: err });
  if (code.startsWith('HPE_') || e?.name === 'HTTPParserError') return new UpstreamError('bad-answer', message, { cause: err });
  return new UpstreamError(answering ? 'reset-mid-answer' : 'reset-before-answer', message, { cause: err });
}

/** A request's head as it goes on the wire (request-head.ts makes it). */
export interface WireHead {
  /** Request line, headers and the blank line, in latin1 (as node:http decoded them). */
  readonly text: string;
  /** The body is sent as chunks, ended by a zero-length chunk. */
  readonly chunked: boolean;
}

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  /** Flat [name, value, name, value, …], as they go to the server. */
  readonly headers: readonly string[];
  /** The whole body, or a stream of it (read at the server's pace), or none. */
  readonly body: Buffer | Readable | null;
  /** A shorter wait for the answer's head than the client's `timeouts.response` (a per-try timeout), in ms. */
  readonly answerTimeout?: number | undefined;
  /** The head already encoded from the fields above, for a request sent again and again (a health probe). */
  readonly wire?: WireHead | undefined;
}

/** How an https:// server's certificate is checked (`tls:` on a server or its service). */
export interface UpstreamTls {
  /** A PEM file of the CAs trusted for this server, instead of the system's (a private CA). */
  readonly ca?: string | undefined;
  /** The name sent in SNI and checked against the certificate; default the URL's host name. */
  readonly servername?: string | undefined;
  /** False: any certificate is accepted (test setups only). */
  readonly verify: boolean;
}

/** The server as far as the client is concerned. */
export interface UpstreamTarget {
  readonly id: string;
  /** scheme://host:port */
  readonly origin: string;
  /** For an https:// origin, how its certificate is checked; absent: against the system's CAs. */
  readonly tls?: UpstreamTls | undefined;
}

/** What makes a pool's connections: a pool is kept across a reload only while this stays the same. */
export function connectionKey(target: UpstreamTarget): string {
  return target.tls === undefined ? target.origin : `${target.origin} ${JSON.stringify(target.tls)}`;
}

/**
 * What hears one request's progress (the proxy's exchange). onConnect comes first, once; then the
 * answer (onHeaders, onData…, onComplete) or onError, once, which ends it.
 */
export interface UpstreamHandler {
  /** A connection took the request; `abort(reason)` ends it (onError then hears `reason` itself). */
  onConnect(abort: (reason: Error) => void): void;
  /** The answer's head (1xx interim answers are not passed on); false pauses the answer until `resume()`. */
  onHeaders(status: number, rawHeaders: readonly (Buffer | string)[], resume: () => void): boolean;
  /** A piece of the answer's body; false pauses until `resume()`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** `bytes` more of the request's body reached the socket. */
  onBodySent(bytes: number): void;
  /** The attempt failed: an UpstreamError, or the reason given to abort. */
  onError(err: Error): void;
}

/** What hears an upgrade: an ordinary answer when the server declines, or the switch. */
export interface UpgradeHandler extends UpstreamHandler {
  /**
   * The server switched protocols (101): `socket` belongs to the caller from now on (the client
   * forgets it), `head` holds what the server sent after its answer's head.
   */
  onUpgrade(status: number, rawHeaders: readonly (Buffer | string)[], socket: Duplex, head: Buffer): void;
}

export interface ClientSettings {
  readonly connections: number;
  readonly keepAlive: number;
  /** Share of the connections kept for requests whose clients keep up (0 to 0.9). */
  readonly reserved: number;
  /** Most bytes of an answer's head (limits.maxHeaderBytes, as for requests). */
  readonly maxHeaderBytes: number;
  /** Milliseconds: to connect, for the answer's head, and between body chunks; `perTry`, when set, the shortest answer timeout a request may ask for. */
  readonly timeouts: { readonly connect: number; readonly response: number; readonly idle: number; readonly perTry?: number | undefined };
}

/** Most connections of one server's pool that slow clients may hold at once (at least one); the rest are reserved. */
export function slowHoldCapOf(settings: ClientSettings): number {
  return Math.max(1, Math.floor(settings.connections * (1 - settings.reserved)));
}

/**
 * A reload's pools to retire, taken out of `pools` and `origins`: those of servers gone or moved
 * to another origin, and all of them when connection settings changed (the reserve is Mooring's
 * own bookkeeping: a change to it alone keeps the pools).
 */
export function poolsToRetire<P>(pools: Map<string, P>, origins: Map<string, string>, targets: readonly UpstreamTarget[], before: ClientSettings, after: ClientSettings): P[] {
  const same = JSON.stringify({ ...after, reserved: 0 }) === JSON.stringify({ ...before, reserved: 0 });
  const wanted = new Map(targets.map((t) => [t.id, connectionKey(t)]));
  const retired: P[] = [];
  for (const [id, pool] of pools) {
    if (same && wanted.get(id) === origins.get(id)) continue;
    pools.delete(id);
    origins.delete(id);
    retired.push(pool);
  }
  return retired;
}

/** One service's connections to its servers: a pool per server, kept across reloads. */
export interface UpstreamClient {
  /** Sends `request` to `target`, queued while all of its connections are busy. */
  dispatch(target: UpstreamTarget, request: UpstreamRequest, handler: UpstreamHandler): void;
  /**
   * Sends an upgrade request (WebSocket) on a connection of its own, never taken from the pool nor
   * returned to it, nor counted among its connections.
   */
  upgrade(target: UpstreamTarget, request: UpstreamRequest, handler: UpgradeHandler): void;
  /** Most connections of one server's pool that slow clients may hold at once (at least one). */
  readonly slowHoldCap: number;
  /**
   * A reload: pools of servers that remain at the same origin stay warm; the others finish what
   * they have (at most `graceMs`) and close.
   */
  reconcile(targets: readonly UpstreamTarget[], settings: ClientSettings, graceMs: number): void;
  /** Closes idle connections and waits up to `waitMs` for busy ones, then destroys the rest. */
  close(waitMs?: number): Promise<void>;
  destroy(): void;
}
