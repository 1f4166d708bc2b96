// A request's head as it goes on the wire to the server, in one string, with its body's framing:
// the client's Content-Length when it sent one, a Content-Length for a body read whole, chunked
// for a streamed body of unknown length (Mooring's own framing, never the client's bytes).
import type { UpstreamRequest, WireHead } from './client.ts';

/** Methods whose requests carry a body by meaning: without one, the server is told its length is 0. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function isContentLength(name: string): boolean {
  return name.length === 14 && name.toLowerCase() === 'content-length';
}

/** `upgrade`: the headers carry their own Connection: upgrade, and the connection is not kept. */
export function wireHead(request: UpstreamRequest, upgrade = false): WireHead {
  const { headers, body } = request;
  let text = `${request.method} ${request.path} HTTP/1.1\r\n`;
  let hasLength = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (!hasLength && isContentLength(name)) hasLength = true;
    text += `${name}: ${headers[i + 1]!}\r\n`;
  }
  let chunked = false;
  if (!hasLength) {
    if (body === null) {
      if (BODY_METHODS.has(request.method)) text += 'content-length: 0\r\n';
    } else if (Buffer.isBuffer(body)) text += `content-length: ${body.length}\r\n`;
    else {
      text += 'transfer-encoding: chunked\r\n';
      chunked = true;
    }
  }
  // HTTP/1.1 keeps connections by default; said anyway for servers that only keep them when asked.
  return { text: upgrade ? `${text}\r\n` : `${text}connection: keep-alive\r\n\r\n`, chunked };
}
