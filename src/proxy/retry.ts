// Upstream failures: what kind each is, which may be retried on another server, and the answer owed.
import type { ErrorCode } from '../core/errors.ts';
import type { Outcome } from '../health/ejection.ts';

export type FailureKind = 'refused' | 'connect-timeout' | 'reset' | 'timeout' | 'bad-response';

// UND_ERR_CLOSED: the pool of a server a reload removed, closing; the request never left Mooring.
const UNREACHABLE = new Set(['UND_ERR_CLOSED', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/** Codes of an answer that broke the protocol (duplicate or wrong Content-Length, a head too large, a transfer coding we cannot relay). */
const BAD_ANSWER = new Set(['MOORING_TRANSFER_CODING', 'UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_INVALID_ARG', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW']);

export function classify(err: unknown): FailureKind {
  const code = (err as { code?: string } | null)?.code ?? '';
  if ((err as Error | null)?.name === 'HTTPParserError') return 'bad-response';
  if (UNREACHABLE.has(code)) return 'refused';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'connect-timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code.startsWith('HPE_') || BAD_ANSWER.has(code)) return 'bad-response';
  // undici's words for an interim 100 nobody asked for and a 101 to a request that did not ask to
  // upgrade: both are answers the server sent, so the request reached it (client-h1.js).
  if (code === 'UND_ERR_SOCKET' && /^bad (response|upgrade)$/.test((err as Error).message)) return 'bad-response';
  return 'reset';
}

export const failureCode: Record<FailureKind, ErrorCode> = {
  refused: 'MOORING_UPSTREAM_REFUSED',
  'connect-timeout': 'MOORING_CONNECT_TIMEOUT',
  reset: 'MOORING_UPSTREAM_RESET',
  timeout: 'MOORING_UPSTREAM_TIMEOUT',
  'bad-response': 'MOORING_UPSTREAM_BAD_RESPONSE',
};

/** How passive health counts each failure. */
export const failureOutcome: Record<FailureKind, Outcome> = {
  refused: 'connect',
  'connect-timeout': 'connect',
  reset: 'reset',
  timeout: 'timeout',
  'bad-response': 'bad-response',
};

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * May a failed attempt go to another server? Only if no byte reached the server, or if the request
 * is idempotent, had no body, and the connection broke before any answer (never after a timeout:
 * a slow server is not helped by sending it twice the work).
 */
export function mayRetry(kind: FailureKind, reachedServer: boolean, method: string, hasBody: boolean): boolean {
  if (!reachedServer) return true;
  return kind === 'reset' && !hasBody && IDEMPOTENT.has(method);
}
