// Each listener's open client connections and its certificates' expiry. Per process: with workers
// the primary adds up the connections and keeps the soonest expiry (prom-client's aggregators).
import { Gauge, type Registry } from 'prom-client';

export interface ListenerFact {
  readonly name: string;
  readonly connections: number;
  /** Its certificates (an HTTPS listener): file base name and expiry, ms since the epoch. */
  readonly expiries: readonly { readonly certificate: string; readonly notAfter: number }[];
}

export function registerListenerMetrics(registry: Registry, listeners: () => readonly ListenerFact[]): void {
  new Gauge({
    name: 'mooring_listener_connections',
    help: 'Client connections open on each listener now',
    labelNames: ['listener'],
    registers: [registry],
    aggregator: 'sum',
    collect() {
      this.reset();
      for (const l of listeners()) this.set({ listener: l.name }, l.connections);
    },
  });
  new Gauge({
    name: 'mooring_listener_certificate_expiry_timestamp_seconds',
    help: "When each certificate of an HTTPS listener expires (seconds since the epoch); alert on it minus time() (what a reload's re-read file says)",
    labelNames: ['listener', 'certificate'],
    registers: [registry],
    aggregator: 'min',
    collect() {
      this.reset();
      for (const l of listeners()) for (const e of l.expiries) this.set({ listener: l.name, certificate: e.certificate }, e.notAfter / 1000);
    },
  });
}
