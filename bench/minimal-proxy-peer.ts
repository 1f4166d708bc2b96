// The ceiling for any node:http + undici proxy on this machine: the smallest one that works, with no
// checks, no added headers and no persistence; round-robin over the backends with one undici Pool
// each and a raw dispatch handler (the same building blocks as Mooring). Not a product: a yardstick.
import { createServer, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

const [portText, ...targets] = process.argv.slice(2);
const pools = targets.map((t) => new Pool(t, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 }));

/** Drops the client's Connection header (it is hop-by-hop, and undici refuses to send it). */
function upstreamHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'connection') out.push(raw[i]!, raw[i + 1]!);
  return out;
}

class Relay implements Dispatcher.DispatchHandler {
  constructor(private readonly res: ServerResponse) {}
  onConnect(): void {}
  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    this.res.on('drain', resume);
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      if (name.toLowerCase() !== 'connection' && name.toLowerCase() !== 'keep-alive') headers.push(name, raw[i + 1]!.toString('latin1'));
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
  onError(): void {
    if (!this.res.headersSent) this.res.writeHead(502);
    this.res.end();
  }
}

let next = 0;
createServer((req, res) => {
  const pool = pools[next++ % pools.length]!;
  pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers: upstreamHeaders(req.rawHeaders), body: null }, new Relay(res));
}).listen(Number(portText), '127.0.0.1');
