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

const redisStore = z.strictObject({
  type: z.literal('redis'),
  url: redisUrl,
  /** Every key and channel Mooring uses starts with this, so instances of one site share it and others don't. */
  prefix: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'expected up to 64 letters, digits, ":", ".", "_" or "-"').default('mooring:'),
  /** How long a request waits for Redis to say whether it knows a session, before it goes on without. */
  timeout: duration().default(250),
});

export const storeSchema = z.discriminatedUnion('type', [memoryStore, redisStore], { error: 'expected store: { type: memory } or { type: redis, url: "redis://HOST:6379" }' });

export type StoreConfig = z.output<typeof storeSchema>;
export type RedisStoreConfig = z.output<typeof redisStore>;
