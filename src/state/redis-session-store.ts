// Sessions shared by every instance through Redis, with this process's memory as the cache in
// front: a pinned request is answered from memory, never from Redis. A key this process has not
// seen is fetched once (one GET, bounded by the store's timeout); binds and ends are written behind
// the request, refreshes at most four times per idle window; other instances drop their cached copy
// of a key that is bound anew or ended (pub/sub). A refresh never undoes a move: it is written only
// where Redis still binds the key to the same server (or to none), and where another instance has
// bound it elsewhere meanwhile (its invalidation not heard here yet), that binding is taken here.
// Counts per server, for maxSessions, are the group's (polled every sweep) plus what was bound
// here since. While Redis is away, everything is
// local; once it returns, every session this process holds is written back where Redis has none
// (Redis may have restarted empty), and where Redis has another binding (made elsewhere meanwhile,
// while invalidations could not arrive), that one replaces the copy here.
//
// Keys, all under the prefix and all with a TTL: s:NS:KEY → "server\nexpiresAt\nsessionId\nflag"
// (the session's idle or absolute expiry, whichever is first; flag "p" while provisional),
// n:NS:SERVER → a sorted set of the server's live, counted keys scored by expiry (a provisional
// session joins it once its client comes back). NS is service:method.
import { CachedSessionStore } from './cached-store.ts';
import type { RedisLink } from './redis-link.ts';
import { provisionalMs, type BindTerms, type SessionEntry, type SharedSessions, type StoreLimits } from './session-store.ts';

/** Refresh a session's TTL in Redis when its idle window is this far along since the last refresh. */
const REFRESH_PARTS = 4;

/**
 * A refresh, atomic in Redis: the session key (KEYS[1]) is written only if it is gone or still
 * names the same server (ARGV[1], "server\n"); then, unless provisional, the key joins the server's
 * count set (KEYS[2]). Returns the other binding found instead, else nil.
 */
const REFRESH_SCRIPT = `
local bound = redis.call('GET', KEYS[1])
if bound and string.sub(bound, 1, #ARGV[1]) ~= ARGV[1] then return bound end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return false`;

export class RedisSessionStore extends CachedSessionStore {
  /** Live sessions per server across the group, as of the last poll. */
  private readonly group = new Map<string, number>();
  /** Sessions bound (+) or ended (-) here since the last poll was sent, per server. */
  private readonly since = new Map<string, number>();
  private polling: Promise<void> | undefined;

  constructor(
    private readonly link: RedisLink,
    /** service:method */
    private readonly ns: string,
    limits: StoreLimits,
    /** The service's servers now: whose group counts to poll. */
    private readonly servers: () => readonly string[],
  ) {
    super(limits);
    link.listen(ns, (key) => this.local.end(key));
    link.onReady(() => this.writeBack());
  }

  protected canAsk(): boolean {
    return this.link.up;
  }

  protected ask(key: string): Promise<void> {
    return this.link
      .bounded(this.link.client.get(this.sessionKey(key)))
      .then((value) => this.cache(key, value))
      .catch((err: Error) => this.link.complain(err));
  }

  bind(key: string, server: string, now: number, terms?: BindTerms): SessionEntry {
    const old = this.local.end(key);
    if (old && !old.provisional) this.counted(old.server, -1);
    const entry = this.local.bind(key, server, now, terms);
    if (!entry.provisional) this.counted(server, 1);
    if (this.link.up) {
      this.write(key, entry, now, old && old.server !== server ? old.server : undefined);
      this.link.invalidate(this.ns, key);
    }
    return entry;
  }

  confirm(key: string, entry: SessionEntry, now: number): void {
    if (!entry.provisional) return this.touch(key, entry, now);
    this.local.confirm(key, entry, now);
    this.counted(entry.server, 1);
    if (this.link.up) this.refresh(key, entry, now);
  }

  touch(key: string, entry: SessionEntry, now: number): void {
    const part = this.local.limits.idleMs / REFRESH_PARTS;
    const due = Math.floor(now / part) !== Math.floor(entry.lastSeen / part);
    this.local.touch(key, entry, now);
    if (due && this.link.up) this.refresh(key, entry, now);
  }

