// A worker's line to the primary (the control plane): applies the monitors' verdicts the primary
// sends, carries operator commands both ways, and asks the primary for claims (one kickstart per
// failover among workers). Answers are bounded in time: a primary that does not answer never holds
// a worker up.
import type { Topology } from '../topology/topology.ts';
import type { CommandChannel } from '../state/stores.ts';
import { isControlMessage, type ControlMessage } from './messages.ts';

const CLAIM_TIMEOUT_MS = 1000;

export class PrimaryLink {
  private nextId = 1;
  private readonly waiting = new Map<number, (granted: boolean) => void>();
  private readonly commandListeners: ((command: string) => void)[] = [];

  /** Where verdicts apply; until it is attached, the primary has not been greeted and sends none that matter. */
  private topology: Topology | undefined;

  constructor(private readonly now: () => number) {
    process.on('message', (message: unknown) => {
      if (isControlMessage(message)) this.heard(message);
    });
  }

  /** The worker's services are built: greet the primary, which answers with the verdicts so far. */
  attach(topology: Topology): void {
    this.topology = topology;
    this.send({ mooring: 'control-hello' });
  }

  readonly commands: CommandChannel = {
    send: (command) => this.send({ mooring: 'control-command', command }),
    receive: (listener) => this.commandListeners.push(listener),
  };

  /** True for the first worker to claim `name` in `ttlMs` (and when the primary does not answer). */
  claim = (name: string, ttlMs: number): Promise<boolean> => {
    if (!process.connected) return Promise.resolve(true);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(true), CLAIM_TIMEOUT_MS);
      const done = (granted: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(granted);
      };
      this.waiting.set(id, done);
      this.send({ mooring: 'control-claim', id, name, ttlMs });
    });
  };

  private heard(message: ControlMessage): void {
    if (message.mooring === 'control-health') {
      this.topology?.handles.get(message.service)?.health.setMonitored(message.server, message.state, message.reason, this.now());
    } else if (message.mooring === 'control-command') {
      for (const listener of this.commandListeners) listener(message.command);
    } else if (message.mooring === 'control-claimed') this.waiting.get(message.id)?.(message.granted);
  }

  private send(message: ControlMessage): void {
    if (process.connected) process.send!(message, undefined, undefined, () => undefined);
  }
}
