// Times a synchronous operation: a warm-up, then several timed rounds; the median round counts.

export const ROUNDS = 7;

export function measure(name: string, iterations: number, fn: (i: number) => void): { name: string; ns: number } {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(i);
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  rounds.sort((a, b) => a - b);
  return { name, ns: rounds[Math.floor(ROUNDS / 2)]! };
}
