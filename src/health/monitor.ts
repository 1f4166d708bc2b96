// The monitor seam: one kind per file (http.ts, tcp.ts), named in registry.ts. A probe never
// throws: every way it can end is a result, and it ends when its signal aborts (the timeout).
import type { MonitorConfig } from './schema.ts';

export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed (or what passed), for events and logs. */
  readonly detail: string;
}

export interface Monitor {
  /** Short description for events: "http GET /health", "tcp". */
  readonly label: string;
  probe(origin: string, signal: AbortSignal): Promise<ProbeResult>;
}

export interface MonitorKind {
  readonly type: MonitorConfig['type'];
  build(config: MonitorConfig): Monitor;
}

/** A probe cut by its signal: the text of the reason, for the result's detail. */
export function abortedDetail(signal: AbortSignal, timeoutMs: number): string {
  return signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : 'stopped';
}
