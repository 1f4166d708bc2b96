// `store:` — where sessions of table methods live: this process's memory (the default), or Redis,
// shared by every instance that names the same server and prefix.
import { z } from 'zod';
import { duration } from '../core/duration.ts';

/** A Redis URL with its password hidden, for messages and logs. */
export function redactUrl(text: string): string {
  // Whatever the scheme (a mistyped one too): the user name may stay, what follows it may not.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_, scheme: string, info: string) => `${scheme}${info.includes(':') ? `${info.slice(0, info.indexOf(':'))}:****` : '****'}@`);
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

const redisUrl = z.string({ error: 'expected a Redis URL, e.g. url: "redis://127.0.0.1:6379"' }).superRefine((text, ctx) => {
  if (!isRedisUrl(text)) ctx.addIssue({ code: 'custom', message: `expected redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss:// for TLS, got "${redactUrl(text)}"` });
});

const memoryStore = z.strictObject({ type: z.literal('memory') });

/** A sentinel's address, "host:port". */
const sentinelNode = z.string().transform((text, ctx) => {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected a sentinel's HOST:PORT such as 10.0.0.7:26379, got "${text}"` });
    return z.NEVER;
  }
  return { host: match[1] ?? match[2]!, port };
});

/** Redis found through Sentinel: the master of `name`, as the sentinels say, followed across failovers. */
const sentinel = z.strictObject({
  /** The master's name in the sentinels' config (`sentinel monitor NAME ...`). */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected the master\'s name as the sentinels know it (letters, digits, ".", "_" or "-")'),
  /** Some of the sentinels (they tell of the others). */
  nodes: z.array(sentinelNode).min(1, 'expected at least one sentinel, e.g. nodes: ["10.0.0.7:26379"]').max(16),
  /** The Redis servers' password (AUTH), usually "${REDIS_PASSWORD}". */
  password: z.string().min(1).optional(),
  /** The sentinels' own password, when they require one. */
  sentinelPassword: z.string().min(1).optional(),
});

const redisStore = z.strictObject({
  type: z.literal('redis'),
  /** One Redis (or a proxy in front of several); either this or `sentinel`. */
  url: redisUrl.optional(),
  sentinel: sentinel.optional(),
  /** Every key and channel Mooring uses starts with this, so instances of one site share it and others don't. */
  prefix: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'expected up to 64 letters, digits, ":", ".", "_" or "-"').default('mooring:'),
  /** How long a request waits for Redis to say whether it knows a session, before it goes on without. */
  timeout: duration().default(250),
});

const onePlace = (store: { url?: string; sentinel?: unknown }, ctx: z.RefinementCtx) => {
  if (store.url === undefined && store.sentinel === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected url: "redis://HOST:6379" (one Redis) or sentinel: { name, nodes } (Redis Sentinel)' });
  if (store.url !== undefined && store.sentinel !== undefined) ctx.addIssue({ code: 'custom', path: ['sentinel'], message: 'expected url or sentinel, not both: with sentinel, the sentinels say where Redis is' });
};

export const storeSchema = z.discriminatedUnion('type', [memoryStore, redisStore.superRefine(onePlace)], { error: 'expected store: { type: memory } or { type: redis, url: "redis://HOST:6379" }' });

export type StoreConfig = z.output<typeof storeSchema>;
export type RedisStoreConfig = z.output<typeof redisStore>;

/** Where the store is, for logs and messages: never a password. */
export function describeStore(store: StoreConfig): string {
  if (store.type === 'memory') return 'memory';
  const where = store.sentinel ? `sentinel ${store.sentinel.name} via ${store.sentinel.nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',')}` : redactUrl(store.url ?? '');
  return `redis ${where} prefix ${store.prefix} timeout ${store.timeout}ms`;
}
