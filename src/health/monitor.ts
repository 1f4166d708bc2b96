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
  /** Ends within the monitor's timeout, or at once when `stop` aborts; `tls`: an https:// server's certificate check. */
  probe(origin: string, stop: AbortSignal, tls?: UpstreamTls): Promise<ProbeResult>;
  /** Releases what the monitor keeps between probes (connections). */
  close?(): void;
}

export interface MonitorKind {
  readonly type: MonitorConfig['type'];
  build(config: MonitorConfig): Monitor;
}
