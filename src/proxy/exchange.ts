// One client request's trip upstream, the orchestrator of its attempts: ask its Routing for a
// server, send an Attempt there, stream the answer back to the client, try again when allowed,
// commit the session, and account exactly once. Shared listeners hang off the response, so a
// request allocates no closures; each try is one Attempt object (attempt.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { UpstreamError } from '../upstream/client.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Server } from '../core/server.ts';
import { Attempt, type AttemptOwner } from './attempt.ts';
import type { ListenerContext } from './context.ts';
import { responseHeaders } from './headers.ts';
import { failureOf, perTryEligible } from './retry.ts';
import { sendError } from './respond.ts';
import type { DeadlineList } from './deadlines.ts';
import type { Routing } from './routing.ts';
import type { Waiter } from '../core/wait-queue.ts';
import type { Body } from './body-buffer.ts';
import type { Ending, RequestRecord } from '../observe/record.ts';
import { routedRecord } from './records.ts';

const kExchange = Symbol('mooring.exchange');
type Tagged<T> = T & { [kExchange]?: Exchange };

/** Why Mooring itself ended the upstream call; tells onError what to answer. */
class Cancelled extends Error {
  constructor(readonly reason: 'client-gone' | 'client-too-slow' | 'deadline' | 'body-too-large') {
    super(`upstream call cancelled: ${reason}`);
  }

  /** The client's side ended it (it left, or was cut for reading too slowly): how the record ends. */
  get clientEnding(): 'client-gone' | 'client-too-slow' | undefined {
    return this.reason === 'client-gone' || this.reason === 'client-too-slow' ? this.reason : undefined;
  }
}

