// The primary's side of sessions shared by workers: it keeps every worker's sessions (a memory store
// per service and method), passes each change on to the other workers, answers a worker that asks
// for a key, and gives a worker's new store every session it holds for it. The control plane reads
// the same stores (the group's sessions, for the admin API).
import type { Worker } from 'node:cluster';
import { applyTouch, bindWire, isSessionMessage, wireEntry, type SessionMessage, type WireEntry } from './cluster-messages.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import type { StoreLimits } from './session-store.ts';

/** Sessions per message to a starting worker. */
const CHUNK = 5000;
const SWEEP_EVERY_MS = 1000;
/** Until a worker says its store's limits. */
const DEFAULT_LIMITS = { maxEntries: 1_000_000, idleMs: 1_800_000 };

export class SessionHub {
  private readonly stores = new Map<string, MemorySessionStore>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly workers: () => Iterable<Worker>) {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const store of this.stores.values()) store.sweep(now);
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A worker made its store for `ns`: it receives every session of it. */
  private welcome(worker: Worker, ns: string): void {
    const now = Date.now();
    const store = this.store(ns);
    const entries: WireEntry[] = [];
    for (const [key, entry] of store.live(now)) entries.push(wireEntry(key, entry));
    for (let i = 0; i < entries.length; i += CHUNK) this.post(worker, { mooring: 'session-all', ns, entries: entries.slice(i, i + CHUNK) });
  }

  /** A message from `from`; false when it is not about sessions. */
  heard(from: Worker, message: unknown): boolean {
    if (!isSessionMessage(message)) return false;
    switch (message.mooring) {
      case 'session-limits': {
        const { ns, maxEntries, idleMs, provisionalMs } = message;
        this.store(ns).configure(provisionalMs === undefined ? { maxEntries, idleMs } : { maxEntries, idleMs, provisionalMs });
        if (message.hello) this.welcome(from, ns);
        return true;
      }
      case 'session-get': {
        const entry = this.store(message.ns).find(message.key, Date.now());
        const wire: WireEntry | null = typeof entry === 'object' ? wireEntry(message.key, entry) : null;
        this.post(from, { mooring: 'session-got', id: message.id, entry: wire });
        return true;
      }
      case 'session-bind':
        bindWire(this.store(message.ns), message.entry);
        break;
      case 'session-touch':
        applyTouch(this.store(message.ns), message.key, message.lastSeen, message.confirm);
        break;
      case 'session-end':
        this.store(message.ns).end(message.key);
        break;
      default:
        return true;
    }
    for (const worker of this.workers()) if (worker !== from) this.post(worker, message);
    return true;
  }

  /** The sessions of namespace `ns` themselves: what the control plane shows and ends. */
  storeFor(ns: string, limits: StoreLimits): MemorySessionStore {
    const store = this.store(ns);
    store.configure(limits);
    return store;
  }

  private store(ns: string): MemorySessionStore {
    let store = this.stores.get(ns);
    if (!store) this.stores.set(ns, (store = new MemorySessionStore(DEFAULT_LIMITS)));
    return store;
  }

  private post(worker: Worker, message: SessionMessage): void {
    if (worker.isConnected()) worker.send(message, undefined, () => undefined);
  }
}
