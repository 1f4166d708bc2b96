// One client request's trip upstream: pick a server, dispatch through its pool, stream the answer
// back, retry when allowed, and account exactly once. It is its own undici dispatch handler (the
// raw-header callbacks, which undici 7 calls without a wrapper) and its own balancer PickContext,
// so a request allocates no closures.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { PickContext } from '../balancer/types.ts';
import { recordTtfb, type Server } from '../core/server.ts';
import type { ServiceSnapshot } from '../topology/snapshot.ts';
import type { ListenerContext } from './context.ts';
import { responseHeaders } from './headers.ts';
import { classify, failureCode, mayRetry, type FailureKind } from './retry.ts';
import { sendError } from './respond.ts';

const kExchange = Symbol('mooring.exchange');
type Tagged<T> = T & { [kExchange]?: Exchange };

/** Why Mooring itself ended the upstream call; tells onError what to answer. */
class Cancelled extends Error {
  constructor(readonly reason: 'client-gone' | 'deadline' | 'body-too-large') {
    super(`upstream call cancelled: ${reason}`);
  }
}

export class Exchange implements PickContext, Dispatcher.DispatchHandler {
  attempt = 0;
  private tried: Server[] | undefined;
  private server: Server | undefined;
  private abortUpstream: ((err?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private reachedServer = false;
  private responding = false;
  private finished = false;
  private cancelled: Cancelled | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private sentAt = 0;
  private bodyBytes = 0;
  private unreachedOnly = true;
  private lastFailure: FailureKind | undefined;

  constructor(
    private readonly ctx: ListenerContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly service: ServiceSnapshot,
    private readonly headers: string[],
    private readonly hasBody: boolean,
    readonly key: string | undefined,
  ) {
    ctx.activity.requests++;
    (res as Tagged<ServerResponse>)[kExchange] = this;
    res.once('close', onResponseClose);
  }

  eligible(server: Server): boolean {
    return this.service.isAvailable(server) && (this.tried === undefined || !this.tried.includes(server));
  }

  start(): void {
    const server = this.service.balancer.pick(this);
    if (!server) return this.answerFailure();
    this.server = server;
    server.load.inflight++;
    this.reachedServer = false;
    this.abortUpstream = undefined;
    this.sentAt = performance.now();
    const { connect, response } = this.ctx.timeouts;
    // Overall deadline: covers waiting in the pool's queue, which undici's own timers do not.
    this.deadline = setTimeout(onDeadline, connect + response + 1000, this);
    this.service.pools.get(server).dispatch(
      { path: this.req.url!, method: this.req.method as Dispatcher.HttpMethod, headers: this.headers, body: this.hasBody ? this.req : null },
      this,
    );
  }

  // --- undici callbacks ---

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    this.reachedServer = true;
    if (this.cancelled) abort(this.cancelled);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx interim answers are not relayed
    clearTimeout(this.deadline);
    recordTtfb(this.server!.load, performance.now() - this.sentAt);
    this.resumeUpstream = resume;
    try {
      this.res.writeHead(statusCode, responseHeaders(rawHeaders));
    } catch (err) {
      // Header bytes node refuses to send: the server answered garbage.
      this.abortUpstream?.(err as Error);
      return false;
    }
    this.responding = true;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', onResponseDrain);
    return false;
  }

  onComplete(): void {
    this.release();
    this.res.end();
    this.finish();
  }

  /** undici 7 passes the chunk itself here (its typings say a size). */
  onBodySent(chunk: Buffer | string | number): void {
    this.bodyBytes += typeof chunk === 'number' ? chunk : chunk.length;
    if (this.bodyBytes > this.ctx.limits.maxBodyBytes && !this.cancelled) {
      this.cancel(new Cancelled('body-too-large'));
    }
  }

  onError(err: Error): void {
    this.release();
    if (this.finished) return;
    if (this.responding) {
      // The answer already began: a clean end would pass off a truncated body as whole.
      this.res.destroy(err);
      return this.finish();
    }
    if (this.cancelled) return this.answerCancelled(this.cancelled);
    const code = (err as { code?: string }).code;
    if (!this.reachedServer && (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED')) {
      // undici refused the request itself before sending anything: the client's request is at fault.
      return this.answer('MOORING_BAD_REQUEST', true);
    }
    const kind = classify(err);
    this.lastFailure = kind;
    if (this.reachedServer) this.unreachedOnly = false;
    this.ctx.log.warn({ server: this.server?.id ?? this.tried?.at(-1)?.id, kind, err: err.message, attempt: this.attempt }, 'upstream attempt failed');
    if (this.attempt < this.service.retries && mayRetry(kind, this.reachedServer, this.req.method!, this.hasBody)) {
      this.attempt++;
      return this.start();
    }
    this.answerFailure();
  }

  // --- internals ---

  /** Ends this attempt's hold on its server (once per attempt). */
  private release(): void {
    clearTimeout(this.deadline);
    const server = this.server;
    if (!server) return;
    server.load.inflight--;
    (this.tried ??= []).push(server);
    this.server = undefined;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadline);
    this.ctx.activity.requests--;
  }

  cancel(reason: Cancelled): void {
    if (this.finished) return;
    this.cancelled = reason;
    if (this.abortUpstream) return this.abortUpstream(reason);
    // Still queued in the pool: undici gives no handle to abort it yet; answer now, abort on connect.
    this.release();
    this.answerCancelled(reason);
  }

  private answerCancelled(reason: Cancelled): void {
    if (reason.reason === 'client-gone') return this.finish();
    if (this.responding) {
      this.res.destroy();
      return this.finish();
    }
    this.answer(reason.reason === 'deadline' ? 'MOORING_UPSTREAM_TIMEOUT' : 'MOORING_BODY_TOO_LARGE', true);
  }

  /**
   * Every try failed, or none could start. When no server is left and none was even reached, no
   * server is available (503); otherwise the last failure names the answer (502 or 504).
   */
  private answerFailure(): void {
    const kind = this.lastFailure;
    const noneLeft = !this.service.servers.some((s) => this.eligible(s));
    if (kind === undefined || (noneLeft && this.unreachedOnly)) return this.answer('MOORING_NO_SERVER', false);
    this.answer(failureCode[kind], false);
  }

  private answer(code: Parameters<typeof sendError>[1], close: boolean): void {
    sendError(this.res, code, undefined, close || (this.hasBody && !this.req.complete));
    this.finish();
  }

  resumeAfterDrain(): void {
    this.resumeUpstream?.();
  }

  clientClosed(): void {
    if (!this.finished) this.cancel(new Cancelled('client-gone'));
  }

  deadlinePassed(): void {
    if (!this.responding) this.cancel(new Cancelled('deadline'));
  }
}

// Shared listeners: `this` is the emitter, the exchange hangs off it (no per-request closures).
function onResponseClose(this: Tagged<ServerResponse>): void {
  this[kExchange]?.clientClosed();
}
function onResponseDrain(this: Tagged<ServerResponse>): void {
  this[kExchange]?.resumeAfterDrain();
}
function onDeadline(exchange: Exchange): void {
  exchange.deadlinePassed();
}
