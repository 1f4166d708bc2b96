// Reading one cookie's value out of a Cookie header without parsing the others (per request, hot).

/** The value of the first cookie named `name` in a Cookie header. */
export function findCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    let i = start;
    while (header.charCodeAt(i) === 32) i++;
    if (header.startsWith(name, i) && header.charCodeAt(i + name.length) === 61 /* = */) {
      return header.slice(i + name.length + 1, end).trim();
    }
    start = end + 1;
  }
  return undefined;
}
