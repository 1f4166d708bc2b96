// Small helpers the admin routes share: JSON answers, a bounded JSON body, and errors with a code.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer the admin API gives instead of what was asked: status, stable code, message. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 65_536;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: AdminError, extra: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  sendJson(res, err.status, { error: { code: err.code, message: err.message } });
}

/** The request's JSON body (an object), at most 64 KiB; AdminError otherwise. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new AdminError(415, 'UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: application/json, got ${type === '' ? 'none' : JSON.stringify(type)}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AdminError(413, 'BODY_TOO_LARGE', `expected a body of at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new AdminError(400, 'BAD_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AdminError(400, 'BAD_JSON', 'expected a JSON object such as {"state": "draining"}');
  return value as Record<string, unknown>;
}
