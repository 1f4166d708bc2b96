// The ceiling for Mooring's own parts: the smallest proxy over node:http and Mooring's own upstream
// client (src/upstream), with no checks, no added headers and no persistence; round-robin over the
// backends. Not a product: a yardstick beside the node:http + undici one (minimal-proxy-peer.ts).
import { createServer, type ServerResponse } from 'node:http';
import { Http1Client } from '../src/upstream/http1-client.ts';
import { nativeParser } from '../src/upstream/llhttp.ts';
import type { UpstreamHandler } from '../src/upstream/client.ts';

const [portText, ...origins] = process.argv.slice(2);
const client = new Http1Client({ connections: 256, keepAlive: 30_000, reserved: 0, maxHeaderBytes: 16_384, timeouts: { connect: 3000, response: 30_000, idle: 60_000 } }, nativeParser()!);
const targets = origins.map((origin, i) => ({ id: String(i), origin }));

/** Drops the client's Connection header (it is hop-by-hop). */
function upstreamHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'connection') out.push(raw[i]!, raw[i + 1]!);
  return out;
}

class Relay implements UpstreamHandler {
  constructor(private readonly res: ServerResponse) {}
  onConnect(): void {}
  onHeaders(status: number, raw: readonly (Buffer | string)[], resume: () => void): boolean {
    this.res.on('drain', resume);
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = String(raw[i]);
      if (name.toLowerCase() !== 'connection' && name.toLowerCase() !== 'keep-alive') headers.push(name, String(raw[i + 1]));
    }
    this.res.writeHead(status, headers);
    return true;
  }
  onData(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }
  onComplete(): void {
    this.res.end();
  }
  onBodySent(): void {}
  onError(): void {
    if (!this.res.headersSent) this.res.writeHead(502);
    this.res.end();
  }
}

let next = 0;
createServer((req, res) => {
  client.dispatch(targets[next++ % targets.length]!, { path: req.url!, method: req.method!, headers: upstreamHeaders(req.rawHeaders), body: null }, new Relay(res));
}).listen(Number(portText), '127.0.0.1');
