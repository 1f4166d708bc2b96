// The fuzz targets at a small size on every test run (`npm run fuzz` runs them large).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forged, fuzzConfigLoader, fuzzCookieDecoder, fuzzForwardedFor, fuzzReload } from './targets.ts';

describe('fuzzing (small)', () => {
  it('the cookie decoder takes 20,000 forged values without throwing, and accepts none of them', () => {
    const { accepted } = fuzzCookieDecoder(20_000);
    assert.equal(accepted, 0, `accepted: ${forged.slice(0, 3).join(', ')}`);
  });

  it('the X-Forwarded-For walker takes 20,000 headers and always yields an IP', () => {
    const { accepted } = fuzzForwardedFor(20_000);
    assert.ok(accepted > 0, 'some headers named a client');
  });

  it('the config loader takes 3,000 mutated files and throws nothing but ConfigError', () => {
    const { accepted } = fuzzConfigLoader(3_000);
    assert.ok(accepted > 0, 'some mutated files are still valid: the fuzzer reaches past the parser');
  });

  it('a running Mooring takes 300 mutated files by reload: each applied or refused with a reason, none throws, and it still serves', async () => {
    const { accepted } = await fuzzReload(300);
    assert.ok(accepted > 0, 'some mutated files were applied: the fuzzer reaches past validation');
  });
});
