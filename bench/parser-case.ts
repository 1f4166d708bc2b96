// The answer parser's cost per answer, for the choice of parser (docs/performance.md): node's
// native llhttp as the upstream client runs it, against the least a JavaScript head parser must do
// (find the head's end, split lines, cut names from values, read Content-Length: no validation at
// all, so a lower bound for any strict parser of Mooring's own).
import { ResponseParser, nativeParser } from '../src/upstream/llhttp.ts';
import { measure } from './measure.ts';

const body = 'x'.repeat(1024);
const answer = Buffer.from(
  `HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 19:00:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nLast-Modified: Thu, 03 Dec 2026 18:00:00 GMT\r\nConnection: keep-alive\r\nETag: "6750a0f0-400"\r\nAccept-Ranges: bytes\r\n\r\n${body}`,
  'latin1',
);

/** The least a JavaScript parser does with one whole answer in one buffer. */
function leastJsParse(data: Buffer): number {
  const end = data.indexOf('\r\n\r\n');
  const lines = data.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0]!.slice(9, 12));
  const headers: string[] = [];
  let length = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    headers.push(name, value);
    if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(value);
  }
  const chunk = data.subarray(end + 4, end + 4 + length);
  return status + headers.length + chunk.length;
}

export function parserCases() {
  const Native = nativeParser();
  let sink = 0;
  const cases = [measure('answer parse: least JavaScript head parser (no checks), 1 KB answer', 200_000, () => (sink += leastJsParse(answer)))];
  if (Native) {
    const parser = new ResponseParser(
      Native,
      { onBegin() {}, onHead: (status, headers) => ((sink += status + headers.length), 0), onBody: (chunk) => (sink += chunk.length), onEnd() {} },
      16_384,
    );
    cases.unshift(measure('answer parse: native llhttp (own client), 1 KB answer', 200_000, () => parser.execute(answer)));
  }
  if (sink < 0) console.log(sink);
  return cases;
}
