// This process's connection to the Redis that instances share: one client for commands and one for
// invalidations (pub/sub). Never in the way of traffic: a command waits at most `timeout`, nothing
// queues while Redis is away (commands then fail at once and callers route from local state), the
// client reconnects with capped, jittered backoff, and trouble is logged at most every 10 s. With
// `sentinel:`, node-redis's Sentinel client finds the master through the sentinels and follows it
// across a failover; everything else is the same.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { createClient as CreateClient, createSentinel as CreateSentinel } from 'redis';
import type { Logger } from '../log.ts';
import { describeStore, type RedisStoreConfig } from '../state/schema.ts';

/** Between complaints about Redis in the process log. */
const COMPLAIN_EVERY_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;

type Client = ReturnType<typeof CreateClient>;

/** node-redis, loaded by the first link: a process without a Redis store never holds it (~27 MiB resident, measured). */
let redis: { createClient: typeof CreateClient; createSentinel: typeof CreateSentinel } | undefined;
const loadRedis = () => (redis ??= createRequire(import.meta.url)('redis') as NonNullable<typeof redis>);

/**
 * A client for `config`: one Redis, or the master the sentinels name. node-redis gives both the
 * same commands, events (ready, reconnecting, end, error) and isReady/isOpen, which is all the
 * link uses, so a Sentinel client is used under the one client's type.
 */
function connectionFor(config: RedisStoreConfig, commands: boolean): Client {
  const socket = { connectTimeout: Math.max(1000, config.timeout), reconnectStrategy: (retries: number) => Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(retries, 10)) * (0.5 + Math.random() / 2) };
  const commandOptions = commands ? { timeout: config.timeout, rejectInFlight: true } : {};
  const { createClient, createSentinel } = loadRedis();
  const s = config.sentinel;
  if (!s) return createClient({ url: config.url, disableOfflineQueue: true, commandOptions, socket });
  return createSentinel({
    name: s.name,
    sentinelRootNodes: s.nodes,
    nodeClientOptions: { password: s.password, disableOfflineQueue: true, socket },
    sentinelClientOptions: { password: s.sentinelPassword, socket },
    commandOptions,
    masterPoolSize: 1,
  }) as unknown as Client;
}

/** A kept operator command ("at\ncommand", at in ms since the epoch). */
function keptCommand(value: string): { at: number; command: string } {
  const nl = value.indexOf('\n');
  return { at: Number(value.slice(0, nl)) || 0, command: value.slice(nl + 1) };
}

