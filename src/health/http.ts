// type: http — one request per probe, no redirects followed; passes when the status is in
// `expect.status` and, when set, the body (its first 64 KiB) contains `expect.body` or matches it
// as /regex/. Probes go through the same upstream client as requests: each (server, monitor) keeps
// one keep-alive connection, as Envoy's checks do (a fresh connection per probe costs ~2× the CPU,
// measured in bench/probe-cpu.ts), and a reused connection that turns out closed is sent again on
// a fresh one by the client itself, so a keep-alive race never counts as a failure.
import { UpstreamError, type UpstreamClient, type UpstreamHandler, type UpstreamRequest, type UpstreamTarget } from '../upstream/client.ts';
import { makeUpstreamClient } from '../upstream/make-client.ts';
import { wireHead } from '../upstream/request-head.ts';
import type { MonitorKind, ProbeResult } from './monitor.ts';
import { deadlinesFor, type Deadlines, type Expiring } from './probe-deadlines.ts';
import type { MonitorConfig } from './schema.ts';

/** Most body bytes read for a body expectation. */
const BODY_LIMIT = 65_536;
/** An idle probe connection is kept this long (the server usually closes it sooner, and is then reconnected). */
const PROBE_KEEP_ALIVE_MS = 120_000;

function statusOk(status: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** Results that depend on the status alone, made once each (a probe a second per server made a new one every time). */
const byStatus = new Map<number, ProbeResult>();

function statusResult(status: number, ok: boolean): ProbeResult {
  const key = ok ? status : -status;
  let result = byStatus.get(key);
  if (!result) byStatus.set(key, (result = { ok, detail: `status ${status}` }));
  return result;
}

function judge(status: number, text: string | undefined, config: MonitorConfig): ProbeResult {
  const { body } = config.expect;
  if (!statusOk(status, config.expect.status)) return statusResult(status, false);
  if (text === undefined || body === undefined) return statusResult(status, true);
  const found = typeof body === 'string' ? text.includes(body) : body.test(text);
  return found ? { ok: true, detail: `status ${status}, body matched` } : { ok: false, detail: `status ${status}, body does not match ${String(body)}` };
}

/** One probe's hearing of the answer: its status and, when a body is expected, its first BODY_LIMIT bytes. */
class Probe implements UpstreamHandler, Expiring {
  private status = 0;
  private chunks: Buffer[] | undefined;
  private size = 0;
  private abort: ((reason: Error) => void) | undefined;
  private settled = false;
  readonly expiresAt: number;
  private readonly deadlines: Deadlines;

  constructor(
    private readonly config: MonitorConfig,
    private readonly owner: { running: Probe | undefined },
    private readonly done: (result: ProbeResult) => void,
  ) {
    this.expiresAt = performance.now() + config.timeout;
    this.deadlines = deadlinesFor(config.timeout);
    this.deadlines.add(this);
  }

  expire(): void {
    this.cut(`no answer within ${this.config.timeout}ms`);
  }

  cut(detail: string): void {
    this.finish({ ok: false, detail });
    this.abort?.(new UpstreamError('answer-timeout', detail));
  }

  private finish(result: ProbeResult): void {
    if (this.settled) return;
    this.settled = true;
    this.deadlines.release(this);
    if (this.owner.running === this) this.owner.running = undefined;
    this.done(result);
  }

  onConnect(abort: (reason: Error) => void): void {
    if (this.settled) return abort(new UpstreamError('answer-timeout', 'the probe ended before it was sent'));
    this.abort = abort;
  }

  onHeaders(status: number): boolean {
    this.status = status;
    if (this.config.expect.body !== undefined && this.config.method !== 'HEAD') this.chunks = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.chunks) return true;
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Enough read: judge now, and drop the rest with the connection.
    if (this.size >= BODY_LIMIT) {
      this.judge();
      this.abort?.(new UpstreamError('answer-timeout', 'body read up to the limit'));
    }
    return true;
  }

  onComplete(): void {
    this.judge();
  }

  private judge(): void {
    const text = this.chunks && Buffer.concat(this.chunks, this.size).subarray(0, BODY_LIMIT).toString('utf8');
    this.finish(judge(this.status, text, this.config));
  }

  onBodySent(): void {}

  onError(err: Error): void {
    this.finish({ ok: false, detail: err.message });
  }
}

export const httpMonitor: MonitorKind = {
  type: 'http',
  build(config) {
    // One keep-alive connection per (server, monitor): the monitor is built once per server.
    let client: UpstreamClient | undefined;
    const own = Object.entries(config.headers).filter(([name]) => name.toLowerCase() !== 'host');
    const headers = [...(own.some(([name]) => name.toLowerCase() === 'user-agent') ? [] : ['user-agent', 'mooring-health']), ...own.flat()];
    const request = { method: config.method, path: config.path, body: null };
    // The target and request for the origin probed last, the head encoded once (a monitor is built
    // per server; its URL rarely changes).
    let origin = '';
    let requestFor: UpstreamRequest | undefined;
    let targetFor: UpstreamTarget | undefined;
    // One probe runs at a time per (server, monitor); the stop is heard once per monitor, not per
    // probe (a signal shared by 1,000 monitors makes each listener added or removed a long walk).
    const state: { running: Probe | undefined } = { running: undefined };
    let stopHeard: AbortSignal | undefined;
    return {
      label: `http ${config.method} ${config.path}`,
      probe(target, signal, tls, done) {
        client ??= makeUpstreamClient({
          connections: 1,
          keepAlive: PROBE_KEEP_ALIVE_MS,
          reserved: 0,
          maxHeaderBytes: BODY_LIMIT,
          timeouts: { connect: config.timeout, response: config.timeout, idle: config.timeout },
        });
        if (target !== origin) {
          origin = target;
          targetFor = undefined;
          const probe = { ...request, headers: [...headers, 'host', config.host ?? new URL(target).host] };
          requestFor = { ...probe, wire: wireHead(probe) };
        }
        if (stopHeard !== signal) {
          stopHeard = signal;
          signal.addEventListener('abort', () => state.running?.cut('stopped'), { once: true });
        }
        if (signal.aborted) return done({ ok: false, detail: 'stopped' });
        state.running = new Probe(config, state, done);
        if (!targetFor || targetFor.tls !== tls) targetFor = { id: origin, origin, tls };
        client.dispatch(targetFor, requestFor!, state.running);
      },
      close() {
        client?.destroy();
      },
    };
  },
};
