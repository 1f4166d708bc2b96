// Header rewriting both ways, on node's flat raw arrays, in one pass: hop-by-hop headers (and every
// header named in Connection) are dropped, X-Forwarded-* and Via are set.

/** RFC 9110 §7.6.1 hop-by-hop fields, plus the pre-standard ones clients still send. Expect is
 *  answered by Mooring itself (100-continue) and must not reach the upstream client (undici rejects it). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'http2-settings',
]);
/** Headers that Connection must never make us drop: they carry the message's framing or identity. */
const NEVER_NOMINATED = new Set(['host', 'content-length', 'cookie']);
const VIA = '1.1 mooring';
const MIGRATED = 'mooring-migrated-from';

export interface ForwardContext {
  /** The client's address, after trusted-proxy resolution. */
  readonly peerIp: string;
  readonly peerTrusted: boolean;
  readonly proto: 'http' | 'https';
  /** The address the client reached Mooring at (host:port), the Host for a request without one (HTTP/1.0). */
  readonly localHost: string;
}

export interface RequestHead {
  /** The headers to send upstream, flat [name, value, …]. */
  readonly headers: string[];
  readonly hostCount: number;
  /** -1 when absent. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** A Transfer-Encoding with a coding other than chunked (gzip, …), which Mooring does not relay. */
  readonly otherCoding: boolean;
  /** X-Forwarded-For as received (several fields joined), for client-address resolution. */
  readonly forwardedFor: string | undefined;
  /** X-Forwarded-Proto as received (believed only from trusted peers). */
  readonly forwardedProto: string | undefined;
  /** The Cookie header (several joined with "; "), and the index of its name in `headers`, always the last pair (-1: none). */
  readonly cookie: string | undefined;
  readonly cookieAt: number;
}

/** Tokens of a Connection header that name other headers to drop (close/keep-alive/upgrade name none). */
function nominated(connection: string | undefined): Set<string> | undefined {
  if (!connection || connection === 'keep-alive' || connection === 'close' || connection === 'Keep-Alive') return undefined;
  let names: Set<string> | undefined;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade' || NEVER_NOMINATED.has(name)) continue;
    (names ??= new Set()).add(name);
  }
  return names;
}

/** The upstream client hands raw headers over as Buffers, node:http as strings. */
function latin1(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

/** Whether a Transfer-Encoding value names no coding but chunked. */
function onlyChunked(value: string): boolean {
  return value.split(',').every((coding) => coding.trim().toLowerCase() === 'chunked');
}

function joined(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

/**
 * Reads the client's raw headers once and builds the upstream set. `keepUpgrade` keeps
 * Connection: upgrade and Upgrade, for WebSocket handshakes.
 */
export function requestHead(raw: readonly string[], fwd: ForwardContext, keepUpgrade = false): RequestHead {
  const out: string[] = [];
  let host: string | undefined;
  let hostCount = 0;
  let contentLength = -1;
  let chunked = false;
  let otherCoding = false;
  let connection: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let via: string | undefined;
  let upgrade: string | undefined;
  let cookie: string | undefined;
  let cookieAt = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'host') {
      host = value;
      hostCount++;
      out.push(name, value);
    } else if (lower === 'content-length') {
      contentLength = Number(value);
      out.push(name, value);
    } else if (lower === 'cookie') {
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
    } else if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') connection = joined(connection, value);
      else if (lower === 'transfer-encoding') {
        chunked = true;
        otherCoding ||= !onlyChunked(value);
      }
      else if (lower === 'upgrade') upgrade = value;
    } else if (lower === 'x-forwarded-for') forwardedFor = joined(forwardedFor, value);
    else if (lower === 'x-forwarded-proto') forwardedProto ??= value;
    else if (lower === 'x-forwarded-host') forwardedHost ??= value;
    else if (lower === 'via') via = joined(via, value);
    // Other ways of naming the client: believed (and passed on) only from a trusted proxy.
    else if (lower === 'forwarded' || lower === 'x-real-ip') {
      if (fwd.peerTrusted) out.push(name, value);
    }
    else if (lower !== MIGRATED) out.push(name, value); // only Mooring may say a client was moved
  }
  // HTTP/1.0 allows no Host; the upstream client would then send the server's own address. Send the address the
  // client reached instead: what it would have named.
  if (host === undefined) out.push('host', fwd.localHost);
  const drop = nominated(connection);
  const headers = drop ? dropPairs(out, drop) : out;
  // Only a trusted proxy's X-Forwarded-* are kept; anyone else's could be forged.
  headers.push('x-forwarded-for', fwd.peerTrusted && forwardedFor ? `${forwardedFor}, ${fwd.peerIp}` : fwd.peerIp);
  headers.push('x-forwarded-proto', fwd.peerTrusted && forwardedProto ? forwardedProto : fwd.proto);
  const xfHost = fwd.peerTrusted && forwardedHost ? forwardedHost : host;
  if (xfHost !== undefined) headers.push('x-forwarded-host', xfHost);
  headers.push('via', via === undefined ? VIA : `${via}, ${VIA}`);
  if (keepUpgrade && upgrade !== undefined) headers.push('connection', 'upgrade', 'upgrade', upgrade);
  // Last, so that persistence can take its own cookie out by shortening the array.
  if (cookie !== undefined) {
    cookieAt = headers.length;
    headers.push('cookie', cookie);
  }
  return { headers, hostCount, contentLength, chunked, otherCoding, forwardedFor, forwardedProto, cookie, cookieAt };
}

/**
 * Upstream response headers (raw, as the upstream client or node:http give them) → a flat string array for writeHead, hop-by-hop
 * dropped; undefined when the answer uses a transfer coding other than chunked (the client removes
 * only the chunking, so the body would reach the client still encoded, passed off as plain).
 */
export function responseHeaders(raw: readonly (Buffer | string)[]): string[] | undefined {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') connection = joined(connection, latin1(raw[i + 1]!));
      else if (lower === 'transfer-encoding' && !onlyChunked(latin1(raw[i + 1]!))) return undefined;
      continue;
    }
    out.push(name, latin1(raw[i + 1]!));
  }
  const drop = nominated(connection);
  return drop ? dropPairs(out, drop) : out;
}

/** A copy of a flat [name, value, …] array without the pairs whose name is in `drop`. */
export function dropPairs(flat: readonly string[], drop: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (!drop.has(flat[i]!.toLowerCase())) out.push(flat[i]!, flat[i + 1]!);
  }
  return out;
}