/** Writes a slot's command (ARGV[3]) made at ARGV[2] unless the hash (KEYS[1]) holds a later one for it (ARGV[1]); 1 if written. */
const WRITE_IF_LATER = `
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if kept and tonumber(string.match(kept, '^%d+')) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

export class RedisLink {
  readonly client: Client;
  private readonly subscriber: Client;
  /** This instance, among those sharing the Redis (it tells its own messages and votes apart). */
  readonly instance = randomBytes(6).toString('base64url');
  private readonly channel: string;
  private readonly commandChannel: string;
  private readonly invalidated = new Map<string, (key: string) => void>();
  private readonly commandListeners: ((command: string, keptAt?: number) => void)[] = [];
  /** Lasting operator commands made while Redis was away, per slot: written once it is back. */
  private readonly unsent = new Map<string, { at: number; command: string }>();
  private readonly readyListeners: (() => void)[] = [];
  private lastComplaint = 0;
  private wasUp = false;
  /**
   * Whether invalidations and commands reach this process: the subscriber holds its
   * subscriptions (node-redis subscribes again on each reconnect before it says `ready`).
   */
  private listening = false;
  private subscribed = false;
  private closed = false;

  constructor(
    readonly config: RedisStoreConfig,
    private readonly log: Logger,
  ) {
    this.client = connectionFor(config, true);
    this.subscriber = connectionFor(config, false);
    this.channel = `${config.prefix}invalidate`;
    this.commandChannel = `${config.prefix}commands`;
    for (const c of [this.client, this.subscriber]) c.on('error', (err: Error) => this.complain(err));
    this.client.on('ready', () => this.ready());
    this.subscriber.on('ready', () => {
      if (!this.subscribed) return;
      this.listening = true;
      this.ready();
    });
    for (const event of ['end', 'reconnecting']) {
      this.client.on(event, () => (this.wasUp = false));
      this.subscriber.on(event, () => (this.listening = this.wasUp = false));
    }
  }

  /** Connects in the background: Mooring serves from local state until Redis answers. */
  start(): void {
    this.client.connect().catch((err: Error) => this.complain(err));
    this.subscriber
      .connect()
      .then(() =>
        Promise.all([
          this.subscriber.subscribe(this.channel, (message) => this.heard(message)),
          this.subscriber.subscribe(this.commandChannel, (message) => this.heardCommand(message)),
        ]),
      )
      .then(() => {
        this.subscribed = true;
        this.listening = this.subscriber.isReady;
        this.ready();
      })
      .catch((err: Error) => this.complain(err));
  }

  /**
   * Whether Redis can be used now: commands can be sent and other instances' invalidations are
   * heard. Without the second, a cached binding could outlive its move elsewhere unnoticed.
   */
  get up(): boolean {
    return this.client.isReady && this.listening;
  }

  /** `key`: the full key under the configured prefix. */
  key(...parts: string[]): string {
    return this.config.prefix + parts.join(':');
  }

  /** Called each time Redis becomes reachable (again). */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Other instances drop their cached copy of `key` in namespace `ns`. */
  invalidate(ns: string, key: string): void {
    if (!this.up) return;
    this.client.publish(this.channel, `${this.instance}\n${ns}\n${key}`).catch((err: Error) => this.complain(err));
  }

  /** What to do when another instance invalidates a key of namespace `ns`. */
  listen(ns: string, handler: (key: string) => void): void {
    this.invalidated.set(ns, handler);
  }

  unlisten(ns: string): void {
    this.invalidated.delete(ns);
  }

  /**
   * Every other instance hears `command` (an operator's change, as text). With `slot`, it is kept
   * as that slot's latest; made while Redis is away, it is kept here and written once Redis is
   * back (unless another instance made a later one meanwhile).
   */
  sendCommand(command: string, slot?: string): void {
    const at = Date.now();
    if (!this.up) {
      if (slot === undefined) return this.complain(new Error('an operator command could not be passed on to other instances: Redis is unreachable'));
      this.unsent.set(slot, { at, command });
      return this.complain(new Error('an operator command is passed on to other instances once Redis is reachable again'));
    }
    const fail = (err: Error) => this.complain(err);
    if (slot !== undefined) this.client.hSet(this.key('operator'), slot, `${at}\n${command}`).catch(fail);
    this.client.publish(this.commandChannel, `${this.instance}\n${command}`).catch(fail);
  }

  /** What to do with a command another instance sent, or a lasting one Redis held (made at `keptAt`). */
  onCommand(listener: (command: string, keptAt?: number) => void): void {
    this.commandListeners.push(listener);
  }

  /**
   * `command`'s answer, or a timeout error once `timeout` has passed, whatever the client does
   * meanwhile (a Sentinel client holds commands while it looks for a new master).
   */
  bounded<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis in ${this.config.timeout} ms`)), this.config.timeout);
    });
    return Promise.race([command, late]).finally(() => clearTimeout(timer));
  }

  /** A command failed or the connection broke: say so, at most every 10 s. */
  complain(err: Error): void {
    const now = Date.now();
    if (this.closed || now - this.lastComplaint < COMPLAIN_EVERY_MS) return;
    this.lastComplaint = now;
    this.log.warn({ store: describeStore(this.config), err: err.message }, 'Redis session store unreachable or slow: routing from local state meanwhile');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.client, this.subscriber].map((c) => (c.isOpen ? c.close() : c.destroy())));
  }

  /** Redis became usable (again): both connections are; what was missed meanwhile is reconciled by the listeners. */
  private ready(): void {
    if (this.wasUp || !this.up) return;
    this.wasUp = true;
    if (this.lastComplaint !== 0) this.log.info({ store: describeStore(this.config) }, 'Redis session store reachable again');
    this.lastComplaint = 0;
    this.catchUpCommands();
    for (const listener of this.readyListeners) listener();
  }

  /**
   * Reachable (again): each lasting operator command Redis keeps is applied here (what was
   * missed while away, or before this process started), unless one made here meanwhile is later;
   * those are written and passed on, where Redis holds none later.
   */
  private catchUpCommands(): void {
    const unsent = new Map(this.unsent);
    this.unsent.clear();
    const hash = this.key('operator');
    this.bounded(this.client.hGetAll(hash))
      .then((kept) => {
        for (const [slot, value] of Object.entries(kept)) {
          const { at, command } = keptCommand(value);
          const mine = unsent.get(slot);
          if (mine && mine.at >= at) continue;
          unsent.delete(slot);
          for (const listener of this.commandListeners) listener(command, at);
        }
        for (const [slot, { at, command }] of unsent) {
          this.client
            .eval(WRITE_IF_LATER, { keys: [hash], arguments: [slot, String(at), `${at}\n${command}`] })
            .then((written) => {
              if (written === 1) return this.client.publish(this.commandChannel, `${this.instance}\n${command}`);
            })
            .catch((err: Error) => this.complain(err));
        }
      })
      .catch((err: Error) => {
        for (const [slot, made] of unsent) if (!this.unsent.has(slot)) this.unsent.set(slot, made);
        this.complain(err);
      });
  }

  private heardCommand(message: string): void {
    const at = message.indexOf('\n');
    if (at < 0 || message.slice(0, at) === this.instance) return;
    for (const listener of this.commandListeners) listener(message.slice(at + 1));
  }

  private heard(message: string): void {
    const [from, ns, key] = message.split('\n');
    if (from === this.instance || ns === undefined || key === undefined) return;
    this.invalidated.get(ns)?.(key);
  }
}