  end(key: string): SessionEntry | undefined {
    const entry = this.local.end(key);
    if (entry && !entry.provisional) this.counted(entry.server, -1);
    if (this.link.up) {
      const { client } = this.link;
      const fail = (err: Error) => this.link.complain(err);
      client.del(this.sessionKey(key)).catch(fail);
      if (entry) client.zRem(this.countKey(entry.server), key).catch(fail);
      this.link.invalidate(this.ns, key);
    }
    return entry;
  }

  get degraded(): boolean {
    return !this.link.up;
  }

  override countOn(server: string): number {
    if (!this.link.up) return this.local.countOn(server);
    return Math.max(0, (this.group.get(server) ?? 0) + (this.since.get(server) ?? 0));
  }

  override sweep(now: number): number {
    const removed = super.sweep(now);
    this.poll(now);
    return removed;
  }

  close(): void {
    this.link.unlisten(this.ns);
  }

  /**
   * Every instance's sessions, from the count sets (scored by expiry) and the entries in Redis:
   * what the admin API shows. A session's last sight is as of its last refresh written there
   * (refreshes are at most a quarter of the idle window apart).
   */
  readShared(server: string | undefined, limit: number, now: number): Promise<SharedSessions> | undefined {
    if (!this.link.up) return undefined;
    const { client } = this.link;
    const servers = server === undefined ? this.servers() : [server];
    const read = async (): Promise<SharedSessions> => {
      const perServer = await Promise.all(
        servers.map(async (s) => {
          const key = this.countKey(s);
          const [count, members] = await Promise.all([client.zCount(key, now, '+inf'), client.zRangeWithScores(key, now, '+inf', { BY: 'SCORE', LIMIT: { offset: 0, count: limit } })]);
          return { count, members: members.map((m) => ({ key: m.value, server: s, until: m.score })) };
        }),
      );
      const members = perServer.flatMap((p) => p.members).sort((a, b) => a.until - b.until).slice(0, limit);
      const values = members.length > 0 ? await client.mGet(members.map((m) => this.sessionKey(m.key))) : [];
      const sample = members.flatMap((m, i) => {
        const [bound, expiresAt] = (values[i] ?? '').split('\n');
        // Gone, or bound elsewhere since (its old count entry expires on its own).
        if (bound !== m.server) return [];
        return [{ key: m.key, server: m.server, lastSeen: Math.min(now, m.until - this.local.limits.idleMs), expiresAt: Number(expiresAt) || undefined }];
      });
      return { count: perServer.reduce((n, p) => n + p.count, 0), sample };
    };
    return this.link.bounded(read()).catch((err: Error) => {
      this.link.complain(err);
      return { count: servers.reduce((n, s) => n + this.countOn(s), 0), sample: this.list(server, limit, now) };
    });
  }

  /** Settles once what was sent to Redis so far (writes, a poll of the counts) is answered. */
  async flush(): Promise<void> {
    if (this.link.up) await this.link.client.ping().catch((err: Error) => this.link.complain(err));
    await this.polling;
  }

  private sessionKey(key: string): string {
    return this.link.key('s', this.ns, key);
  }

  private countKey(server: string): string {
    return this.link.key('n', this.ns, server);
  }

  /** What Redis said of a key this process had not seen: cached as a binding made now. */
  private cache(key: string, value: string | null): void {
    if (value === null || this.local.find(key, Date.now()) !== undefined) return;
    const [server, expiresAt, sessionId, flag] = value.split('\n');
    if (!server) return;
    this.local.bind(key, server, Date.now(), { expiresAt: Number(expiresAt) || 0, sessionId: sessionId || undefined, provisional: flag === 'p' });
  }

  /** The session's expiry in ms since the epoch: its idle window or its absolute end, the sooner. */
  private expiry(entry: SessionEntry, now: number): number {
    const idle = now + (entry.provisional ? provisionalMs(this.local.limits) : this.local.limits.idleMs);
    return entry.expiresAt === 0 ? idle : Math.min(idle, entry.expiresAt);
  }

  /** The session's value in Redis. */
  private static value(entry: SessionEntry): string {
    return `${entry.server}\n${entry.expiresAt}\n${entry.sessionId ?? ''}${entry.provisional ? '\np' : ''}`;
  }

