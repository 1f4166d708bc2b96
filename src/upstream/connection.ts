// One keep-alive connection to a server, running one call at a time (no pipelining): it writes the
// head in one piece, streams the body at the socket's pace, parses the answer with llhttp and
// hands it over, then goes back to its pool — or is discarded when the answer left any doubt
// about where the next one would begin.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { BodyUpload, type UploadEvents } from './body-upload.ts';
import { socketFailure, UpstreamError } from './client.ts';
import type { Call, CallRunner } from './call.ts';
import { ResponseParser, type NativeParserClass, type ParseError, type ParserEvents } from './llhttp.ts';
import { wireHead } from './request-head.ts';

/** Where and how a pool's connections connect. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** The name a TLS server is asked for and checked against (SNI); unset for an IP address. */
  readonly servername: string | undefined;
  /** The CAs trusted for a TLS server; undefined: the system's. */
  readonly ca: Buffer[] | undefined;
  /** False: a TLS server's certificate is not checked. */
  readonly verify: boolean;
}

/** What a connection needs of its pool. */
export interface ConnectionPool {
  readonly endpoint: Endpoint;
  readonly parserClass: NativeParserClass;
  readonly maxHeaderBytes: number;
  /** Keep-alive: how long an idle connection is kept (milliseconds). */
  readonly keepAliveMs: number;
  /** An answer ended: the connection may take another call (reusable) or must be closed. */
  answered(connection: Connection, reusable: boolean): void;
  /** The socket closed (whatever the reason): forget the connection. */
  closed(connection: Connection): void;
  /** A safe request met a reused connection the server had closed: send it on a fresh one. */
  replay(call: Call): void;
}

/** A server's Keep-Alive hint is trusted up to this long before its own end (as undici does). */
const KEEP_ALIVE_MARGIN_MS = 1000;

type Phase = 'connecting' | 'busy' | 'idle' | 'closed';

/** The last Keep-Alive value read and its timeout: a server sends the same one on every answer, so it is parsed once. */
let lastHint = '';
let lastHintSeconds: number | undefined;

function keepAliveSeconds(value: string): number | undefined {
  if (value !== lastHint) {
    const seconds = /timeout\s*=\s*(\d+)/i.exec(value)?.[1];
    lastHint = value;
    lastHintSeconds = seconds === undefined ? undefined : Number(seconds);
  }
  return lastHintSeconds;
}

export class Connection implements ParserEvents, CallRunner, UploadEvents {
  readonly socket: Socket;
  private readonly parser: ResponseParser;
  phase: Phase = 'connecting';
  /** When the connection last made progress (performance.now()), for the pool's timeouts. */
  activeAt = performance.now();
  /** How long it may stay idle: the pool's keep-alive, or less when the server says so. */
  keepAliveMs: number;
  private call: Call | undefined;
  /** The call the connection was opened for, until it connects. */
  private owner: Call | undefined;
  /** Answers completed on this connection. */
  private served = 0;
  private written = false;
  private answered = false;
  private interim = false;
  private completed = false;
  private reusable = true;
  private received = 0;
  private paused = false;
  private parsing = false;
  private skipBody = false;
  /** The request body being streamed, if any. */
  private upload: BodyUpload | undefined;
  private failure: Error | undefined;
  /** The 101 to an upgrade request, while its head is being parsed. */
  private switched: { status: number; headers: string[] } | undefined;

  constructor(
    private readonly pool: ConnectionPool,
    owner: Call,
  ) {
    this.owner = owner;
    this.keepAliveMs = pool.keepAliveMs;
    const { host, port, tls, servername, ca, verify } = pool.endpoint;
    const socket = tls ? tlsConnect({ host, port, servername, ca, rejectUnauthorized: verify, ALPNProtocols: ['http/1.1'] }) : netConnect({ host, port });
    socket.setNoDelay(true);
    socket.on(tls ? 'secureConnect' : 'connect', this.onConnected);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    socket.on('drain', this.onSocketDrain);
    this.socket = socket;
    this.parser = new ResponseParser(pool.parserClass, this, pool.maxHeaderBytes);
  }

  // --- running a call ---