export class Exchange implements AttemptOwner, Waiter {
  /** The try under way, or the last one. */
  private attempt: Attempt | undefined;
  private responding = false;
  private finished = false;
  private waiting = false;
  private cancelled: Cancelled | undefined;
  /** The wait for room (onOverload: queue); each attempt's deadline is in ctx.deadlines. */
  private timer: NodeJS.Timeout | undefined;
  private bodyBytes = 0;
  private body: Body | null = null;
  // For the record: when it began, was first dispatched and first answered; bytes sent back.
  private readonly startedAt = performance.now();
  /** The list the attempts' deadlines live in, kept even if a reload brings a new one. */
  private readonly deadlines: DeadlineList;
  private dispatchedAt = -1;
  private answeredAt = -1;
  private bytesOut = 0;
  private lastServer: Server | undefined;
  /** Set while the client does not take the answer as fast as it comes (backpressure). */
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ListenerContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly headers: string[],
    private readonly hasBody: boolean,
    readonly routing: Routing,
  ) {
    ctx.activity.requests++;
    this.deadlines = ctx.deadlines;
    (res as Tagged<ServerResponse>)[kExchange] = this;
    res.on('close', onResponseClose); // a response closes once; `on` spares once()'s wrapper
  }

  /** Starts the exchange once the request body (whole, or its first part and then a stream) is in hand. */
  begin(body: Body | null): void {
    if (this.finished) return; // the client left while its body was being read
    this.body = body;
    this.start();
  }

  /** Chooses a server and sends the request, or waits for room, or answers why not. */
  private start(): void {
    const choice = this.routing.choose();
    if ('server' in choice) return this.dispatch(choice.server);
    if ('refuse' in choice) return this.answer(choice.refuse);
    this.waitForRoom();
  }

  private dispatch(server: Server): void {
    const { routing } = this;
    const attempt = new Attempt(server, routing.service, this.deadlines, this);
    // An upload larger than the read-ahead streams in at the client's pace, holding the connection:
    // refused when slow clients already hold all they may of this server's pool.
    const { body } = this;
    if (body instanceof Readable && !body.readableEnded) {
      if (!attempt.holdAsSlow()) return this.answer('MOORING_OVERLOADED', true);
      (body as Tagged<Readable>)[kExchange] = this;
      body.once('end', onUploadEnd);
    }
    routing.sending(server, this.headers);
    this.attempt = attempt;
    this.lastServer = server;
    if (this.dispatchedAt < 0) this.dispatchedAt = attempt.sentAt;
    attempt.send({ path: this.req.url!, method: this.req.method!, headers: this.headers, body: this.body, answerTimeout: this.perTry(routing) });
  }

  /** The per-try answer timeout (retryOn: [timeout]), for an idempotent request without a body. */
  private perTry(routing: Routing): number | undefined {
    const ms = this.ctx.timeouts.perTry;
    return ms !== undefined && routing.service.retryOnTimeout && perTryEligible(this.req.method!, this.hasBody) ? ms : undefined;
  }

  // --- waiting for room (onOverload: queue) ---

  private waitForRoom(): void {
    this.waiting = true;
    this.routing.service.runtime.queue.add(this);
    this.timer = setTimeout(onQueueTimeout, this.ctx.timeouts.queue, this);
  }

  get waitsFor(): string | undefined {
    return this.routing.pinned;
  }

  tryAgain(): boolean {
    if (this.finished) return true;
    const choice = this.routing.choose();
    if ('wait' in choice) return false;
    this.stopWaiting();
    if ('server' in choice) this.dispatch(choice.server);
    else this.answer(choice.refuse);
    return true;
  }

  private stopWaiting(): void {
    if (!this.waiting) return;
    this.waiting = false;
    clearTimeout(this.timer);
    this.routing.service.runtime.queue.remove(this);
  }

  queueTimedOut(): void {
    this.stopWaiting();
    this.answer('MOORING_QUEUE_TIMEOUT');
  }

  // --- what the attempt reports ---

  answerHead(attempt: Attempt, statusCode: number, rawHeaders: readonly (Buffer | string)[]): boolean {
    const { server } = attempt;
    this.answeredAt = performance.now();
    const response = responseHeaders(rawHeaders);
    if (response === undefined) {
      attempt.abort(new UpstreamError('bad-answer', 'transfer coding other than chunked'));
      return false;
    }
    // A 204 has no body and must not say it has a length (RFC 9110 §8.6).
    if (statusCode === 204) stripContentLength(response);
    this.routing.answered(server, statusCode, response);
    // The server answered before the whole upload arrived (a 401 to an upload, say): the client drops
    // the rest of the request stream, which would leave the client's next request on this
    // connection unread until timeouts.idle. Close the connection after this answer instead.
    if (this.hasBody && !this.req.complete) response.push('connection', 'close');
    try {
      this.res.writeHead(statusCode, response);
    } catch (err) {
      // Header bytes node refuses to send: the server answered garbage.
      attempt.abort(new UpstreamError('bad-answer', (err as Error).message, { cause: err }));
      return false;
    }
    this.responding = true;
    if (statusCode === 204 || statusCode === 304 || this.req.method === 'HEAD') {
      // No body may follow, whatever Content-Length says (RFC 9110 allows it on a 304 and a HEAD):
      // the client's answer is whole now. The upstream client may still call its Content-Length a mismatch.
      this.res.end();
      this.finish('complete');
    }
    return true;
  }

  answerData(attempt: Attempt, chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    const { res } = this;
    // Up to bufferResponseBytes are read ahead of the client: a short answer frees its connection
    // at once however slowly the client reads.
    if (res.write(chunk) || res.writableLength <= this.ctx.limits.bufferResponseBytes) return true;
    // Further behind, the client holds the connection until it catches up: allowed within the
    // pool's share for slow clients; beyond it the client is cut, keeping the reserve for others.
    if (!attempt.holdAsSlow()) {
      this.cancelled = new Cancelled('client-too-slow');
      res.destroy();
      return false;
    }
    res.once('drain', onResponseDrain);
    // A client that stops reading is closed after timeouts.idle, freeing its upstream connection.
    this.stallTimer ??= setTimeout(onClientStalled, this.ctx.timeouts.idle, this);
    return false;
  }

  answerEnd(): void {
    this.res.end();
    this.finish('complete');
  }

  bodySent(_attempt: Attempt, bytes: number): boolean {
    this.bodyBytes += bytes;
    if (this.bodyBytes <= this.ctx.limits.maxBodyBytes || this.cancelled) return true;
    this.cancel(new Cancelled('body-too-large'));
    return false;
  }

  attemptFailed(attempt: Attempt, err: Error): void {
    const { server } = attempt;
    if (this.finished) return;
    if (this.responding) {
      // The answer already began: a clean end would pass off a truncated body as whole.
      this.res.destroy(err);
      return this.finish(this.cancelled?.clientEnding ?? 'broken');
    }
    const { routing } = this;
    if (this.cancelled) {
      // The allowance ran out: the server's fault only if it had the request for as long as a server
      // may take to answer; otherwise the time went waiting in line for a connection (a flash crowd).
      if (this.cancelled.reason === 'deadline' && performance.now() - attempt.connectedAt >= this.ctx.timeouts.response) routing.reportFailure(server, 'timeout');
      return this.answerCancelled(this.cancelled);
    }
    const kind = err instanceof UpstreamError ? err.kind : 'reset-before-answer';
    // The client refused the request itself before sending anything: the client's request is at fault.
    if (kind === 'bad-request') return this.answer('MOORING_BAD_REQUEST', true);
    this.ctx.log.warn({ server: server.id, kind: failureOf(kind), err: err.message, attempt: routing.attempt }, 'upstream attempt failed');
    if (routing.attemptFailed(server, kind, attempt.reachedServer, this.req.method!, this.hasBody)) return this.start();
    this.answer(routing.failure());
  }

  deadlinePassed(): void {
    if (!this.responding) this.cancel(new Cancelled('deadline'));
  }

  // --- internals ---

  private finish(ended: Ending): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.stallTimer);
    this.stopWaiting();
    this.ctx.activity.requests--;
    this.ctx.records?.(this.record(ended));
  }

  private record(ended: Ending): RequestRecord {
    const { res } = this;
    return routedRecord('request', this.ctx, this.req, this.routing, this.startedAt, {
      status: res.headersSent ? res.statusCode : 0,
      server: this.lastServer,
      ended,
      bytesIn: this.bodyBytes,
      bytesOut: this.bytesOut,
      dispatchedAt: this.dispatchedAt,
      answeredAt: this.answeredAt,
    });
  }

  private cancel(reason: Cancelled): void {
    if (this.finished) return;
    this.cancelled = reason;
    const { attempt } = this;
    if (attempt?.abort(reason)) return;
    // Waiting for room, or still queued in the pool (the client gives no handle to abort it yet):
    // answer now; an upstream call that connects later is aborted by its attempt.
    attempt?.release();
    this.answerCancelled(reason);
  }

  private answerCancelled(reason: Cancelled): void {
    if (reason.clientEnding) return this.finish(reason.clientEnding);
    if (this.responding) {
      this.res.destroy();
      return this.finish('broken');
    }
    this.answer(reason.reason === 'deadline' ? 'MOORING_UPSTREAM_TIMEOUT' : 'MOORING_BODY_TOO_LARGE', true);
  }

  private answer(code: ErrorCode, close = false): void {
    const extra = code === 'MOORING_OVERLOADED' || code === 'MOORING_QUEUE_TIMEOUT' || code === 'MOORING_SESSION_SERVER_BUSY' ? ['retry-after', String(Math.ceil(this.ctx.timeouts.queue / 1000))] : undefined;
    sendError(this.res, code, this.debugExtra(extra), close || (this.hasBody && !this.req.complete));
    this.finish('mooring-answer');
  }

  private debugExtra(extra: string[] | undefined): string[] | undefined {
    if (!this.routing.service.policy.debugHeader) return extra;
    return [...(extra ?? []), 'mooring-decision', `${this.routing.decision}; server=-`];
  }

  resumeAfterDrain(): void {
    this.attempt?.releaseSlowHold(); // caught up
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.attempt?.resume();
  }

  uploadEnded(): void {
    this.attempt?.releaseSlowHold();
  }

  clientStalled(): void {
    this.stallTimer = undefined;
    this.res.destroy(); // its 'close' cancels the upstream call
  }

  clientClosed(): void {
    if (!this.finished) this.cancel(this.cancelled ?? new Cancelled('client-gone'));
  }
}

function stripContentLength(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === 'content-length') headers.splice(i, 2);
}

// Shared listeners: `this` is the emitter, the exchange hangs off it (no per-request closures).
function onResponseClose(this: Tagged<ServerResponse>): void {
  this[kExchange]?.clientClosed();
}
function onResponseDrain(this: Tagged<ServerResponse>): void {
  this[kExchange]?.resumeAfterDrain();
}
function onUploadEnd(this: Tagged<Readable>): void {
  this[kExchange]?.uploadEnded();
}
function onClientStalled(exchange: Exchange): void {
  exchange.clientStalled();
}
function onQueueTimeout(exchange: Exchange): void {
  exchange.queueTimedOut();
}
