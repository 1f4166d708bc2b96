// Mooring's own answers (errors): a short text body and a Mooring-Error header naming the code.
import type { ServerResponse } from 'node:http';
import { errorCatalog, type ErrorCode } from '../core/errors.ts';

export function sendError(res: ServerResponse, code: ErrorCode, extra?: readonly string[], close = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const { status, text } = errorCatalog[code];
  const body = `${text}\n`;
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'mooring-error', code, 'cache-control', 'no-store'];
  if (extra) headers.push(...extra);
  // A request whose body we did not read cannot leave the connection reusable.
  if (close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(body);
}
