// One request's passage through a pool: queued, then run on a connection. Its `abort` is what the
// handler holds; it reaches whichever connection runs the call at that moment.
import type { UpgradeHandler, UpstreamHandler, UpstreamRequest } from './client.ts';

/** Methods a request may be sent again for, when it has no body (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

function ignoreError(): void {}

export interface CallRunner {
  abortCall(call: Call, reason: Error): void;
}

export class Call {
  /** The connection running the call, while one does. */
  runner: CallRunner | undefined;
  /** Sent again once already, after a reused connection turned out closed. */
  replayed = false;
  readonly abort = (reason: Error): void => this.runner?.abortCall(this, reason);

  constructor(
    readonly request: UpstreamRequest,
    readonly handler: UpstreamHandler,
    /** Set for an upgrade request: who hears the switch. */
    readonly upgrade?: UpgradeHandler,
  ) {
    // A streamed body that breaks while the call waits, or after its connection let go of it, must
    // not crash the process: the connection running it hears the error through its own listener.
    const { body } = request;
    if (body !== null && !Buffer.isBuffer(body)) body.on('error', ignoreError);
  }

  /** May go again on a fresh connection when a reused one closed before any answer. */
  get replayable(): boolean {
    return !this.replayed && !this.upgrade && this.request.body === null && IDEMPOTENT.has(this.request.method);
  }
}
