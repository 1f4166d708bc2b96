// geo-preferred: a client goes to the data center its country (else continent) maps to while it
// is UP; the other data centers, and clients no mapping names, follow the fallback mode's order.
import { mappedDatacenter } from './geo.ts';
import type { GslbMode } from './types.ts';

export const geoPreferred: GslbMode = {
  name: 'geo-preferred',
  build(_all, _env, geo) {
    return {
      order(up, place) {
        const rest = geo.fallback.order(up, place);
        const home = place === undefined ? undefined : mappedDatacenter(geo, place());
        const first = home === undefined ? undefined : up.find((dc) => dc.name === home);
        return first ? [first, ...rest.filter((dc) => dc !== first)] : rest;
      },
    };
  },
};
