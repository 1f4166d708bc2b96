// What the geo modes share: the data center a client's country (else its continent) maps to.
import type { GeoSettings, Place } from './types.ts';

/** For the modes that read no place (and a fallback's own build). */
export const NO_GEO: GeoSettings = { countries: {}, continents: {}, fallback: { order: (up) => up } };

export function mappedDatacenter(geo: GeoSettings, place: Place): string | undefined {
  return (place.country !== undefined ? geo.countries[place.country] : undefined) ?? (place.continent !== undefined ? geo.continents[place.continent] : undefined);
}
