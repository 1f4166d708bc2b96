// Durations as people write them: 250ms, 3s, 5m, 1h, 7d.
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** A number where a duration was expected says which units it could mean. */
function wrongKind(input: unknown): string {
  if (typeof input !== 'number') return 'expected a duration such as 250ms, 3s, 5m, 1h or 7d';
  const minutes = input % 60 === 0 && input > 0 ? ` or "${input / 60}m"` : ` or "${input}ms"`;
  return `got the number ${input}; write a duration such as "${input}s"${minutes}`;
}

/** A zod type reading a duration string into milliseconds. */
export function duration(opts: { min?: number; allowZero?: boolean } = {}) {
  return z.string({ error: (issue) => wrongKind(issue.input) }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 250ms, 3s, 5m, 1h or 7d, got "${text}"` });
      return z.NEVER;
    }
    if (ms === 0 && opts.allowZero) return 0;
    if (ms < (opts.min ?? 1)) {
      ctx.addIssue({ code: 'custom', message: `expected at least ${opts.min ?? 1}ms, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
}
