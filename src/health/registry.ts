// The only place monitor kinds are named: adding one is a file and a line here.
import { httpMonitor } from './http.ts';
import { tcpMonitor } from './tcp.ts';
import type { Monitor, MonitorKind } from './monitor.ts';
import type { MonitorConfig } from './schema.ts';

const kinds: readonly MonitorKind[] = [httpMonitor, tcpMonitor];

export function buildMonitor(config: MonitorConfig): Monitor {
  const kind = kinds.find((k) => k.type === config.type);
  if (!kind) throw new Error(`unknown monitor type ${config.type}`);
  return kind.build(config);
}
