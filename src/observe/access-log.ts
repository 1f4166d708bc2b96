// The access log: one JSON line per finished request or tunnel, to a file or stdout. Lines are
// written by hand from the record's known fields (client-controlled strings through JSON.stringify,
// so a path or Host can never break a line) and copied at once into a 64 KiB buffer outside the JS
// heap, which goes to the file (log-file.ts) when full or every FLUSH_MS. Measured: a pino logger
// call per request cost Mooring 20% of its throughput, and lines kept as strings until a batch was
// written outlived the young generation and made the collector work (docs/performance.md).
// Never client cookies or headers beyond the ones listed in the record.
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

/** A client-controlled text (Host, path): escaped as JSON requires. */
const text = (value: string | undefined): string => (value === undefined ? 'null' : JSON.stringify(value));
/** A config name (letters, digits, ".", "_", "-"), an IP address or a method (a token node's parser
 *  accepts): none can hold a character JSON must escape, so no escaping pass is spent on them. */
const plain = (value: string | undefined): string => (value === undefined ? 'null' : `"${value}"`);

/** Many requests end in the same millisecond: its ISO form is made once. */
let isoOf = { ms: -1, text: '' };
function isoTime(time: number): string {
  const ms = Math.floor(time);
  if (isoOf.ms !== ms) isoOf = { ms, text: new Date(ms).toISOString() };
  return isoOf.text;
}

/** One record as one line of JSON. */
export function accessLine(r: RequestRecord): string {
  return (
    `{"kind":"${r.kind}","time":"${isoTime(r.time)}","listener":${plain(r.listener)},"clientIp":${plain(r.clientIp)},` +
    `"method":${plain(r.method)},"host":${text(r.host)},"path":${text(r.path)},"status":${r.status},"bytesIn":${r.bytesIn},"bytesOut":${r.bytesOut},` +
    `"service":${plain(r.service)},"datacenter":${plain(r.datacenter)},"server":${plain(r.server)},"decision":"${r.decision}","attempts":${r.attempts},` +
    `"queueMs":${r.queueMs},"firstByteMs":${r.firstByteMs},"totalMs":${r.totalMs},"ended":"${r.ended}"}\n`
  );
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
  let batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  let used = 0;
  // The file keeps what it is given until written: each batch gets a buffer of its own.
  const write = () => {
    if (used === 0) return;
    dest.write(batch.subarray(0, used));
    batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
    used = 0;
  };
  const timer = setInterval(write, FLUSH_MS);
  timer.unref();
  return {
    sink: (record) => {
      // Requests read the current sink when they end, so none reaches a closed log; never throw if one did.
      if (!open) return;
      const line = accessLine(record);
      // UTF-8 takes at most 3 bytes per UTF-16 unit: checked before writing, so nothing is cut.
      if (used + line.length * 3 > BATCH_BYTES) {
        write();
        if (line.length * 3 > BATCH_BYTES) {
          dest.write(Buffer.from(line));
          return;
        }
      }
      used += batch.write(line, used);
    },
    close: () => {
      clearInterval(timer);
      write();
      open = false;
      return dest.close(CLOSE_MS);
    },
  };
}
