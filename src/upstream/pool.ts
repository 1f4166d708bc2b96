// One server's connections: at most `connections` of them, idle ones reused most-recent first and
// closed after `keepAlive`; a call that finds them all busy waits in line (the proxy's own deadline
// bounds how long). A pool being retired finishes what it holds and then closes.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UpstreamError, type UpstreamTls } from './client.ts';
import type { Call } from './call.ts';
import { Connection, type ConnectionPool, type Endpoint } from './connection.ts';
import type { NativeParserClass } from './llhttp.ts';

export interface PoolSettings {
  readonly connections: number;
  readonly keepAlive: number;
  readonly maxHeaderBytes: number;
  readonly timeouts: { readonly connect: number; readonly response: number; readonly idle: number; readonly perTry?: number | undefined };
}

/** The connection settings of `origin` (scheme://host:port), with how an https:// one's certificate is checked. */
export function endpointOf(origin: string, settings?: UpstreamTls): Endpoint {
  const url = new URL(origin);
  const tls = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  const servername = settings?.servername ?? (tls && isIP(host) === 0 ? host : undefined);
  return { host, port, tls, servername, ca: tls ? trustedCas(settings?.ca) : undefined, verify: settings?.verify ?? true };
}

/**
 * The CA file's certificates, read when the pool is made (the config check read it already). One
 * that cannot be read now trusts nothing: the connections fail as untrusted, never fall back to
 * the system's CAs.
 */
function trustedCas(file: string | undefined): Buffer[] | undefined {
  if (file === undefined) return undefined;
  try {
    return [readFileSync(file)];
  } catch {
    return [];
  }
}

export class Pool implements ConnectionPool {
  readonly connections = new Set<Connection>();
  /** Upgrade requests' connections: never reused, never counted against `connections`. */
  private readonly dedicated = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Call[] = [];
  private queueHead = 0;
  private closing = false;
  private whenEmpty: (() => void) | undefined;

  constructor(
    readonly endpoint: Endpoint,
    readonly settings: PoolSettings,
    readonly parserClass: NativeParserClass,
  ) {}

  get maxHeaderBytes(): number {
    return this.settings.maxHeaderBytes;
  }

  get keepAliveMs(): number {
    return this.settings.keepAlive;
  }

  dispatch(call: Call): void {
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (connection.phase !== 'idle') continue;
      if (!connection.run(call)) this.rest(connection);
      return;
    }
    if (this.connections.size < this.settings.connections) return this.open(call);
    this.queue.push(call);
  }

  private open(call: Call): void {
    this.connections.add(new Connection(this, call));
  }

  upgrade(call: Call): void {
    this.dedicated.add(new Connection(this, call));
  }

  private nextQueued(): Call | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const call = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as never;
    // Compact once the consumed front is most of the array.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    } else if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    return call;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  answered(connection: Connection, reusable: boolean): void {
    if (!reusable || this.dedicated.has(connection)) return connection.close();
    for (let call = this.nextQueued(); call; call = this.nextQueued()) {
      if (connection.run(call)) return;
    }
    this.rest(connection);
  }

  /** An idle connection: kept for the next call, unless the pool is closing. */
  private rest(connection: Connection): void {
    if (this.closing) return connection.close();
    connection.phase = 'idle';
    connection.activeAt = performance.now();
    this.idle.push(connection);
  }

  closed(connection: Connection): void {
    if (this.dedicated.delete(connection)) return this.emptied();
    this.connections.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    // A connection lost while calls wait: open one for the first of them.
    if (this.queued > 0 && this.connections.size < this.settings.connections) this.open(this.nextQueued()!);
    else this.emptied();
  }

  private emptied(): void {
    if (this.connections.size === 0 && this.dedicated.size === 0 && this.queued === 0) this.whenEmpty?.();
  }

  replay(call: Call): void {
    this.open(call);
  }

  /**
   * Checks every connection's timeouts; says when the next check is needed: `now` while anything
   * is under way, else when the first idle connection's keep-alive runs out (Infinity: none left).
   */
  sweep(now: number): number {
    for (const connection of this.connections) connection.sweep(now, this.settings.timeouts);
    for (const connection of this.dedicated) connection.sweep(now, this.settings.timeouts);
    if (this.idle.length !== this.connections.size || this.dedicated.size > 0 || this.queued > 0) return now;
    let next = Infinity;
    for (const connection of this.idle) next = Math.min(next, connection.idleUntil);
    return next;
  }

  /**
   * Takes no new work: idle connections close now, busy ones once their answer is done, calls in
   * line are still served. Resolves when no connection is left, or destroys what remains after `graceMs`.
   */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const connection of this.idle.splice(0)) connection.close();
    if (this.connections.size === 0 && this.dedicated.size === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.destroy(), graceMs);
      this.whenEmpty = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Closes every connection now: calls running fail, calls in line are refused. */
  destroy(): void {
    this.closing = true;
    const reason = new UpstreamError('connect-refused', 'the pool to this server was closed');
    for (let call = this.nextQueued(); call; call = this.nextQueued()) call.handler.onError(reason);
    for (const connection of [...this.connections, ...this.dedicated]) connection.close(new UpstreamError('reset-before-answer', 'the pool to this server was closed'));
    this.emptied();
  }
}
