// A request body streamed to a server: written at the socket's pace (the body pauses while the
// socket's buffer is full and resumes when it drains), with the client's length, or re-framed as
// chunked when the client's was chunked (the client's own framing bytes never pass on).
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** What the connection hears of its upload. */
export interface UploadEvents {
  /** `bytes` of the body were written (before any chunk framing). */
  uploaded(bytes: number): void;
  /** The body stream broke: the request cannot be completed. */
  uploadFailed(err: Error): void;
}

export class BodyUpload {
  private body: Readable | undefined;

  constructor(
    private readonly socket: Socket,
    body: Readable,
    private readonly chunked: boolean,
    private readonly events: UploadEvents,
  ) {
    this.body = body;
    body.on('data', this.onData);
    body.on('end', this.onEnd);
    body.on('error', this.onError);
    if (body.destroyed) this.onError((body.errored as Error | null) ?? new Error('the body stream was closed'));
    else body.resume();
  }

  /** The body has not all been written yet. */
  get running(): boolean {
    return this.body !== undefined;
  }

  /** The socket's buffer emptied: the body may go on. */
  drained(): void {
    this.body?.resume();
  }

  /** Stops listening to the body (it ended, or the call is over). */
  stop(): void {
    const body = this.body;
    if (!body) return;
    this.body = undefined;
    body.off('data', this.onData);
    body.off('end', this.onEnd);
    body.off('error', this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    const { socket } = this;
    let room: boolean;
    if (this.chunked) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      room = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else room = socket.write(chunk);
    this.events.uploaded(chunk.length);
    // Stopped by what the connection heard (an abort): nothing to pause.
    if (!room) this.body?.pause();
  };

  private readonly onEnd = (): void => {
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.stop();
  };

  private readonly onError = (err: Error): void => {
    this.stop();
    this.events.uploadFailed(err);
  };
}
