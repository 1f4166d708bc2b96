// The access log: one JSON line per finished request or tunnel, to a file or stdout. Lines are
// written from the record's known fields straight into a 64 KiB buffer outside the JS heap
// (json-bytes.ts: client-controlled strings escaped exactly as JSON.stringify does, so a path or
// Host can never break a line), which goes to the file (log-file.ts) when full or every FLUSH_MS.
// Measured: a pino logger call per request cost Mooring 20% of its throughput; lines kept as
// strings until a batch was written outlived the young generation and made the collector work;
// lines built as strings and then encoded cost about 6% more than writing their bytes at once
// (docs/performance.md).
// Never client cookies or headers beyond the ones listed in the record.
import { JsonBytes, fragment } from './json-bytes.ts';
import { LogFile } from './log-file.ts';
import type { RecordSink, RequestRecord } from './record.ts';

/** Bytes gathered before they go to the file (a line longer than this goes alone). */
const BATCH_BYTES = 65_536;
const FLUSH_MS = 200;
/** At stop, how long the last lines may take to reach the file. */
const CLOSE_MS = 2000;
/** Bytes that may wait for a slow or failing file before new lines are dropped (memory stays bounded). */
const MAX_WAITING_BYTES = 16 * 1024 * 1024;
/** A failing file (disk full) is reported once per this many milliseconds, not once per batch. */
const ERROR_REPORT_MS = 10_000;

export interface AccessLog {
  readonly sink: RecordSink;
  /** Writes what is waiting and closes the file (at stop, or when a reload replaces the log). */
  close(): Promise<void>;
}

/** Every key and the punctuation between values, encoded once. */
const KEY = {
  kind: fragment('{"kind":'),
  time: fragment(',"time":"'),
  listener: fragment('Z","listener":'),
  clientIp: fragment(',"clientIp":'),
  method: fragment(',"method":'),
  host: fragment(',"host":'),
  path: fragment(',"path":'),
  status: fragment(',"status":'),
  bytesIn: fragment(',"bytesIn":'),
  bytesOut: fragment(',"bytesOut":'),
  service: fragment(',"service":'),
  datacenter: fragment(',"datacenter":'),
  server: fragment(',"server":'),
  decision: fragment(',"decision":'),
  degraded: fragment(',"degraded":true'),
  attempts: fragment(',"attempts":'),
  queueMs: fragment(',"queueMs":'),
  firstByteMs: fragment(',"firstByteMs":'),
  totalMs: fragment(',"totalMs":'),
  ended: fragment(',"ended":'),
  end: fragment('}\n'),
};
/** Room for the fragments, numbers and time of a line; its strings take at most 6 bytes per unit more. */
const FIXED_BYTES = 600;

/** The most bytes `r`'s line can take. */
function boundOf(r: RequestRecord): number {
  const units = r.listener.length + r.clientIp.length + r.method.length + (r.host?.length ?? 0) + r.path.length + r.service.length +
    (r.datacenter?.length ?? 0) + (r.server?.length ?? 0) + r.decision.length + r.ended.length + r.kind.length;
  return FIXED_BYTES + 6 * units;
}

/** Many requests end in the same second: its ISO form up to the milliseconds is made once. */
let secondOf = { second: -1, prefix: fragment('') };
function writeIsoTime(w: JsonBytes, time: number): void {
  const ms = Math.floor(time);
  const second = Math.floor(ms / 1000);
  if (secondOf.second !== second) secondOf = { second, prefix: fragment(new Date(second * 1000).toISOString().slice(0, -4)) };
  w.raw(secondOf.prefix);
  const milli = ms - second * 1000;
  w.buf[w.pos++] = 0x30 + Math.floor(milli / 100);
  w.buf[w.pos++] = 0x30 + (Math.floor(milli / 10) % 10);
  w.buf[w.pos++] = 0x30 + (milli % 10);
}

/** Writes one record as one line of JSON at `w.pos` (room for boundOf(r) bytes is the caller's). */
function writeAccessLine(w: JsonBytes, r: RequestRecord): void {
  w.raw(KEY.kind);
  w.string(r.kind);
  w.raw(KEY.time);
  writeIsoTime(w, r.time);
  w.raw(KEY.listener);
  w.string(r.listener);
  w.raw(KEY.clientIp);
  w.string(r.clientIp);
  w.raw(KEY.method);
  w.string(r.method);
  w.raw(KEY.host);
  w.string(r.host);
  w.raw(KEY.path);
  w.string(r.path);
  w.raw(KEY.status);
  w.integer(r.status);
  w.raw(KEY.bytesIn);
  w.integer(r.bytesIn);
  w.raw(KEY.bytesOut);
  w.integer(r.bytesOut);
  w.raw(KEY.service);
  w.string(r.service);
  w.raw(KEY.datacenter);
  w.string(r.datacenter);
  w.raw(KEY.server);
  w.string(r.server);
  w.raw(KEY.decision);
  w.string(r.decision);
  if (r.degraded) w.raw(KEY.degraded);
  w.raw(KEY.attempts);
  w.integer(r.attempts);
  w.raw(KEY.queueMs);
  w.tenths(r.queueMs);
  w.raw(KEY.firstByteMs);
  w.tenths(r.firstByteMs);
  w.raw(KEY.totalMs);
  w.tenths(r.totalMs);
  w.raw(KEY.ended);
  w.string(r.ended);
  w.raw(KEY.end);
}

/** One record as one line of JSON (what the log writes, as a string). */
export function accessLine(r: RequestRecord): string {
  const w = new JsonBytes(Buffer.alloc(boundOf(r)));
  writeAccessLine(w, r);
  return w.buf.toString('utf8', 0, w.pos);
}

/** `file` undefined: standard output. `onError` hears a failing write (retried) and lines dropped
 *  because too much waits; it is called at most once per ERROR_REPORT_MS. */
export function createAccessLog(file: string | undefined, onError: (err: Error) => void): AccessLog {
  let reportedAt = -Infinity;
  const report = (err: Error) => {
    if (Date.now() - reportedAt < ERROR_REPORT_MS) return;
    reportedAt = Date.now();
    onError(err);
  };
  const dest = LogFile.open(file, MAX_WAITING_BYTES, report);
  let open = true;
  // The line writer's buffer is the batch being filled; the file keeps what it is given until
  // written, so each batch gets a buffer of its own.
  const w = new JsonBytes(Buffer.allocUnsafeSlow(BATCH_BYTES));
  const write = () => {
    if (w.pos === 0) return;
    dest.write(w.buf.subarray(0, w.pos));
    w.buf = Buffer.allocUnsafeSlow(BATCH_BYTES);
    w.pos = 0;
  };
  const timer = setInterval(write, FLUSH_MS);
  timer.unref();
  const writeLine = (record: RequestRecord) => {
    const bound = boundOf(record);
    if (w.pos + bound > BATCH_BYTES) {
      write();
      if (bound > BATCH_BYTES) {
        // A line that may not fit a batch (a very long path) goes alone, in a buffer of its own size.
        dest.write(Buffer.from(accessLine(record)));
        return;
      }
    }
    writeAccessLine(w, record);
  };
  return {
    sink: (records) => {
      // The hub hands over what waits before the log is replaced or stopped, so none reaches a closed log; never throw if one did.
      if (!open) return;
      for (const record of records) writeLine(record);
    },
    close: () => {
      clearInterval(timer);
      write();
      open = false;
      return dest.close(CLOSE_MS);
    },
  };
}
