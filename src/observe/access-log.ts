// The access log: one JSON line per finished request or tunnel (pino), to a file or stdout.
// Never client cookies or headers beyond the ones listed in the record.
import { pino, type DestinationStream } from 'pino';
import type { RecordSink } from './record.ts';

export interface AccessLog {
  readonly sink: RecordSink;
  /** Writes what is buffered (at stop). */
  flush(): void;
}

export function createAccessLog(file: string | undefined, destination?: DestinationStream): AccessLog {
  const dest = destination ?? pino.destination({ dest: file ?? 1, sync: false, mkdir: true, append: true });
  const log = pino({ level: 'info', base: undefined, timestamp: false, messageKey: 'msg' }, dest);
  return {
    sink: (record) => log.info({ ...record, time: new Date(record.time).toISOString() }),
    flush: () => (dest as { flushSync?: () => void }).flushSync?.(),
  };
}
