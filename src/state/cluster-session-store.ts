// Sessions shared by the workers of one machine without Redis: every worker holds them all in
// memory (a replica), and the primary is the hub: a worker's bind, refresh (at most eight per idle
// window) and end go to the primary, which keeps them and passes them to the other workers. A
// pinned request sends nothing; a key not in this worker's replica (a change still on its way) is
// asked of the primary, one IPC round trip. A worker that starts (or replaces one that died)
// receives every session from the primary first.
import { CachedSessionStore } from './cached-store.ts';
import { applyTouch, bindWire, wireEntry, type SessionMessage, type WireEntry } from './cluster-messages.ts';
import type { BindTerms, SessionEntry, StoreLimits } from './session-store.ts';

const REFRESH_PARTS = 8;

/** The worker's side of the IPC channel. */
export interface HubChannel {
  send(message: SessionMessage): void;
  /** Asks the primary for `key`; resolves with what it holds (null: nothing), or null after `timeoutMs`. */
  get(ns: string, key: string): Promise<WireEntry | null>;
  /** Changes other workers made, and the primary's sessions at start, for namespace `ns`. */
  listen(ns: string, handler: (message: SessionMessage) => void): void;
  unlisten(ns: string): void;
}

export class ClusterSessionStore extends CachedSessionStore {
  constructor(
    private readonly hub: HubChannel,
    private readonly ns: string,
    limits: StoreLimits,
  ) {
    super(limits);
    hub.listen(ns, (message) => this.heard(message));
    hub.send({ mooring: 'session-limits', ns, ...limits, hello: true });
  }

  protected canAsk(): boolean {
    return true;
  }

  protected async ask(key: string): Promise<void> {
    const entry = await this.hub.get(this.ns, key);
    if (entry && this.local.find(key, Date.now()) === undefined) bindWire(this.local, entry);
  }

  bind(key: string, server: string, now: number, terms?: BindTerms): SessionEntry {
    const entry = this.local.bind(key, server, now, terms);
    this.hub.send({ mooring: 'session-bind', ns: this.ns, entry: wireEntry(key, entry) });
    return entry;
  }

  confirm(key: string, entry: SessionEntry, now: number): void {
    if (!entry.provisional) return this.touch(key, entry, now);
    this.local.confirm(key, entry, now);
    this.hub.send({ mooring: 'session-touch', ns: this.ns, key, lastSeen: now, confirm: true });
  }

  touch(key: string, entry: SessionEntry, now: number): void {
    const part = this.local.limits.idleMs / REFRESH_PARTS;
    const due = Math.floor(now / part) !== Math.floor(entry.lastSeen / part);
    this.local.touch(key, entry, now);
    if (due) this.hub.send({ mooring: 'session-touch', ns: this.ns, key, lastSeen: now });
  }

  end(key: string): SessionEntry | undefined {
    const entry = this.local.end(key);
    this.hub.send({ mooring: 'session-end', ns: this.ns, key });
    return entry;
  }

  override configure(limits: StoreLimits): void {
    super.configure(limits);
    this.hub.send({ mooring: 'session-limits', ns: this.ns, ...limits, hello: false });
  }

  close(): void {
    this.hub.unlisten(this.ns);
  }

  /** What another worker changed (through the primary). */
  private heard(message: SessionMessage): void {
    switch (message.mooring) {
      case 'session-bind':
        return bindWire(this.local, message.entry);
      case 'session-all':
        for (const entry of message.entries) bindWire(this.local, entry);
        return;
      case 'session-touch':
        return applyTouch(this.local, message.key, message.lastSeen, message.confirm);
      case 'session-end':
        this.local.end(message.key);
        return;
      default:
        return;
    }
  }
}
