// `npm run fuzz`: the fuzz targets at full size (FUZZ_SCALE multiplies it; FUZZ_SEED picks another sequence).
import { fuzzConfigLoader, fuzzCookieDecoder, fuzzForwardedFor, fuzzReload } from './targets.ts';

const scale = Number(process.env['FUZZ_SCALE'] ?? 1);
const seed = Number(process.env['FUZZ_SEED'] ?? 1);
for (const [run, n] of [
  [fuzzCookieDecoder, 300_000],
  [fuzzForwardedFor, 300_000],
  [fuzzConfigLoader, 200_000],
  [fuzzReload, 20_000],
] as const) {
  const started = performance.now();
  const result = await run(Math.round(n * scale), seed);
  console.log(`${result.target}: ${result.inputs} inputs, ${result.accepted} accepted, no unexpected error (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
