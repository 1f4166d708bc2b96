// A worker's side of the session messages: sends to the primary over node:cluster's IPC, asks it for
// keys (answers matched by id, bounded in time), and hands each store the changes meant for it.
import { isSessionMessage, type SessionMessage, type WireEntry } from './cluster-messages.ts';
import type { HubChannel } from './cluster-session-store.ts';

export class WorkerChannel implements HubChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, (entry: WireEntry | null) => void>();
  private readonly handlers = new Map<string, (message: SessionMessage) => void>();

  constructor(private readonly timeoutMs: number) {
    process.on('message', (message: unknown) => {
      if (!isSessionMessage(message)) return;
      if (message.mooring === 'session-got') return this.waiting.get(message.id)?.(message.entry);
      if ('ns' in message) this.handlers.get(message.ns)?.(message);
    });
  }

  send(message: SessionMessage): void {
    // The primary is gone only while this worker is being stopped: nothing is left to tell.
    if (process.connected) process.send!(message, undefined, undefined, () => undefined);
  }

  get(ns: string, key: string): Promise<WireEntry | null> {
    if (!process.connected) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), this.timeoutMs);
      const done = (entry: WireEntry | null) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(entry);
      };
      this.waiting.set(id, done);
      this.send({ mooring: 'session-get', id, ns, key });
    });
  }

  listen(ns: string, handler: (message: SessionMessage) => void): void {
    this.handlers.set(ns, handler);
  }

  unlisten(ns: string): void {
    this.handlers.delete(ns);
  }
}
