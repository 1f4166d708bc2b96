// Slow start: a server that comes back takes a growing share of new sessions instead of its full
// share at once (a cold cache, a JIT still warming), as HAProxy's `slowstart` and Envoy's slow start.

/** The share a server gets at the very start of its ramp, so it is tried at all. */
export const MIN_SHARE = 0.1;

/** Fraction of its weight a server gets `elapsedMs` into a ramp of `windowMs`: linear from MIN_SHARE to 1. */
export function rampFactor(elapsedMs: number, windowMs: number): number {
  if (windowMs <= 0 || elapsedMs >= windowMs) return 1;
  return Math.max(MIN_SHARE, elapsedMs / windowMs);
}
