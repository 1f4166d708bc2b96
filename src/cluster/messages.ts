// What the primary (the control plane) and the workers (data planes) tell each other besides
// sessions: health verdicts of the monitors that run once, in the primary; a worker's greeting
// once it is built; operator commands; failover decisions; passive ejections; each worker's load; and what
// the admin API asks of the workers (their traffic and metrics, a reload).
import type { ReloadOutcome } from '../admin/control.ts';
import type { HealthState } from '../health/table.ts';
import type { MetricsJson } from '../observe/group-metrics.ts';
import type { TrafficWindow } from '../observe/server-stats.ts';

/** Worker → primary, about once a second while it changes: requests under way, per server and in all. */
export interface LoadMessage {
  readonly mooring: 'control-load';
  /** [service, server, requests and tunnels under way], servers with none left out. */
  readonly inflight: readonly (readonly [string, string, number])[];
  /** [service, server, requests waiting for room on it], servers with none left out. */
  readonly queued: readonly (readonly [string, string, number])[];
  readonly requests: number;
  readonly tunnels: number;
}

export type ControlMessage =
  /** Worker → primary: built; send me the state of things. Its listeners, as bound. */
  | { readonly mooring: 'control-hello'; readonly listeners: readonly { readonly name: string; readonly url: string }[] }
  /** Primary → worker: the monitors' verdict on a server. */
  | { readonly mooring: 'control-health'; readonly service: string; readonly server: string; readonly state: HealthState; readonly reason: string }
  /** Either way: an operator command (JSON), made on one side, applied on the other. */
  | { readonly mooring: 'control-command'; readonly command: string }
  /** Primary → worker: a service's failover decisions (whether each active data center takes new sessions). */
  | { readonly mooring: 'control-failover'; readonly service: string; readonly decisions: readonly (readonly [string, boolean])[] }
  /** Either way: passive health ejected a server until `until` (ms since the epoch); the whole group follows. */
  | { readonly mooring: 'control-ejected'; readonly service: string; readonly server: string; readonly until: number; readonly reason: string }
  | LoadMessage
  /** Primary → worker: send your traffic and metrics; the worker answers with `control-report`. */
  | { readonly mooring: 'control-report-ask'; readonly id: number }
  | { readonly mooring: 'control-report'; readonly id: number; readonly traffic: readonly TrafficWindow[]; readonly metrics: MetricsJson }
  /** Primary → worker: read the config file again; the worker answers with what its reload did. */
  | { readonly mooring: 'control-reload'; readonly id: number }
  | { readonly mooring: 'control-reloaded'; readonly id: number; readonly outcome: ReloadOutcome };

export function isControlMessage(message: unknown): message is ControlMessage {
  return typeof message === 'object' && message !== null && typeof (message as { mooring?: unknown }).mooring === 'string' && (message as { mooring: string }).mooring.startsWith('control-');
}
