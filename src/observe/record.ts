// One record per request or WebSocket tunnel, made once when it ends: what the access log (and
// later metrics and admin statistics) observe. Nothing else counts requests.

/** How it ended: answered in full; answered by Mooring itself (an error answer); the client left
 *  first; the server's answer broke off midway; the client was cut for reading too slowly while
 *  slow clients held all they may of the server's pool; a tunnel that ran and closed. */
export type Ending = 'complete' | 'mooring-answer' | 'client-gone' | 'broken' | 'client-too-slow' | 'tunnel-closed';

export interface RequestRecord {
  readonly kind: 'request' | 'tunnel';
  /** When it began, ms since the epoch. */
  readonly time: number;
  readonly listener: string;
  readonly clientIp: string;
  readonly method: string;
  readonly host: string | undefined;
  readonly path: string;
  /** 0 when no answer was sent (the client left first). */
  readonly status: number;
  /** Body bytes received from the client and sent to it (for a tunnel: bytes each way). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly service: string;
  readonly datacenter: string | undefined;
  /** The server of the last attempt, if any was made. */
  readonly server: string | undefined;
  readonly decision: string;
  /** Servers tried (0: none, answered by Mooring). */
  readonly attempts: number;
  /** Milliseconds: waiting for room, to the first byte of the answer, in all (-1: did not happen). */
  readonly queueMs: number;
  readonly firstByteMs: number;
  readonly totalMs: number;
  readonly ended: Ending;
}

/** Where finished records go; called exactly once per request or tunnel. */
export type RecordSink = (record: RequestRecord) => void;

/** One sink that hands each record to every one of `sinks` (undefined when there is none). */
export function fanOut(sinks: readonly (RecordSink | undefined)[]): RecordSink | undefined {
  const present = sinks.filter((s): s is RecordSink => s !== undefined);
  if (present.length <= 1) return present[0];
  return (record) => {
    for (const sink of present) sink(record);
  };
}