  /** Writes a new binding, over whatever Redis held (a failed write is retried by the session's next refresh). */
  private write(key: string, entry: SessionEntry, now: number, leftServer?: string): void {
    const until = this.expiry(entry, now);
    if (until <= now) return;
    const { client } = this.link;
    const fail = (err: Error) => this.link.complain(err);
    client.set(this.sessionKey(key), RedisSessionStore.value(entry), { PX: until - now }).catch(fail);
    if (!entry.provisional) this.counts(key, entry.server, until, now);
    if (leftServer !== undefined) client.zRem(this.countKey(leftServer), key).catch(fail);
  }

  /**
   * Refreshes a binding this process holds, unless another instance has bound the key elsewhere
   * since (its invalidation still on the way): then that binding replaces the one here.
   */
  private refresh(key: string, entry: SessionEntry, now: number): void {
    const until = this.expiry(entry, now);
    if (until <= now) return;
    const keys = [this.sessionKey(key)];
    if (!entry.provisional) keys.push(this.countKey(entry.server));
    const args = [`${entry.server}\n`, RedisSessionStore.value(entry), String(until - now), String(until), key, String(this.countTtl(until, now))];
    this.link.client
      .eval(REFRESH_SCRIPT, { keys, arguments: args })
      .then((other) => {
        if (typeof other === 'string') this.adopt(key, entry, other);
      })
      .catch((err: Error) => this.link.complain(err));
  }

  /** Redis binds `key` elsewhere than `entry` says: unless the key was bound anew here since, Redis's binding is taken. */
  private adopt(key: string, entry: SessionEntry, other: string): void {
    if (this.local.find(key, Date.now()) !== entry) return;
    this.local.end(key);
    if (!entry.provisional) this.counted(entry.server, -1);
    this.cache(key, other);
  }

  /** `key` counts among `server`'s live sessions until `until`. */
  private counts(key: string, server: string, until: number, now: number): void {
    const fail = (err: Error) => this.link.complain(err);
    const countKey = this.countKey(server);
    this.link.client.zAdd(countKey, { score: until, value: key }).catch(fail);
    this.link.client.pExpire(countKey, this.countTtl(until, now)).catch(fail);
  }

  /** A count set outlives its longest member, and at least an idle window. */
  private countTtl(until: number, now: number): number {
    return Math.max(until - now, this.local.limits.idleMs);
  }

  /**
   * Redis is reachable (again): each session held here (provisional ones too) is written where
   * Redis has none; where it binds the key to another server, as another instance did meanwhile,
   * that binding is taken here.
   */
  private writeBack(): void {
    const now = Date.now();
    for (const [key, entry] of [...this.local.live(now)]) {
      const until = this.expiry(entry, now);
      const value = RedisSessionStore.value(entry);
      this.link.client
        .set(this.sessionKey(key), value, { PX: until - now, NX: true, GET: true })
        .then((existing) => {
          if (existing === null) return void (entry.provisional || this.counts(key, entry.server, until, now));
          const [server, , , flag] = existing.split('\n');
          if (server !== entry.server) return this.adopt(key, entry, existing);
          // The same binding, still provisional there: its client came back here meanwhile.
          if (!entry.provisional && flag === 'p') this.refresh(key, entry, now);
        })
        .catch((err: Error) => this.link.complain(err));
    }
    this.poll(now);
  }

  private counted(server: string, delta: number): void {
    this.since.set(server, (this.since.get(server) ?? 0) + delta);
  }

  /** Each server's live sessions across the group; what was bound here after the poll was sent still counts on top. */
  private poll(now: number): void {
    if (this.polling || !this.link.up) return;
    const servers = this.servers();
    const sent = new Map(this.since);
    const { client } = this.link;
    this.polling = Promise.all(
      servers.map(async (server) => {
        const countKey = this.countKey(server);
        await client.zRemRangeByScore(countKey, '-inf', now);
        return client.zCard(countKey);
      }),
    )
      .then((counts) => {
        servers.forEach((server, i) => this.group.set(server, counts[i]!));
        for (const [server, n] of sent) this.since.set(server, (this.since.get(server) ?? 0) - n);
      })
      .catch((err: Error) => this.link.complain(err))
      .finally(() => (this.polling = undefined));
  }
}
