// Operator state changes as commands: drain / disable / enable a server, set its weight, end a
// session, fail back to a data center. A command is plain data, so the same one can be applied
// here, sent to worker processes and published to other instances; applying it is the only way
// an operator changes the running services. Each result says what happened, for the admin API.
import type { AdminState } from '../health/table.ts';
import type { Topology } from './topology.ts';

export type OperatorCommand =
  | { readonly type: 'server-state'; readonly service: string; readonly server: string; readonly state: AdminState }
  | { readonly type: 'server-weight'; readonly service: string; readonly server: string; readonly weight: number }
  /** Ends the session with this key in every service that holds one. */
  | { readonly type: 'end-session'; readonly key: string }
  | { readonly type: 'failback'; readonly service: string; readonly datacenter: string };

export type CommandResult =
  | { readonly ok: true; /** The services the command changed. */ readonly services: readonly string[] }
  | { readonly ok: false; readonly why: 'no-such-server' | 'no-such-session' | 'no-failover' | 'datacenter-down' };

/** Where an applied command is heard (other workers, other instances). */
export type CommandListener = (command: OperatorCommand) => void;

export class Operator {
  private readonly listeners: CommandListener[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly now: () => number,
  ) {}

  /** Hears every command applied here by an operator (not those received from elsewhere). */
  onApplied(listener: CommandListener): void {
    this.listeners.push(listener);
  }

  /** An operator's command, made here: applied, then passed on to whoever listens. */
  command(command: OperatorCommand): CommandResult {
    const result = this.apply(command);
    if (result.ok) for (const listener of this.listeners) listener(command);
    return result;
  }

  /** Applies `command` to this process's services (one made here, or received from elsewhere). */
  apply(command: OperatorCommand): CommandResult {
    const now = this.now();
    switch (command.type) {
      case 'server-state': {
        const handle = this.topology.handles.get(command.service);
        if (!handle?.current.server(command.server)) return { ok: false, why: 'no-such-server' };
        handle.health.setAdmin(command.server, command.state, 'set through the admin API', now);
        return { ok: true, services: [command.service] };
      }
      case 'server-weight':
        if (!this.topology.setWeight(command.service, command.server, command.weight)) return { ok: false, why: 'no-such-server' };
        return { ok: true, services: [command.service] };
      case 'end-session': {
        const services = [...this.topology.handles.values()].filter((h) => h.persistence?.endSession(command.key, now) === true).map((h) => h.name);
        return services.length > 0 ? { ok: true, services } : { ok: false, why: 'no-such-session' };
      }
      case 'failback': {
        const handle = this.topology.handles.get(command.service);
        if (!handle?.failover) return { ok: false, why: 'no-failover' };
        if (!handle.failover.failback(command.datacenter, now)) return { ok: false, why: 'datacenter-down' };
        return { ok: true, services: [command.service] };
      }
    }
  }
}
