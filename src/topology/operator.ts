// Operator state changes as commands: drain / disable / enable a server, set its weight, end a
// session, fail back to a data center. A command is plain data, so the same one can be applied
// here, sent to worker processes and published to other instances; applying it is the only way
// an operator changes the running services. Each result says what happened, for the admin API.
import { z } from 'zod';
import type { AdminState } from '../health/table.ts';
import { adminStates } from '../health/schema.ts';
import type { CommandChannel } from '../state/stores.ts';
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

const id = z.string().min(1).max(200);
const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('server-state'), service: id, server: id, state: z.enum(adminStates) }),
  z.strictObject({ type: z.literal('server-weight'), service: id, server: id, weight: z.number().int().min(1).max(10_000) }),
  z.strictObject({ type: z.literal('end-session'), key: id }),
  z.strictObject({ type: z.literal('failback'), service: id, datacenter: id }),
]);

/** A command as another process sent it (JSON), or undefined when it is not one. */
export function parseCommand(text: string): OperatorCommand | undefined {
  try {
    const parsed = commandSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What a lasting command sets (the latest per slot is what holds); undefined for a one-off (end a session, fail back). */
function lastingSlot(command: OperatorCommand): string | undefined {
  if (command.type === 'server-state') return `state:${command.service}:${command.server}`;
  if (command.type === 'server-weight') return `weight:${command.service}:${command.server}`;
  return undefined;
}

export class Operator {
  private readonly listeners: CommandListener[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly now: () => number,
  ) {}

  /**
   * Shares commands with other processes over `channel`: each made here is sent, each received is
   * applied here (not sent on again). `refused` hears what could not be used.
   */
  share(channel: CommandChannel, refused: (text: string, why: string) => void): void {
    // When each slot last changed here (made here or heard): a kept command no later is not news,
    // and applying it again would undo what changed since (a reload's configured state).
    const changed = new Map<string, number>();
    this.onApplied((command) => {
      const slot = lastingSlot(command);
      channel.send(JSON.stringify(command), slot);
      // Noted after sending: no earlier than the time the channel keeps it under.
      if (slot !== undefined) changed.set(slot, Date.now());
    });
    channel.receive((text, keptAt) => {
      const command = parseCommand(text);
      if (!command) return refused(text, 'not an operator command');
      const slot = lastingSlot(command);
      if (slot !== undefined) {
        if (keptAt !== undefined && keptAt <= (changed.get(slot) ?? 0)) return;
        changed.set(slot, keptAt ?? Date.now());
      }
      const result = this.apply(command);
      // A command for what this process does not run (a newer config elsewhere) changes nothing
      // here; one kept for a server no longer configured anywhere is no news either.
      if (!result.ok && result.why !== 'no-such-session' && !(keptAt !== undefined && result.why === 'no-such-server')) refused(text, result.why);
    });
  }

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
