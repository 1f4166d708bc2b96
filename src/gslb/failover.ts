// failover: data centers in the order the config lists them; the first UP one takes every new session.
import type { GslbMode } from './types.ts';

export const failover: GslbMode = {
  name: 'failover',
  build: () => ({ order: (up) => up }),
};
