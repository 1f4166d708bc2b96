// The only place persistence method names map to implementations.
import type { Server } from '../core/server.ts';
import { AppCookiePersistence } from './app-cookie.ts';
import { CookiePersistence } from './cookie.ts';
import { clientIpPersistence, headerPersistence, queryPersistence } from './keyed.ts';
import type { PersistenceConfig } from './schema.ts';
import type { PersistenceMethod } from './types.ts';

const builders: Record<PersistenceConfig['method'], (c: PersistenceConfig, servers: readonly Server[]) => PersistenceMethod | undefined> = {
  none: () => undefined,
  cookie: (c, servers) => new CookiePersistence(c, servers),
  'app-cookie': (c, servers) => new AppCookiePersistence(c, servers),
  'client-ip': (c) => clientIpPersistence(c),
  header: (c) => headerPersistence(c),
  query: (c) => queryPersistence(c),
};

/** The service's persistence method, or undefined for method none. */
export function buildPersistence(config: PersistenceConfig, servers: readonly Server[]): PersistenceMethod | undefined {
  return builders[config.method](config, servers);
}
