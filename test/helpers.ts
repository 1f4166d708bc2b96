// Test fixtures: real HTTP backends on loopback, a Mooring instance in-process, bounded helpers.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { request } from 'undici';
import { App } from '../src/app.ts';
import { parseConfigObject } from '../src/config/load.ts';
import { createLogger, silentLogger, type Logger } from '../src/log.ts';
import { Writable } from 'node:stream';

export interface Backend {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests seen, in order. */
  readonly seen: IncomingMessage[];
  /** Open client sockets (Mooring's upstream connections). */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, name: string) => void;

const answerName: Handler = (req, res, name) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
};

/** A real HTTP server on 127.0.0.1 with an ephemeral port, answering with its own name by default. */
export async function startBackend(name: string, handler: Handler = answerName, port = 0): Promise<Backend> {
  const seen: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res, name);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    seen,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface MooringOptions {
  algorithm?: string;
  balance?: Record<string, unknown>;
  retries?: number;
  service?: Record<string, unknown>;
  top?: Record<string, unknown>;
  listener?: Record<string, unknown>;
  logger?: Logger;
}

/** Mooring in this process, listening on 127.0.0.1:0 in front of `backends`. */
export async function startMooring(backends: readonly { name: string; url: string }[], opts: MooringOptions = {}): Promise<App> {
  const raw = {
    listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app', ...opts.listener }],
    services: [
      {
        name: 'app',
        balance: opts.balance ?? { algorithm: opts.algorithm ?? 'round-robin' },
        servers: backends.map((b) => ({ id: b.name, url: b.url })),
        ...(opts.retries === undefined ? {} : { retries: opts.retries }),
        ...opts.service,
      },
    ],
    ...opts.top,
  };
  return App.start(parseConfigObject(raw), { logger: opts.logger ?? silentLogger });
}

/** A logger that keeps every line it writes (parsed JSON), for tests that read the log. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

/** GET through undici; returns status, headers and the body as text. */
export async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** Counts of each body text over `count` sequential GETs. */
export async function tally(url: string, count: number, headers: (i: number) => Record<string, string> = () => ({})): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const { body } = await get(url, headers(i));
    counts.set(body, (counts.get(body) ?? 0) + 1);
  }
  return counts;
}

/** Resolves once `res` drains or closes, leaving no listener behind (a test backend writing a large answer). */
export function roomOrClose(res: import('node:http').ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Resolves when `check` holds, polling every 10 ms; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs fn(0..total-1) with at most `concurrency` at once. */
export async function runConcurrent(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await fn(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Writes raw bytes to host:port and collects everything the peer sends until it closes the
 * connection or `ms` pass (then the socket is destroyed and what arrived is returned).
 */
export function rawExchange(port: number, text: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(text);
  });
}

/** The port of a Mooring app's first listener. */
export function portOf(app: App): number {
  return app.listeners[0]!.port;
}

/** A minimal client cookie jar: remembers Set-Cookie values (honouring Max-Age=0) and sends them back. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(setCookie: string | string[] | undefined): void {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (/;\s*max-age=0\b/i.test(line) || /;\s*expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
  }

  header(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }
}

/** GET with a jar: sends its cookies, keeps what comes back. */
export async function jarGet(url: string, jar: CookieJar, headers: Record<string, string> = {}) {
  const res = await get(url, { ...jar.header(), ...headers });
  jar.take(res.headers['set-cookie']);
  return res;
}

export const TEST_KEY = 'test-key-0123456789abcdef0123456789';
export const OLD_TEST_KEY = 'old-key-fedcba9876543210fedcba9876543';

/** A cookie jar whose session is pinned to `server` (new clients until one lands there); it has
 *  come back once with its cookie, as a browser does, so its session counts. */
export async function pinnedTo(app: App, server: string, attempts = 10): Promise<CookieJar> {
  for (let i = 0; i < attempts; i++) {
    const jar = new CookieJar();
    if ((await jarGet(app.url(), jar)).body !== server) continue;
    assert.equal((await jarGet(app.url(), jar)).body, server, 'the pinned client comes back to its server');
    return jar;
  }
  throw new Error(`no client got pinned to ${server}`);
}
