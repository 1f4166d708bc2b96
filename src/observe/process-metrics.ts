// Node's process metrics under their standard names (prom-client's defaults: process_cpu_*,
// process_resident_memory_bytes, nodejs_heap_*, nodejs_eventloop_lag_*, …), so stock Node.js
// dashboards work unchanged, and what Mooring build this is.
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { version } from '../version.ts';

/**
 * prom-client names three gauges `*_total`, a suffix Prometheus keeps for counters (a query
 * taking their rate() would be wrong); their per-type forms (`nodejs_active_handles{type}`, …)
 * carry the same figures and stay.
 */
const GAUGES_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_TOTAL) registry.removeSingleMetric(name);
}

/** `mooring_build_info{version, node}` 1: which build answers, for dashboards and alerts on mixed versions. */
export function registerBuildInfo(registry: Registry): void {
  const info = new Gauge({ name: 'mooring_build_info', help: 'Always 1; its labels say which Mooring version runs, on which Node.js', labelNames: ['version', 'node'], registers: [registry] });
  info.set({ version: version(), node: process.version }, 1);
}
