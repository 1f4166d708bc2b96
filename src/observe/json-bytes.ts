// Writes JSON values straight into a byte buffer, for the access log's hot path. Building a line
// as a string and encoding it afterwards (its pieces joined, flattened, then encoded by a call
// into C++, per request) cost Mooring about 6% of its throughput (docs/performance.md); here each
// byte is written once. Strings of plain printable ASCII (nearly every Host and path) take a fast loop;
// any other string is written as JSON.stringify gives it, so escaping never differs from JSON's.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NULL = Buffer.from('null', 'latin1');

/** A constant ASCII fragment (a key, punctuation), encoded once. */
export const fragment = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/**
 * The caller makes sure `buf` has room from `pos` for what it writes: at most 6 bytes per UTF-16
 * unit of a string (a control character's \u escape; non-ASCII takes at most 3 bytes), plus its
 * quotes, and 24 bytes per number.
 */
export class JsonBytes {
  pos = 0;

  constructor(public buf: Buffer) {}

  raw(bytes: Uint8Array): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
    this.pos = pos;
  }

  /** A JSON string, or null for undefined. */
  string(s: string | undefined): void {
    if (s === undefined) return this.raw(NULL);
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    buf[pos++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        this.pos = start + buf.write(JSON.stringify(s), start, 'utf8');
        return;
      }
      buf[pos++] = c;
    }
    buf[pos++] = QUOTE;
    this.pos = pos;
  }

  /** A whole number, written as JSON.stringify would. */
  integer(n: number): void {
    if (!Number.isSafeInteger(n)) return this.text(JSON.stringify(n));
    const buf = this.buf;
    if (n < 0) {
      buf[this.pos++] = MINUS;
      n = -n;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    const end = this.pos + digits;
    let pos = end;
    do {
      buf[--pos] = ZERO + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    this.pos = end;
  }

  /** A number with at most one decimal (milliseconds rounded to tenths), as JSON.stringify writes it. */
  tenths(value: number): void {
    const t = Math.round(value * 10);
    if (!Number.isSafeInteger(t)) return this.text(JSON.stringify(value));
    if (t < 0) this.buf[this.pos++] = MINUS;
    const abs = Math.abs(t);
    this.integer(Math.floor(abs / 10));
    if (abs % 10 !== 0) {
      this.buf[this.pos++] = DOT;
      this.buf[this.pos++] = ZERO + (abs % 10);
    }
  }

  /** ASCII text with nothing to escape (a number's own digits, a fragment made at run time). */
  private text(s: string): void {
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
}
