// The monitor seam: one kind per file (http.ts, tcp.ts), named in registry.ts. A probe never
// throws: every way it can end is a result, and it ends by its own timeout at the latest.
import type { MonitorConfig } from './schema.ts';
import type { UpstreamTls } from '../upstream/client.ts';

export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed (or what passed), for events and logs. */
  readonly detail: string;
}

export interface Monitor {
  /** Short description for events: "http GET /health", "tcp". */
  readonly label: string;
  /**
   * Calls `done` once, within the monitor's timeout, or at once when `stop` aborts; `tls`: an
   * https:// server's certificate check. A callback rather than a promise: 500 probes a second
   * each made two promises and an async frame, a third of the health code's own cost.
   */
  probe(origin: string, stop: AbortSignal, tls: UpstreamTls | undefined, done: (result: ProbeResult) => void): void;
  /** Releases what the monitor keeps between probes (connections). */
  close?(): void;
}

export interface MonitorKind {
  readonly type: MonitorConfig['type'];
  build(config: MonitorConfig): Monitor;
}
