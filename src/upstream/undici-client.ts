// The upstream client over undici: one undici Pool per server (keyed by server id), kept warm with
// long keep-alive; bodies stream. undici's handler callbacks and error codes stop here: each
// request's Relay passes the answer on and turns undici's errors into Mooring's (client.ts).
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as PoolType } from 'undici';
import { endpointOf } from './pool.ts';
import { connectionKey, poolsToRetire, slowHoldCapOf, socketFailure, UpstreamError, type ClientSettings, type UpgradeHandler, type UpstreamClient, type UpstreamHandler, type UpstreamRequest, type UpstreamTarget } from './client.ts';
import { upgradeOverNodeHttp } from './node-upgrade.ts';

// undici's index loads all of undici (fetch, WebSocket, caches, mocks) and through them node's own
// bundled copy: ~8 MiB of resident memory that Mooring never uses (measured: 59.5 vs 51.3 MiB idle).
// The Pool module is undici's public Pool class itself; only its file is named directly, and only
// when this client is used (Mooring's own client is the default).
let PoolClass: typeof PoolType | undefined;
const poolClass = () => (PoolClass ??= createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof PoolType);
type Pool = PoolType;

/** undici's codes for an answer that broke the protocol (a wrong Content-Length, a head too large). */
const BAD_ANSWER = new Set(['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW']);

/** An error undici reported, in Mooring's terms; `connected`: a connection had taken the request. */
function failureOf(err: Error, connected: boolean, answering: boolean): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const code = (err as { code?: string }).code ?? '';
  const because = { cause: err };
  // The pool of a server a reload removed, closing: the request never left Mooring.
  if (code === 'UND_ERR_CLOSED') return new UpstreamError('connect-refused', err.message, because);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamError('connect-timeout', err.message, because);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new UpstreamError('answer-timeout', err.message, because);
  if (code === 'UND_ERR_BODY_TIMEOUT') return new UpstreamError('idle-timeout', err.message, because);
  // undici refused the request itself before sending anything: the client's request is at fault.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return new UpstreamError(connected ? 'bad-answer' : 'bad-request', err.message, because);
  if (BAD_ANSWER.has(code)) return new UpstreamError('bad-answer', err.message, because);
  // undici's words for an interim 100 nobody asked for and a 101 to a request that did not ask to
  // upgrade: both are answers the server sent (client-h1.js).
  if (code === 'UND_ERR_SOCKET' && /^bad (response|upgrade)$/.test(err.message)) return new UpstreamError('bad-answer', err.message, because);
  return socketFailure(err, answering);
}

/** One request's undici handler: passes its progress on to the proxy's handler, in Mooring's terms. */
class Relay implements Dispatcher.DispatchHandler {
  private connected = false;
  private answering = false;

  constructor(private readonly handler: UpstreamHandler) {}

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.handler.onConnect(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx interim answers are not relayed
    this.answering = true;
    return this.handler.onHeaders(statusCode, rawHeaders, resume);
  }

  onData(chunk: Buffer): boolean {
    return this.handler.onData(chunk);
  }

  onComplete(): void {
    this.handler.onComplete();
  }

  /** undici 7 passes the chunk itself here (its typings say a size). */
  onBodySent(chunk: Buffer | string | number): void {
    this.handler.onBodySent(typeof chunk === 'number' ? chunk : chunk.length);
  }

  onError(err: Error): void {
    this.handler.onError(failureOf(err, this.connected, this.answering));
  }
}

export class UndiciClient implements UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  /** The origin each pool connects to (a reload may move a server id elsewhere). */
  private readonly origins = new Map<string, string>();
  /** Pools of servers a reload removed or moved, closing once their requests are done. */
  private readonly retiring = new Set<Pool>();

  constructor(private settings: ClientSettings) {}

  /** Most connections of one server's pool that slow clients may hold at once (at least one); the rest are reserved. */
  get slowHoldCap(): number {
    return slowHoldCapOf(this.settings);
  }

  dispatch(target: UpstreamTarget, request: UpstreamRequest, handler: UpstreamHandler): void {
    const { answerTimeout } = request;
    const options = { path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers as string[], body: request.body };
    this.pool(target).dispatch(answerTimeout === undefined ? options : { ...options, headersTimeout: answerTimeout }, new Relay(handler));
  }

  upgrade(target: UpstreamTarget, request: UpstreamRequest, handler: UpgradeHandler): void {
    upgradeOverNodeHttp(target, request, handler, this.settings);
  }

  private pool(server: UpstreamTarget): Pool {
    let pool = this.pools.get(server.id);
    if (!pool) {
      const { connections, keepAlive, timeouts } = this.settings;
      const { servername, ca, verify } = endpointOf(server.origin, server.tls);
      const tls = server.origin.startsWith('https:') ? { servername, ca, rejectUnauthorized: verify } : {};
      pool = new (poolClass())(server.origin, {
        connections,
        pipelining: 1,
        connect: { timeout: timeouts.connect, ...tls },
        headersTimeout: timeouts.response,
        bodyTimeout: timeouts.idle,
        // Idle upstream sockets live `keepAlive`, or less when the server's Keep-Alive hint says so.
        keepAliveTimeout: keepAlive,
        keepAliveMaxTimeout: keepAlive,
        // Responses are streamed as they come: no size limit, no redirects, no decompression.
        maxResponseSize: -1,
        maxHeaderSize: this.settings.maxHeaderBytes,
      });
      // Connection errors are reported to the request that needed the connection; the pool itself
      // must not crash the process with an unhandled 'error'.
      pool.on('connectionError', () => {});
      this.pools.set(server.id, pool);
      this.origins.set(server.id, connectionKey(server));
    }
    return pool;
  }

  /**
   * A reload: pools of servers that remain at the same origin stay (warm connections and all);
   * the others retire — they finish the requests they have, take no new ones, and close. New
   * settings retire every pool. (A request begun before the reload that still asks for a removed
   * server gets a fresh pool; the next reconcile or the stop closes it.)
   */
  reconcile(targets: readonly UpstreamTarget[], settings: ClientSettings, graceMs: number): void {
    for (const pool of poolsToRetire(this.pools, this.origins, targets, this.settings, settings)) this.retire(pool, graceMs);
    this.settings = settings;
  }

  private retire(pool: Pool, graceMs: number): void {
    this.retiring.add(pool);
    const timer = setTimeout(() => void pool.destroy().catch(() => {}), graceMs).unref();
    void pool
      .close()
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.retiring.delete(pool);
      });
  }

  /** Closes idle connections and waits up to `waitMs` for busy ones, then destroys the rest. */
  async close(waitMs = 1000): Promise<void> {
    const pools = [...this.pools.values(), ...this.retiring];
    this.pools.clear();
    this.retiring.clear();
    await Promise.all(
      pools.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => {}), waitMs);
        await pool.close().catch(() => {});
        clearTimeout(timer);
      }),
    );
  }

  destroy(): void {
    for (const pool of [...this.pools.values(), ...this.retiring]) void pool.destroy();
    this.pools.clear();
    this.retiring.clear();
  }
}
