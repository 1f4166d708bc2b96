// Upstream failures: what kind each is, which may be retried on another server, and the answer owed.
import type { ErrorCode } from '../core/errors.ts';
import type { Outcome } from '../health/ejection.ts';
import type { UpstreamErrorKind } from '../upstream/client.ts';

export type FailureKind = 'refused' | 'connect-timeout' | 'reset' | 'timeout' | 'bad-response';

/** An upstream failure as the proxy weighs it: the answer owed, passive health, retries. */
export function failureOf(kind: UpstreamErrorKind): FailureKind {
  switch (kind) {
    case 'connect-refused':
      return 'refused';
    case 'connect-timeout':
      return 'connect-timeout';
    case 'reset-before-answer':
    case 'reset-mid-answer':
      return 'reset';
    case 'answer-timeout':
    case 'idle-timeout':
      return 'timeout';
    case 'bad-answer':
    case 'bad-request':
      return 'bad-response';
  }
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
 * is idempotent, had no body, and no answer came: the connection broke, or (the upstream client
 * sent the request again on a fresh connection after the server closed the kept one) the server
 * refused or did not take that connection. After a timeout only when the service asks for it
 * (retryOn: [timeout]): by default a slow server is not helped by sending the same work twice; a
 * hung one is, and the cost is a slow legitimate answer asked twice.
 */
export function mayRetry(kind: FailureKind, reachedServer: boolean, method: string, hasBody: boolean, onTimeout = false): boolean {
  if (!reachedServer) return true;
  if (hasBody || !IDEMPOTENT.has(method)) return false;
  if (kind === 'timeout') return onTimeout;
  return kind === 'reset' || kind === 'refused' || kind === 'connect-timeout';
}

/** Whether a request may ask for a per-try answer timeout: idempotent, without a body. */
export function perTryEligible(method: string, hasBody: boolean): boolean {
  return !hasBody && IDEMPOTENT.has(method);
}