  /** Sends `call` on this connection; false when its handler aborted it at once (nothing was written). */
  run(call: Call): boolean {
    this.phase = 'busy';
    this.call = call;
    call.runner = this;
    this.written = this.answered = this.interim = this.completed = this.paused = false;
    this.received = 0;
    const { request } = call;
    this.skipBody = request.method === 'HEAD';
    call.handler.onConnect(call.abort);
    if (this.call !== call) return false;
    const head = request.wire ?? wireHead(request, call.upgrade !== undefined);
    const { body } = request;
    const { socket } = this;
    this.written = true;
    this.activeAt = performance.now();
    this.upload = undefined;
    if (body === null) socket.write(head.text, 'latin1');
    else if (Buffer.isBuffer(body)) {
      socket.cork();
      socket.write(head.text, 'latin1');
      socket.write(body);
      socket.uncork();
      call.handler.onBodySent(body.length);
    } else {
      socket.write(head.text, 'latin1');
      this.upload = new BodyUpload(socket, body, head.chunked, this);
    }
    return true;
  }

  abortCall(call: Call, reason: Error): void {
    if (this.call !== call) return;
    this.detach(call);
    // Aborted before a byte was written (in onConnect): the connection is as clean as before.
    if (this.written) this.discard();
    call.handler.onError(reason);
  }

  private detach(call: Call): void {
    this.call = undefined;
    call.runner = undefined;
    this.upload?.stop();
  }

  /** Fails the running call with `err`; the connection cannot be trusted after it. */
  private fail(err: Error): void {
    const call = this.call;
    this.discard();
    if (!call) return;
    this.detach(call);
    call.handler.onError(err);
  }

  private discard(): void {
    this.reusable = false;
    if (this.phase !== 'closed') this.socket.destroy();
  }

  /** Closes the connection (idle, a pool closing, a timeout): a running call fails with `reason`. */
  close(reason?: UpstreamError): void {
    if (reason) this.failure ??= reason;
    this.discard();
  }

  // --- the request body, streamed ---

  uploaded(bytes: number): void {
    this.activeAt = performance.now();
    this.call?.handler.onBodySent(bytes);
  }

  uploadFailed(err: Error): void {
    // The client's upload broke: the request is at fault, not the server.
    this.fail(new UpstreamError('bad-request', `the request body failed: ${err.message}`, { cause: err }));
  }

  private readonly onSocketDrain = (): void => {
    this.upload?.drained();
  };

  // --- the answer ---

  private readonly resume = (): void => {
    if (!this.paused) return;
    this.paused = false;
    this.activeAt = performance.now();
    this.socket.resume();
  };

  onBegin(): void {
    // Bytes after the answer's end, or while no request was out: the server's framing cannot be trusted.
    if (!this.call || this.completed) this.reusable = false;
  }

  onHead(status: number, headers: string[], keepAlive: boolean, upgrade: boolean): number {
    const call = this.call;
    if (!call || this.completed) return -1;
    if (status < 100) {
      this.fail(new UpstreamError('bad-answer', `status ${status}: below 100, not an HTTP status`));
      return -1;
    }
    if (status < 200 && status !== 101) {
      this.interim = true; // 100 Continue, 103 Early Hints…: not passed on
      return 0;
    }
    if (status === 101 || upgrade) {
      if (status === 101 && call.upgrade) {
        this.switched = { status, headers };
        return 2; // no body: what follows is the tunnel's
      }
      this.fail(new UpstreamError('bad-answer', `a ${status} (upgrade) to a request that did not ask to upgrade`));
      return -1;
    }
    // A declined upgrade: the server may still expect the other protocol, so the connection ends here.
    if (call.upgrade) this.reusable = false;
    this.answered = true;
    this.activeAt = performance.now();
    if (!keepAlive) this.reusable = false;
    else this.readKeepAliveHint(headers);
    if (!call.handler.onHeaders(status, headers, this.resume) && this.call === call) this.pause();
    if (this.call !== call) return -1;
    return this.skipBody ? 1 : 0;
  }

  onBody(chunk: Buffer): void {
    const call = this.call;
    if (!call) return;
    if (!call.handler.onData(chunk) && this.call === call) this.pause();
  }

  onEnd(): void {
    if (this.interim) {
      this.interim = false;
      return;
    }
    // The 101's head ends its message: the tunnel takes over once the parse returns.
    if (this.switched) return;
    const call = this.call;
    if (!call) return;
    this.completed = true;
    this.served++;
    // Paused for a slow reader of this answer: the next answer must be read whatever happened to this one.
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    // The server answered before the whole body was sent: the rest can never go on this connection.
    if (this.upload?.running) this.reusable = false;
    this.detach(call);
    call.handler.onComplete();
    if (!this.parsing) this.afterAnswer();
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  /** `Keep-Alive: timeout=N` from the server: close before it does. */
  private readKeepAliveHint(headers: string[]): void {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
      const seconds = keepAliveSeconds(headers[i + 1]!);
      if (seconds === undefined) return;
      const ms = seconds * 1000 - KEEP_ALIVE_MARGIN_MS;
      if (ms <= 0) this.reusable = false;
      else this.keepAliveMs = Math.min(this.pool.keepAliveMs, ms);
      return;
    }
  }

