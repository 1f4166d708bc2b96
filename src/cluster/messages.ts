// What the primary (the control plane) and the workers (data planes) tell each other besides
// sessions: health verdicts of the monitors that run once, in the primary; a worker's greeting
// once it is built; operator commands; claims.
import type { HealthState } from '../health/table.ts';

export type ControlMessage =
  /** Worker → primary: built; send me the state of things. */
  | { readonly mooring: 'control-hello' }
  /** Primary → worker: the monitors' verdict on a server. */
  | { readonly mooring: 'control-health'; readonly service: string; readonly server: string; readonly state: HealthState; readonly reason: string }
  /** Either way: an operator command (JSON), made on one side, applied on the other. */
  | { readonly mooring: 'control-command'; readonly command: string }
  /** Worker → primary: claim `name` for `ttlMs`; the primary answers once with `granted`. */
  | { readonly mooring: 'control-claim'; readonly id: number; readonly name: string; readonly ttlMs: number }
  | { readonly mooring: 'control-claimed'; readonly id: number; readonly granted: boolean };

export function isControlMessage(message: unknown): message is ControlMessage {
  return typeof message === 'object' && message !== null && typeof (message as { mooring?: unknown }).mooring === 'string' && (message as { mooring: string }).mooring.startsWith('control-');
}
