// Node's own HTTP/1 parser (llhttp, in C, the one node:http runs), reached through the internal
// `_http_common` module. It is not a public API (Node PR 58535 proposes deprecating `_http_*`), so
// it is checked once at start: present, with the callback slots and argument order this code relies
// on, parsing a known answer correctly. When the check fails the caller uses another client.
import { createRequire } from 'node:module';

/** The events of one parsed answer, as the native parser reports them. */
export interface ParserEvents {
  /** A message begins (an interim 1xx, the answer, or bytes nobody asked for). */
  onBegin(): void;
  /** The head: 0 to go on, 1 to expect no body (an answer to HEAD), 2 for an upgrade, -1 to fail the parse. */
  onHead(status: number, headers: string[], keepAlive: boolean, upgrade: boolean): number;
  onBody(chunk: Buffer): void;
  onEnd(): void;
}

/** A parse error: llhttp's code (HPE_…) and reason. */
export interface ParseError extends Error {
  readonly code: string;
  readonly reason?: string;
  readonly bytesParsed: number;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): undefined | ParseError;
  close(): void;
  [slot: number]: unknown;
}

export interface NativeParserClass {
  new (): NativeParser;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}

/** One connection's answer parser, over llhttp. Strict: no lenient flag is ever set. */
export class ResponseParser {
  private readonly native: NativeParser;
  /** Header pairs handed over before the head was complete (llhttp flushes them by 32). */
  private partial: string[] | undefined;

  constructor(Native: NativeParserClass, events: ParserEvents, maxHeaderBytes: number) {
    const native = new Native();
    native.initialize(Native.RESPONSE, {}, maxHeaderBytes, Native.kLenientNone);
    native[Native.kOnMessageBegin] = () => events.onBegin();
    native[Native.kOnHeaders] = (headers: string[]) => {
      this.partial = this.partial ? this.partial.concat(headers) : headers;
    };
    native[Native.kOnHeadersComplete] = (_major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown, status: number, _text: string, upgrade: boolean, keepAlive: boolean) => {
      let all = headers ?? [];
      if (this.partial) {
        all = headers ? this.partial.concat(headers) : this.partial;
        this.partial = undefined;
      }
      return events.onHead(status, all, keepAlive, upgrade);
    };
    native[Native.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
    native[Native.kOnMessageComplete] = () => events.onEnd();
    this.native = native;
  }

  /** Bytes parsed (all of them, or up to an upgrade's head), or the parse error. */
  execute(data: Buffer): number | ParseError {
    return this.native.execute(data);
  }

  /** The connection ended: ends a close-delimited answer, or says the answer was cut short. */
  finish(): ParseError | undefined {
    return this.native.finish() ?? undefined;
  }

  close(): void {
    this.native.close();
  }
}

let checked: NativeParserClass | null | undefined;

/** Node's parser when it is there and behaves as this code expects; undefined otherwise. */
export function nativeParser(): NativeParserClass | undefined {
  if (checked === undefined) checked = load() ?? null;
  return checked ?? undefined;
}

function load(): NativeParserClass | undefined {
  try {
    const Native = (createRequire(import.meta.url)('_http_common') as { HTTPParser?: NativeParserClass }).HTTPParser;
    if (typeof Native !== 'function') return undefined;
    for (const slot of ['kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'RESPONSE', 'kLenientNone'] as const) {
      if (typeof Native[slot] !== 'number') return undefined;
    }
    return parsesKnownAnswer(Native) ? Native : undefined;
  } catch {
    return undefined;
  }
}

/** An interim 100, then a 200 with a header and a two-byte body, must read back exactly so. */
function parsesKnownAnswer(Native: NativeParserClass): boolean {
  const seen: string[] = [];
  const parser = new ResponseParser(
    Native,
    {
      onBegin: () => seen.push('begin'),
      onHead: (status, headers, keepAlive) => (seen.push(`${status} ${headers.join('|')} ${keepAlive}`), 0),
      onBody: (chunk) => seen.push(`body ${chunk.toString('latin1')}`),
      onEnd: () => seen.push('end'),
    },
    1024,
  );
  const answer = Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nhi');
  const parsed = parser.execute(answer);
  parser.close();
  return parsed === answer.length && seen.join(',') === 'begin,100  true,end,begin,200 Content-Length|2|X-A|b true,body hi,end';
}
