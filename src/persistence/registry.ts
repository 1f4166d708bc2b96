// The only place persistence method names map to implementations.
import { AppCookiePersistence } from './app-cookie.ts';
import { CookiePersistence } from './cookie.ts';
import { clientIpPersistence, headerPersistence, queryPersistence } from './keyed.ts';
import type { PersistenceConfig } from './schema.ts';
import type { PersistenceMethod, SessionParts } from './types.ts';
import type { StoreLimits } from '../state/session-store.ts';

type Builder = (c: PersistenceConfig, serverIds: readonly string[], parts: SessionParts) => PersistenceMethod | undefined;

const builders: Record<PersistenceConfig['method'], Builder> = {
  none: () => undefined,
  cookie: (c, ids, parts) => new CookiePersistence(c, ids, parts),
  'app-cookie': (c, ids, parts) => new AppCookiePersistence(c, ids, parts),
  'client-ip': (c, _, parts) => clientIpPersistence(c, parts.store),
  header: (c, _, parts) => headerPersistence(c, parts),
  query: (c, _, parts) => queryPersistence(c, parts),
};

/** The service's persistence method, or undefined for method none. */
export function buildPersistence(config: PersistenceConfig, serverIds: readonly string[], parts: SessionParts): PersistenceMethod | undefined {
  return builders[config.method](config, serverIds, parts);
}

/** The bound and idle timeout of the method's session store. */
export function storeLimits(config: PersistenceConfig): StoreLimits {
  const provisionalMs = config.provisionalTimeout;
  if (config.method === 'client-ip') return { maxEntries: config.clientIp.maxEntries, idleMs: config.clientIp.idleTimeout, provisionalMs };
  const idleMs = config.method === 'cookie' ? (config.cookie.idleTimeout ?? config.table.idleTimeout) : config.table.idleTimeout;
  return { maxEntries: config.table.maxEntries, idleMs, provisionalMs };
}
