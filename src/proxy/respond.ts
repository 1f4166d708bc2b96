// Mooring's own answers (errors): a short text body and a Mooring-Error header naming the code,
// the same whether written through node's ServerResponse or onto a raw (upgrade) socket.
import type { ServerResponse } from 'node:http';
import { http } from '../core/node-http.ts';
import type { Duplex } from 'node:stream';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';

/** Seconds a client is told to wait before trying again when no server is available. */
export const NO_SERVER_RETRY_AFTER_S = 5;

export interface ErrorAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: string[];
  readonly body: string;
}

function errorAnswer(code: ErrorCode, extra: readonly string[] | undefined, close: boolean): ErrorAnswer {
  const { status, text } = errorCatalog[code];
  const body = `${text}\n`;
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'mooring-error', code, 'cache-control', 'no-store'];
  // No server can take the request now (down, or a failover under way): say when to try again.
  if (code === 'MOORING_NO_SERVER') headers.push('retry-after', String(NO_SERVER_RETRY_AFTER_S));
  if (extra) headers.push(...extra);
  // A request whose body we did not read cannot leave the connection reusable.
  if (close) headers.push('connection', 'close');
  return { status, text, headers, body };
}

export function sendError(res: ServerResponse, code: ErrorCode, extra?: readonly string[], close = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const answer = errorAnswer(code, extra, close);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/** An HTTP/1.1 head as bytes, for answers written straight onto a socket. */
export function rawHead(status: number, message: string, flat: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < flat.length; i += 2) head += `${flat[i]}: ${flat[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** An error answer on a raw socket (a refused upgrade), then the end of the connection. */
export function refuseOnSocket(socket: Duplex, code: ErrorCode): void {
  const answer = errorAnswer(code, undefined, true);
  socket.end(rawHead(answer.status, answer.text, answer.headers) + answer.body);
}

/** A rule's own answer (deny or redirect), as status, headers and body. */
export function ruleAnswer(result: { kind: 'deny'; status: number } | { kind: 'redirect'; status: number; location: string }): ErrorAnswer {
  if (result.kind === 'redirect') {
    const headers = ['location', result.location, 'content-length', '0', 'cache-control', 'no-store'];
    return { status: result.status, text: http.STATUS_CODES[result.status] ?? 'Redirect', headers, body: '' };
  }
  const body = `${errorCatalog.MOORING_DENIED.text}\n`;
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'mooring-error', 'MOORING_DENIED', 'cache-control', 'no-store'];
  return { status: result.status, text: http.STATUS_CODES[result.status] ?? 'Denied', headers, body };
}

export function sendAnswer(res: ServerResponse, answer: ErrorAnswer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/** An answer on a raw socket (an upgrade a rule denies or redirects), then the end of the connection. */
export function answerOnSocket(socket: Duplex, answer: ErrorAnswer): void {
  socket.end(rawHead(answer.status, answer.text, [...answer.headers, 'connection', 'close']) + answer.body);
}
