// The only place persistence method names map to implementations.
import { AppCookiePersistence } from './app-cookie.ts';
import { CookiePersistence } from './cookie.ts';
import { clientIpPersistence, headerPersistence, queryPersistence } from './keyed.ts';
import type { PersistenceConfig } from './schema.ts';
import type { PersistenceMethod } from './types.ts';

const builders: Record<PersistenceConfig['method'], (c: PersistenceConfig, serverIds: readonly string[]) => PersistenceMethod | undefined> = {
  none: () => undefined,
  cookie: (c, ids) => new CookiePersistence(c, ids),
  'app-cookie': (c, ids) => new AppCookiePersistence(c, ids),
  'client-ip': (c) => clientIpPersistence(c),
  header: (c) => headerPersistence(c),
  query: (c) => queryPersistence(c),
};

/** The service's persistence method, or undefined for method none. */
export function buildPersistence(config: PersistenceConfig, serverIds: readonly string[]): PersistenceMethod | undefined {
  return builders[config.method](config, serverIds);
}
