// Reads a request body before any upstream connection is taken (as HAProxy's http-buffer-request):
// a client that trickles its body then holds only its own socket, never one of the server's pool
// connections. Bodies up to `limit` bytes are passed on whole; a larger one is passed on as a
// stream that replays what was read, then the rest, as it comes.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export type Body = Buffer | Readable;

export function bufferBody(req: IncomingMessage, limit: number, ready: (body: Body) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size <= limit) return;
    req.pause();
    stop();
    ready(Readable.from(replay(chunks, req), { objectMode: false }));
  };
  const onEnd = () => {
    stop();
    ready(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  };
  const stop = () => {
    req.off('data', onData);
    req.off('end', onEnd);
  };
  req.on('data', onData);
  req.on('end', onEnd);
}

async function* replay(read: readonly Buffer[], rest: IncomingMessage): AsyncGenerator<Buffer> {
  yield* read;
  for await (const chunk of rest) yield chunk as Buffer;
}
