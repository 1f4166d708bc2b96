// What the shared session stores have in common: this process's memory answers every lookup (a
// pinned request never waits), and a key it does not hold is asked of the others once, however
// many requests want it at the same moment.
import { MemorySessionStore } from './memory-session-store.ts';
import type { BindTerms, Found, SessionEntry, SessionStore, SessionView, StoreLimits } from './session-store.ts';

export abstract class CachedSessionStore implements SessionStore {
  protected readonly local: MemorySessionStore;
  private readonly pending = new Map<string, Promise<void>>();

  constructor(limits: StoreLimits) {
    this.local = new MemorySessionStore(limits, { rememberEvicted: false });
  }

  get size(): number {
    return this.local.size;
  }

  get limits(): StoreLimits {
    return this.local.limits;
  }

  find(key: string, now: number): Found {
    return this.local.find(key, now);
  }

  fetch(key: string): Promise<void> | undefined {
    if (!this.canAsk() || this.local.find(key, Date.now()) !== undefined) return undefined;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.ask(key).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  list(server: string | undefined, limit: number, now: number): SessionView[] {
    return this.local.list(server, limit, now);
  }

  countOn(server: string): number {
    return this.local.countOn(server);
  }

  sweep(now: number): number {
    return this.local.sweep(now);
  }

  configure(limits: StoreLimits): void {
    this.local.configure(limits);
  }

  /** Whether the others can be asked now. */
  protected abstract canAsk(): boolean;
  /** Asks the others for `key` and caches what they say; never rejects. */
  protected abstract ask(key: string): Promise<void>;

  abstract bind(key: string, server: string, now: number, terms?: BindTerms): SessionEntry;
  abstract touch(key: string, entry: SessionEntry, now: number): void;
  abstract confirm(key: string, entry: SessionEntry, now: number): void;
  abstract end(key: string): SessionEntry | undefined;
}
