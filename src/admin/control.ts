// What the admin listener may see and do in the running process: handed in by the composition
// root, so admin/ depends on no part of how the process is put together.
import type { EventLog } from '../core/events.ts';
import type { TrafficView } from '../observe/server-stats.ts';
import type { ServiceHandle } from '../topology/service.ts';
import type { AdminConfig } from '../config/admin-schema.ts';
import type { CommandResult, OperatorCommand } from '../topology/operator.ts';

/** `changes`: what the new config changed, one line each (none: "no change"); `notes`: what applying it did. */
export type ReloadOutcome = { readonly applied: true; readonly changes: readonly string[]; readonly notes: readonly string[] } | { readonly applied: false; readonly errors: readonly string[] };

/** The reload event's words: what changed and what it did, or that nothing changed. */
export function reloadSummary(outcome: { readonly changes: readonly string[]; readonly notes: readonly string[] }): string {
  const said = [...outcome.changes, ...outcome.notes];
  return said.length > 0 ? said.join('; ') : 'no change';
}

export interface ProcessStatus {
  readonly version: string;
  readonly pid: number;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly configFile: string | undefined;
  readonly listeners: readonly { readonly name: string; readonly url: string; readonly service: string | null }[];
  /** Requests and tunnels under way across all listeners. */
  readonly requests: number;
  readonly tunnels: number;
  /** With `workers: N`: each worker's pid, and whether it reports its load. */
  readonly workers?: readonly { readonly pid: number; readonly reporting: boolean }[];
}

export interface AdminControl {
  /** The admin settings of the running config (a reload may change the token). */
  settings(): AdminConfig;
  services(): ReadonlyMap<string, ServiceHandle>;
  /** The configured balancing algorithm and persistence method of a service. */
  describeService(name: string): { readonly algorithm: string; readonly persistence: string } | undefined;
  /** An operator's change: a server's state or weight, ending a session, a manual failback. */
  command(command: OperatorCommand): CommandResult;
  reload(): Promise<ReloadOutcome>;
  status(): ProcessStatus;
  readonly events: EventLog;
  /** Each server's recent traffic (with workers, the group's, gathered from them now). */
  traffic(): Promise<TrafficView>;
  /** The Prometheus exposition (with workers, summed over the group). */
  metrics(): Promise<{ readonly contentType: string; readonly text: string }>;
  now(): number;
}
