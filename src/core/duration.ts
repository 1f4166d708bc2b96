// Durations as people write them: 250ms, 3s, 5m, 1h, 7d, and combined: 1m30s.
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE.test(t)) return undefined;
  let ms = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(t); m; m = PART.exec(t)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Math.round(ms);
}

/** Unit words people write, and the unit Mooring reads. */
const UNIT_WORDS: Record<string, string> = {
  ms: 'ms', msec: 'ms', msecs: 'ms', millisecond: 'ms', milliseconds: 'ms',
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
};

/** What a mistyped duration most likely meant ("5 sec" → "5s", "10S" → "10s", "3000" → "3000ms"). */
export function suggestDuration(text: string): string | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return `${t}ms`;
  const words = t.toLowerCase().replace(/\s+/g, ' ').replace(/(\d) (?=[a-z])/g, '$1');
  let out = '';
  for (const part of words.split(/(?<=[a-z])\s*(?=\d)|\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(part);
    const unit = m && UNIT_WORDS[m[2]!];
    if (!m || !unit) return undefined;
    out += m[1] + unit;
  }
  return out !== t && parseDuration(out) !== undefined ? out : undefined;
}

/** A number where a duration was expected says which units it could mean. */
function wrongKind(input: unknown): string {
  if (typeof input !== 'number') return 'expected a duration such as 250ms, 3s, 5m, 1h or 7d';
  const minutes = input % 60 === 0 && input > 0 ? ` or "${input / 60}m"` : '';
  return `got the number ${input}; write a duration such as "${input}s"${minutes} or "${input}ms"`;
}

/** A zod type reading a duration string into milliseconds. */
/** The longest a Node timer can wait (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration field. `long`: a length that is only compared with the clock (a cookie's or a
 * session's lifetime), never waited for by a timer, so it may exceed MAX_TIMER_MS.
 */
export function duration(opts: { min?: number; allowZero?: boolean; long?: boolean } = {}) {
  return z.string({ error: (issue) => wrongKind(issue.input) }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      const guess = suggestDuration(text);
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 250ms, 3s, 5m, 1h, 7d or 1m30s, got "${text}"${guess ? `; did you mean "${guess}"?` : ''}` });
      return z.NEVER;
    }
    if (ms === 0 && opts.allowZero) return 0;
    if (ms < (opts.min ?? 1)) {
      ctx.addIssue({ code: 'custom', message: `expected at least ${opts.min ?? 1}ms, got "${text}"` });
      return z.NEVER;
    }
    if (!opts.long && ms > MAX_TIMER_MS) {
      ctx.addIssue({ code: 'custom', message: `expected at most 24d (about the longest a timer can wait: 2147483647ms), got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
}
