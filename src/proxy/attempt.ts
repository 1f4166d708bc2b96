// One try of a request (or an upgrade) on one server: the upstream client's handler for that call.
// It counts the server's load while the try lasts (released exactly once), keeps the call's overall
// deadline and the slow-client hold on the server's pool, and hands what the server says to its
// owner (the Exchange, or a WebSocket upgrade's), which decides what the client gets and whether to
// try again.
import { recordTtfb, type Server } from '../core/server.ts';
import type { WaitQueue } from '../core/wait-queue.ts';
import type { Duplex } from 'node:stream';
import type { UpgradeHandler, UpstreamClient, UpstreamRequest } from '../upstream/client.ts';
import type { DeadlineEntry, DeadlineList } from './deadlines.ts';

/** What an attempt needs of its service: the load it counts, the client it sends through. */
export interface AttemptService {
  acquire(server: Server): void;
  /** The other half of acquire(), exactly once per acquire. */
  release(server: Server): void;
  readonly runtime: { readonly upstream: UpstreamClient; readonly queue: WaitQueue };
}

/** Where an attempt reports; each call names the attempt, so a late report of an old try is recognisable. */
export interface AttemptOwner {
  /** The server's answer head; false stops reading it (the call is aborted or paused). */
  answerHead(attempt: Attempt, status: number, rawHeaders: readonly (Buffer | string)[]): boolean;
  /** A piece of the answer's body; false: paused until resume(). */
  answerData(attempt: Attempt, chunk: Buffer): boolean;
  /** The answer is whole (the server is released already). */
  answerEnd(attempt: Attempt): void;
  /** Request body bytes went out; false: the owner cancelled the call. */
  bodySent(attempt: Attempt, bytes: number): boolean;
  /** The try failed (the server is released already). */
  attemptFailed(attempt: Attempt, err: Error): void;
  /** The overall deadline passed. */
  deadlinePassed(attempt: Attempt): void;
  /** An upgrade's server switched protocols: `socket` is the owner's, which releases the attempt once its tunnel closes. */
  upgraded?(attempt: Attempt, status: number, rawHeaders: readonly (Buffer | string)[], socket: Duplex, head: Buffer): void;
}

export class Attempt implements UpgradeHandler, DeadlineEntry {
  deadlineAt = 0;
  previousDeadline: DeadlineEntry | undefined = undefined;
  nextDeadline: DeadlineEntry | undefined = undefined;
  hasDeadline = false;
  /** A connection took the request: the server may have seen it. */
  reachedServer = false;
  /** When a connection took it (after any wait in the pool's line); 0: not yet. */
  connectedAt = 0;
  readonly sentAt = performance.now();
  private abortCall: ((reason: Error) => void) | undefined;
  private resumeCall: (() => void) | undefined;
  /** Why the owner cancelled it before a connection took it: the call is aborted as soon as one does. */
  private cancelledWith: Error | undefined;
  private released = false;
  private slowHeld = false;

  constructor(
    readonly server: Server,
    private readonly service: AttemptService,
    private readonly deadlines: DeadlineList,
    private readonly owner: AttemptOwner,
  ) {}

  /** Counts the server's load, starts the overall deadline (it covers any wait for a connection) and sends. */
  send(request: UpstreamRequest): void {
    this.service.acquire(this.server);
    this.deadlines.add(this, this.sentAt);
    this.service.runtime.upstream.dispatch(this.server, request, this);
  }

  /** Sends an upgrade on a connection of its own. No overall deadline: the client's connect and
   *  answer timeouts bound the handshake, and a tunnel has its own idle timeout. */
  sendUpgrade(request: UpstreamRequest): void {
    this.service.acquire(this.server);
    this.service.runtime.upstream.upgrade(this.server, request, this);
  }

  /** Aborts the call with `reason`: true when it was under way (its onError follows); false when no connection has it yet (it is aborted once one does). */
  abort(reason: Error): boolean {
    this.cancelledWith = reason;
    if (!this.abortCall) return false;
    this.abortCall(reason);
    return true;
  }

  /** Reads on after answerData returned false. */
  resume(): void {
    this.resumeCall?.();
  }

  /** Counts this try among its server's slow holds (a client slower than the answer holds the connection), unless the share is full (false). */
  holdAsSlow(): boolean {
    if (this.slowHeld) return true;
    const { load } = this.server;
    if (load.slowHolds >= this.service.runtime.upstream.slowHoldCap) return false;
    load.slowHolds++;
    this.slowHeld = true;
    return true;
  }

  releaseSlowHold(): void {
    if (!this.slowHeld) return;
    this.slowHeld = false;
    this.server.load.slowHolds--;
  }

  /** Ends this try's hold on its server (once), and lets a request waiting for room in. */
  release(): void {
    this.releaseSlowHold();
    this.deadlines.remove(this);
    if (this.released) return;
    this.released = true;
    this.service.release(this.server);
    const { queue } = this.service.runtime;
    if (queue.length > 0) queue.wake();
  }

  // --- the upstream client's callbacks ---

  onConnect(abort: (reason: Error) => void): void {
    this.abortCall = abort;
    this.reachedServer = true;
    this.connectedAt = performance.now();
    if (this.cancelledWith) abort(this.cancelledWith);
  }

  onHeaders(status: number, rawHeaders: readonly (Buffer | string)[], resume: () => void): boolean {
    this.deadlines.remove(this);
    recordTtfb(this.server.load, performance.now() - this.sentAt);
    this.resumeCall = resume;
    return this.owner.answerHead(this, status, rawHeaders);
  }

  onData(chunk: Buffer): boolean {
    return this.owner.answerData(this, chunk);
  }

  onComplete(): void {
    this.release();
    this.owner.answerEnd(this);
  }

  onBodySent(bytes: number): void {
    // The server's time to answer counts from the last byte sent: an upload still flowing is never
    // cut by the deadline (a stalled one is, by timeouts.idle on the client connection).
    if (this.owner.bodySent(this, bytes) && this.hasDeadline) this.deadlines.restart(this);
  }

  onError(err: Error): void {
    // After the owner gave the try up (released it), a late failure has nothing left to say.
    if (this.released) return;
    this.release();
    this.owner.attemptFailed(this, err);
  }

  onUpgrade(status: number, rawHeaders: readonly (Buffer | string)[], socket: Duplex, head: Buffer): void {
    if (this.owner.upgraded) return this.owner.upgraded(this, status, rawHeaders, socket, head);
    socket.destroy();
    this.onError(new Error('an upgrade answered a request that asked for none'));
  }

  deadlinePassed(): void {
    this.owner.deadlinePassed(this);
  }
}
