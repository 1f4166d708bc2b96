// Where a process's session stores come from, as `store:` says: memory, or Redis through one
// shared link with a memory cache per store.
import type { Logger } from '../log.ts';
import type { StoreConfig } from '../state/schema.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import { ClusterSessionStore } from './cluster-session-store.ts';
import { WorkerChannel } from './worker-channel.ts';
import { RedisLink } from './redis-link.ts';
import { RedisSessionStore } from './redis-session-store.ts';
import type { SessionStore, StoreLimits } from './session-store.ts';

export interface SessionStores {
  /** `ns`: the service and method the store is for (service:method); `servers`: the service's servers now. */
  make(ns: string, limits: StoreLimits, servers: () => readonly string[]): SessionStore;
  /** Whether the shared store answers now (undefined: there is none). */
  readonly up: boolean | undefined;
  /** Whether stores made here are shared with other processes (workers or instances). */
  readonly shared: boolean;
  /**
   * Claims `name` for `ttlMs` among instances: true for the first to ask (always true without a
   * shared store, or while it is unreachable: better twice than never).
   */
  claim(name: string, ttlMs: number): Promise<boolean>;
  /** The connection to the shared Redis; undefined without one. */
  readonly link: RedisLink | undefined;
  /** Passes operator commands (as text) between instances; undefined without a shared store. */
  readonly commands: CommandChannel | undefined;
  /** Stops: what was written is answered first (at most `waitMs`), then connections close. */
  close(waitMs: number): Promise<void>;
}

export interface CommandChannel {
  /**
   * Passes `command` on. `slot` names what a lasting change sets (a server's state, its weight):
   * the latest command of each slot is kept, so an instance cut off meanwhile, or started later,
   * takes it once it reaches the store.
   */
  send(command: string, slot?: string): void;
  /** Each command sent elsewhere; with `keptAt` (when it was made, ms since the epoch): a lasting one the store held, heard on (re)connecting. */
  receive(listener: (command: string, keptAt?: number) => void): void;
}

export const memoryStores: SessionStores = {
  make: (_ns, limits) => new MemorySessionStore(limits),
  up: undefined,
  shared: false,
  claim: async () => true,
  link: undefined,
  commands: undefined,
  close: async () => {},
};

/**
 * `inWorker`: this process is one of several workers; with the memory store they share sessions
 * through the primary.
 */
/** How long a worker waits for the primary to say whether it knows a session. */
const HUB_TIMEOUT_MS = 250;

function workerStores(): SessionStores {
  const channel = new WorkerChannel(HUB_TIMEOUT_MS);
  return { ...memoryStores, shared: true, make: (ns, limits) => new ClusterSessionStore(channel, ns, limits) };
}

export function sessionStores(config: StoreConfig, log: Logger, inWorker = false): SessionStores {
  if (config.type === 'memory') return inWorker ? workerStores() : memoryStores;
  const link = new RedisLink(config, log);
  link.start();
  return {
    make: (ns, limits, servers) => new RedisSessionStore(link, ns, limits, servers),
    get up() {
      return link.up;
    },
    shared: true,
    async claim(name, ttlMs) {
      if (!link.up) return true;
      const taken = await link.bounded(link.client.set(link.key('claim', name), '1', { PX: ttlMs, NX: true })).catch((err: Error) => {
        link.complain(err);
        return 'OK';
      });
      return taken === 'OK';
    },
    link,
    commands: { send: (command, slot) => link.sendCommand(command, slot), receive: (listener) => link.onCommand(listener) },
    async close(waitMs) {
      if (link.up) await Promise.race([link.client.ping().catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
      await link.close();
    },
  };
}