  private afterAnswer(): void {
    this.completed = false;
    this.pool.answered(this, this.reusable && this.phase === 'busy');
  }

  // --- the socket ---

  private readonly onConnected = (): void => {
    const owner = this.owner!;
    this.owner = undefined;
    this.activeAt = performance.now();
    if (!this.run(owner)) this.pool.answered(this, true);
  };

  private readonly onSocketData = (data: Buffer): void => {
    if (!this.call) {
      // Bytes while no request is out: nothing they could belong to.
      this.discard();
      return;
    }
    this.received += data.length;
    this.activeAt = performance.now();
    this.parsing = true;
    const parsed = this.parser.execute(data);
    this.parsing = false;
    if (typeof parsed !== 'number') this.failParse(parsed);
    else if (this.switched) this.handOver(data.subarray(parsed));
    if (this.completed) this.afterAnswer();
  };

  /** The server switched protocols: the socket is the tunnel's from here on. */
  private handOver(head: Buffer): void {
    const call = this.call!;
    const { status, headers } = this.switched!;
    this.switched = undefined;
    const { socket } = this;
    socket.off('data', this.onSocketData);
    socket.off('end', this.onSocketEnd);
    socket.off('error', this.onSocketError);
    socket.off('close', this.onSocketClose);
    socket.off('drain', this.onSocketDrain);
    this.detach(call);
    this.phase = 'closed';
    this.parser.close();
    this.pool.closed(this);
    call.upgrade!.onUpgrade(status, headers, socket, head);
  }

  private failParse(err: ParseError): void {
    this.reusable = false;
    this.fail(new UpstreamError('bad-answer', `the server's answer broke HTTP/1.1 (${err.code}${err.reason ? `: ${err.reason}` : ''})`, { cause: err }));
  }

  private readonly onSocketEnd = (): void => {
    this.reusable = false;
    if (!this.call) return;
    // A close-delimited answer ends here; any other is cut short.
    this.parsing = true;
    const err = this.parser.finish();
    this.parsing = false;
    if (this.completed) this.afterAnswer();
    else if (err && this.answered) this.fail(new UpstreamError('reset-mid-answer', `the server closed the connection before the end of its answer (${err.code})`, { cause: err }));
  };

  private readonly onSocketError = (err: Error): void => {
    this.failure ??= err;
  };

  private readonly onSocketClose = (): void => {
    this.phase = 'closed';
    this.upload?.stop();
    this.parser.close();
    this.pool.closed(this);
    const owner = this.owner;
    if (owner) {
      // Never connected: the call it was opened for fails as a connect failure.
      this.owner = undefined;
      return owner.handler.onError(socketFailure(this.failure ?? new Error('the connection closed while connecting'), false));
    }
    const call = this.call;
    if (!call) return;
    this.detach(call);
    // A reused connection the server had closed as the request went out: nothing reached an answer.
    if (!this.answered && this.received === 0 && this.served > 0 && call.replayable && !(this.failure instanceof UpstreamError)) {
      call.replayed = true;
      return this.pool.replay(call);
    }
    const failure = this.failure ?? new Error(this.answered ? 'the server closed the connection mid-answer' : 'the server closed the connection before answering');
    call.handler.onError(socketFailure(failure, this.answered));
  };

  /** When an idle connection's keep-alive runs out (performance.now() ms). */
  get idleUntil(): number {
    return this.activeAt + this.keepAliveMs;
  }

  /** The pool's periodic check: a timeout that passed closes the connection. */
  sweep(now: number, timeouts: { readonly connect: number; readonly response: number; readonly idle: number }): void {
    const quiet = now - this.activeAt;
    if (this.phase === 'connecting') {
      if (quiet > timeouts.connect) this.close(new UpstreamError('connect-timeout', `no connection within ${timeouts.connect} ms`));
    } else if (this.phase === 'idle') {
      if (quiet > this.keepAliveMs) this.close();
    } else if (this.phase === 'busy' && this.call && !this.paused) {
      if (!this.answered) {
        const limit = this.call.request.answerTimeout ?? timeouts.response;
        if (quiet > limit) this.close(new UpstreamError('answer-timeout', `no answer within ${limit} ms`));
      } else if (quiet > timeouts.idle) this.close(new UpstreamError('idle-timeout', `the answer stalled for ${timeouts.idle} ms`));
    }
  }
}
