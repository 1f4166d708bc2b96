// Scanning a Cookie header for one cookie by name, without parsing the others (per request, hot).

export interface CookieSpan {
  /** Where the "name=value" pair starts (after any spaces) and where it ends (its ";" or the end). */
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/** The next cookie named `name` at or after `from`, or undefined. */
export function nextCookie(header: string, name: string, from = 0): CookieSpan | undefined {
  let start = from;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    let i = start;
    while (header.charCodeAt(i) === 32) i++;
    if (header.startsWith(name, i) && header.charCodeAt(i + name.length) === 61 /* = */) {
      return { start, end, value: header.slice(i + name.length + 1, end).trim() };
    }
    start = end + 1;
  }
  return undefined;
}

/** The value of the first cookie named `name` in a Cookie header. */
export function findCookie(header: string | undefined, name: string): string | undefined {
  return header ? nextCookie(header, name)?.value : undefined;
}
