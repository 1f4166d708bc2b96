// One record per request or WebSocket tunnel, made once when it ends: what the access log, the
// metrics and the admin API's traffic statistics observe. Nothing else counts requests.

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
  /** The decision was made while the shared session store (Redis) was unreachable. */
  readonly degraded: boolean;
  /** Servers tried (0: none, answered by Mooring). */
  readonly attempts: number;
  /** Milliseconds: waiting for room, to the first byte of the answer, in all (-1: did not happen). */
  readonly queueMs: number;
  readonly firstByteMs: number;
  readonly totalMs: number;
  readonly ended: Ending;
}

/** Where finished records go: each sink is handed the records of one event-loop turn at once. */
export type RecordSink = (records: readonly RequestRecord[]) => void;
/** What the proxy hands each finished record to, exactly once per request or tunnel. */
export type RecordTaker = (record: RequestRecord) => void;

/**
 * Gathers records as requests end and hands them to every sink once per event-loop turn. Each
 * sink's code and tables then stay warm in the processor's caches across the turn's records,
 * instead of being fetched again between two requests' proxy work (measured side by side with
 * handing each record on at once: docs/performance.md).
 */
export class RecordHub {
  private sinks: readonly RecordSink[] = [];
  private pending: RequestRecord[] = [];
  private spare: RequestRecord[] = [];
  private turn: NodeJS.Immediate | undefined;

  /** The sinks from now on; those before are first handed what waits. */
  setSinks(sinks: readonly (RecordSink | undefined)[]): void {
    this.flush();
    this.sinks = sinks.filter((s): s is RecordSink => s !== undefined);
  }

  /** Where the proxy hands finished records; undefined when no sink observes them (none is made). */
  get taker(): RecordTaker | undefined {
    return this.sinks.length > 0 ? this.take : undefined;
  }

  private readonly take = (record: RequestRecord): void => {
    if (this.pending.push(record) === 1) this.turn = setImmediate(this.flush);
  };

  /** Hands what waits to the sinks now (before one of them closes). */
  readonly flush = (): void => {
    clearImmediate(this.turn);
    this.turn = undefined;
    if (this.pending.length === 0) return;
    const list = this.pending;
    this.pending = this.spare;
    this.spare = list;
    try {
      for (const sink of this.sinks) sink(list);
    } finally {
      list.length = 0;
    }
  };
}
