// The geo-IP database is read once while its file stays the same (validation and the app both
// open it at start and at each reload), and read again when the file changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GeoDatabase } from './geoip.ts';

const GEO = fileURLToPath(new URL('../../test/fixtures/geo/GeoIP2-City-Test.mmdb', import.meta.url));
const BROKEN_GEO = fileURLToPath(new URL('../../test/fixtures/geo/GeoIP2-City-Test-Broken-Double-Format.mmdb', import.meta.url));

describe('geo-IP database', () => {
  it('is read once while the file is unchanged, again when it changes, and a broken one is never kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-geo-'));
    try {
      const file = join(dir, 'geo.mmdb');
      copyFileSync(GEO, file);
      const first = GeoDatabase.open(file);
      assert.equal(GeoDatabase.open(file), first, 'the same file: the database already read');
      assert.equal(first.lookup('81.2.69.142').country, 'GB');
      const later = new Date(Date.now() + 5000);
      utimesSync(file, later, later);
      const second = GeoDatabase.open(file);
      assert.notEqual(second, first, 'a file changed since: read again');
      assert.equal(second.lookup('81.2.69.142').country, 'GB');
      copyFileSync(BROKEN_GEO, file);
      assert.throws(() => GeoDatabase.open(file), /opens, but looking an address up fails/);
      assert.throws(() => GeoDatabase.open(join(dir, 'missing.mmdb')), /cannot be read as a MaxMind DB file: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
