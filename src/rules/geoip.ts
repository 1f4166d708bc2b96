// Country and continent of a client address, from a MaxMind DB file read once at start (and at a
// reload). Lookups are cached; a lookup that throws counts as "unknown", never as a failed request.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CountryResponse, Reader } from 'maxmind';

/** maxmind's Reader, loaded with the first database: a config without geoip: never holds it. */
let ReaderClass: typeof Reader | undefined;
const readerClass = () => (ReaderClass ??= (createRequire(import.meta.url)('maxmind') as { Reader: typeof Reader }).Reader);

export interface Place {
  readonly country: string | undefined;
  readonly continent: string | undefined;
}

/** Addresses looked up at load: in MaxMind's test data and in real databases, both families. */
const PROBES = ['81.2.69.142', '2.125.160.216', '8.8.8.8', '2001:218::1'];

/** What a decoded record says that no real place can: coordinates out of range, or denormal-small (wrongly sized doubles). */
function damaged(record: CountryResponse | null): string | undefined {
  const location = (record as { location?: { latitude?: unknown; longitude?: unknown } } | null)?.location;
  for (const [name, max] of [['latitude', 90], ['longitude', 180]] as const) {
    const v = location?.[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > max || (v !== 0 && Math.abs(v) < 1e-9)) return `an impossible ${name} (${String(v)})`;
  }
  return undefined;
}

const UNKNOWN: Place = { country: undefined, continent: undefined };
/** Addresses remembered; the cache starts afresh when full (cheap, and bounded). */
export const CACHE_SIZE = 10_000;

/** The database last opened: config validation and the running app open the same file one after
 *  the other, at start and at each reload, and a City database is tens of MB: it is read once
 *  while its size and modification time stay the same. */
let lastOpened: { file: string; mtimeMs: number; size: number; db: GeoDatabase } | undefined;

export class GeoDatabase {
  private readonly cache = new Map<string, Place>();
  /** Lookups that threw (a damaged database): reported by the caller, never thrown. */
  failures = 0;

  private constructor(private readonly reader: Reader<CountryResponse>) {}

  /** Opens `file`, or throws an Error that names it and says what is wrong. */
  static open(file: string): GeoDatabase {
    let reader: Reader<CountryResponse>;
    let stat: { mtimeMs: number; size: number };
    try {
      stat = statSync(file);
      if (lastOpened?.file === file && lastOpened.mtimeMs === stat.mtimeMs && lastOpened.size === stat.size) return lastOpened.db;
      reader = new (readerClass())<CountryResponse>(readFileSync(file));
    } catch (err) {
      throw new Error(`geoip.database ${file}: cannot be read as a MaxMind DB file: ${(err as Error).message}`, { cause: err });
    }
    // A database can open and still be damaged: look a few addresses up now, not at the first request.
    for (const ip of PROBES) {
      let record: CountryResponse | null;
      try {
        record = reader.get(ip);
      } catch (err) {
        throw new Error(`geoip.database ${file}: opens, but looking an address up fails: ${(err as Error).message}`, { cause: err });
      }
      const damage = damaged(record);
      if (damage) throw new Error(`geoip.database ${file}: opens, but looking an address up fails: ${ip} decodes to ${damage}, so its values are damaged`);
    }
    const db = new GeoDatabase(reader);
    lastOpened = { file, mtimeMs: stat.mtimeMs, size: stat.size, db };
    return db;
  }

  lookup(ip: string): Place {
    let place = this.cache.get(ip);
    if (place) return place;
    try {
      const r = this.reader.get(ip);
      place = r ? { country: r.country?.iso_code ?? r.registered_country?.iso_code, continent: r.continent?.code } : UNKNOWN;
    } catch {
      this.failures++;
      place = UNKNOWN;
    }
    if (this.cache.size >= CACHE_SIZE) this.cache.clear();
    this.cache.set(ip, place);
    return place;
  }
}
