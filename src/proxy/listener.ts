// One client-facing HTTP or HTTPS server per configured listener, with the slowloris and size limits.
import type { IncomingMessage, Server as HttpServer, ServerOptions, ServerResponse } from 'node:http';
import { http } from '../core/node-http.ts';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer } from 'node:https';
import type { SecureContext } from 'node:tls';
import { Certificates, type Expiry } from './certificates.ts';
import type { Socket } from 'node:net';
import type { ListenerConfig, Timeouts } from '../config/schema.ts';
import type { ListenerContext } from './context.ts';
import { handleRequest, MAX_HEADER_FIELDS } from './handler.ts';
import { handleUpgrade } from './websocket.ts';
import { acceptProxyProtocol, type ProxyProtocolSettings } from './proxy-protocol.ts';

export interface BoundListener {
  readonly name: string;
  readonly server: HttpServer;
  /** The bound host and port (the real port when the config says 0). */
  readonly host: string;
  readonly port: number;
}

export function createListener(config: ListenerConfig, ctx: ListenerContext): HttpServer {
  const { timeouts, limits } = ctx;
  const options: ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    // A request head must arrive within `header` (else node answers 408); checked this often:
    headersTimeout: timeouts.header,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeouts.header / 4))),
    requestTimeout: 0,
    keepAliveTimeout: timeouts.idle,
    requireHostHeader: true,
  };
  const onRequest = inTurn.bind(null, ctx);
  const server = config.tls ? httpsServer(options, new Certificates(config.tls, config.tls.sni), onRequest) : http.createServer(options, onRequest);
  // node keeps this many header fields and silently drops the rest (Content-Length among them):
  // one more is kept, so that a request with more than MAX_HEADER_FIELDS is seen and refused.
  server.maxHeadersCount = MAX_HEADER_FIELDS + 1;
  // Expect: 100-continue is answered here, after the checks (node would send 100 at once, even
  // before a 413): a refused upload is refused without asking for its body first.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => inTurn(ctx, req, res, true));
  // Idle sockets (no bytes either way) are closed after `idle`.
  server.setTimeout(timeouts.idle);
  server.on('upgrade', handleUpgrade.bind(null, ctx));
  countConnections(server);
  if (config.proxyProtocol) acceptProxyProtocol(server, proxySettings(ctx));
  return server;
}

/**
 * A connection's requests are handled one at a time, in order, as HAProxy does (RFC 9112 §9.3.2
 * allows parallel handling of pipelined requests only when all are safe): node parses pipelined
 * requests ahead, but gives a response its socket only once every earlier response on the
 * connection is done, so a request goes anywhere only then. A request pipelined behind an answer
 * that closed the connection (a refusal) never gets its socket, and never goes anywhere.
 */
function inTurn(ctx: ListenerContext, req: IncomingMessage, res: ServerResponse, expectsContinue = false): void {
  if (res.socket) return handleRequest(ctx, req, res, expectsContinue);
  res.once('socket', () => handleRequest(ctx, req, res, expectsContinue));
}

/** Between log lines about refused PROXY connections (a misconfigured balancer refuses them all). */
const REFUSED_LOG_EVERY_MS = 10_000;

function proxySettings(ctx: ListenerContext): () => ProxyProtocolSettings {
  let lastLogged = 0;
  let unlogged = 0;
  const refused = (peer: string, why: string) => {
    unlogged++;
    const now = Date.now();
    if (now - lastLogged < REFUSED_LOG_EVERY_MS) return;
    ctx.log.warn({ peer, why, refused: unlogged }, 'connection refused by the PROXY protocol check');
    lastLogged = now;
    unlogged = 0;
  };
  // Read at each connection: a reload may change trustedProxies and timeouts.
  return () => ({ trusted: ctx.trusted, timeoutMs: ctx.timeouts.header, refused });
}

type TlsSettings = NonNullable<ListenerConfig['tls']>;

/** Each HTTPS listener's certificates now (a reload swaps them). */
const certificatesOf = new WeakMap<HttpServer, Certificates>();
/** Each listener's open client connections. */
const connectionsOf = new WeakMap<HttpServer, { open: number }>();

/** What the metrics read of a listening server: its open client connections and its certificates' expiries. */
export function listenerFacts(server: HttpServer): { readonly connections: number; readonly expiries: readonly Expiry[] } {
  return { connections: connectionsOf.get(server)?.open ?? 0, expiries: certificatesOf.get(server)?.expiries ?? [] };
}

function countConnections(server: HttpServer): void {
  const count = { open: 0 };
  connectionsOf.set(server, count);
  server.on('connection', (socket: Socket) => {
    count.open++;
    socket.once('close', () => count.open--);
  });
}

function httpsServer(options: ServerOptions, certificates: Certificates, onRequest: (req: IncomingMessage, res: ServerResponse) => void): HttpServer {
  let server: HttpServer | undefined;
  // The certificate for the name the client asks for; none found: the listener's first.
  const SNICallback = (servername: string, done: (err: Error | null, context?: SecureContext) => void) => done(null, certificatesOf.get(server!)?.select(servername));
  server = createHttpsServer({ ...options, cert: certificates.cert, key: certificates.key, SNICallback }, onRequest);
  certificatesOf.set(server, certificates);
  return server;
}

/** What a reload changes on a listening server (connections already open keep their timers). */
export const applyListenerSettings = {
  timeouts(server: HttpServer, timeouts: Timeouts): void {
    server.headersTimeout = timeouts.header;
    server.keepAliveTimeout = timeouts.idle;
    server.setTimeout(timeouts.idle);
  },
  /** Reads the certificates and keys now (throwing if one cannot be read); the returned step applies them. */
  tls(server: HttpServer, tls: TlsSettings): () => void {
    const certificates = new Certificates(tls, tls.sni);
    return () => {
      (server as TlsServer).setSecureContext({ cert: certificates.cert, key: certificates.key });
      certificatesOf.set(server, certificates);
    };
  },
};

export function listen(server: HttpServer, config: Pick<ListenerConfig, 'name' | 'address'>): Promise<BoundListener> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${config.address.host}:${config.address.port}`;
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new Error(`listener ${config.name} cannot listen on ${where}: ${why}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(config.address.port, config.address.host, () => {
      server.off('error', onError);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.address.port;
      resolve({ name: config.name, server, host: config.address.host, port });
    });
  });
}
