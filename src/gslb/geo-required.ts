// geo-required (compliance): a client may only be served by the data center its country (else
// continent) maps to. A client no mapping names is refused (403); one whose data center is not UP
// gets no server (503) rather than another data center.
import { mappedDatacenter } from './geo.ts';
import type { GslbMode } from './types.ts';

export const geoRequired: GslbMode = {
  name: 'geo-required',
  build(_all, _env, geo) {
    return {
      order(up, place) {
        const home = place === undefined ? undefined : mappedDatacenter(geo, place());
        return up.filter((dc) => dc.name === home);
      },
      refuses: (place) => mappedDatacenter(geo, place()) === undefined,
    };
  },
};
