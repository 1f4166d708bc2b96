// The PROXY protocol (v1 text and v2 binary, as HAProxy specifies it) on a listener behind a TCP
// load balancer: the balancer sends the client's address first, before any HTTP or TLS byte. It
// is taken only from trustedProxies; from them it is required, and from anyone else a PROXY header
// is refused (the connection closed) while plain HTTP goes on as usual.
import { isIP, type BlockList, type Socket } from 'node:net';
import type { Server } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { isTrusted, normalizeIp } from './client-address.ts';

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');
/** The longest v1 line, CRLF included (the specification's 107 bytes). */
const V1_MAX = 107;
/** Beyond the 16-byte v2 header: addresses and TLVs. Load balancers send well under this. */
const V2_MAX_BODY = 4096;

export type ProxyHeader =
  /** Bytes so far are a header's beginning: read more. */
  | { readonly kind: 'more' }
  /** Not a PROXY header at all. */
  | { readonly kind: 'none' }
  | { readonly kind: 'bad'; readonly why: string }
  /** `length` header bytes; the client's address, or undefined for LOCAL / UNKNOWN (the balancer's own connection). */
  | { readonly kind: 'header'; readonly length: number; readonly client: { readonly ip: string; readonly port: number } | undefined };

const MORE: ProxyHeader = { kind: 'more' };
const NONE: ProxyHeader = { kind: 'none' };
const bad = (why: string): ProxyHeader => ({ kind: 'bad', why });

/** Whether `buf` starts like `prefix` (as far as it goes). */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

/** Reads a PROXY header at the start of `buf` (the bytes received so far). */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < 16 ? MORE : parseV2(buf);
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? MORE : parseV1(buf);
  return NONE;
}

function parseV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length >= V1_MAX ? bad('v1 header longer than 107 bytes') : MORE;
  if (end + 2 > V1_MAX) return bad('v1 header longer than 107 bytes');
  const parts = buf.toString('latin1', 0, end).split(' ');
  if (parts[1] === 'UNKNOWN') return { kind: 'header', length: end + 2, client: undefined };
  if (parts.length !== 6) return bad('v1 header: expected PROXY TCP4|TCP6 SOURCE DESTINATION SPORT DPORT');
  const [, family, source, destination, sport, dport] = parts as [string, string, string, string, string, string];
  const version = family === 'TCP4' ? 4 : family === 'TCP6' ? 6 : 0;
  if (version === 0) return bad(`v1 header: unknown protocol ${JSON.stringify(family.slice(0, 10))}`);
  if (isIP(source) !== version || isIP(destination) !== version) return bad(`v1 header: addresses are not ${family}`);
  if (!validPort(sport) || !validPort(dport)) return bad('v1 header: ports must be 0 to 65535');
  return { kind: 'header', length: end + 2, client: { ip: source, port: Number(sport) } };
}

const validPort = (text: string) => /^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65535;

function parseV2(buf: Buffer): ProxyHeader {
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return bad('v2 header: unknown version');
  const command = versionCommand & 0x0f;
  if (command > 1) return bad('v2 header: unknown command');
  const bodyLength = buf.readUInt16BE(14);
  if (bodyLength > V2_MAX_BODY) return bad(`v2 header: ${bodyLength} bytes of addresses and TLVs, more than ${V2_MAX_BODY}`);
  if (buf.length < 16 + bodyLength) return MORE;
  const length = 16 + bodyLength;
  // LOCAL: the balancer's own connection (a health check): no client address.
  if (command === 0) return { kind: 'header', length, client: undefined };
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0x0f;
  if (family === 0 || transport === 0) return { kind: 'header', length, client: undefined };
  if (transport !== 1) return bad('v2 header: not a stream (TCP) connection');
  if (family === 1) {
    if (bodyLength < 12) return bad('v2 header: IPv4 addresses cut short');
    return { kind: 'header', length, client: { ip: [...buf.subarray(16, 20)].join('.'), port: buf.readUInt16BE(24) } };
  }
  if (family === 2) {
    if (bodyLength < 36) return bad('v2 header: IPv6 addresses cut short');
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + i * 2).toString(16));
    // The URL parser writes an IPv6 address in its canonical short form.
    const ip = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
    return { kind: 'header', length, client: { ip, port: buf.readUInt16BE(48) } };
  }
  return bad('v2 header: unix sockets are not clients Mooring can name');
}

const kClient = Symbol('mooring.proxied-client');
type ProxiedSocket = Socket & { [kClient]?: string; _parent?: ProxiedSocket };

/** The client address a PROXY header named for this connection (a TLS socket asks its raw socket). */
export function proxiedClient(socket: Socket): string | undefined {
  const s = socket as ProxiedSocket;
  return s[kClient] ?? s._parent?.[kClient];
}

export interface ProxyProtocolSettings {
  trusted: BlockList;
  /** How long a connection may take to send its header. */
  timeoutMs: number;
  /** A connection refused, and why (for the log). */
  refused(peer: string, why: string): void;
}

/**
 * Puts PROXY header reading in front of `server`'s own connection handling: each new connection
 * is handed on once its header is read (and taken off the bytes), or closed.
 */
export function acceptProxyProtocol(server: Server, settings: () => ProxyProtocolSettings): void {
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  const tls = server instanceof TlsServer;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const { trusted, timeoutMs, refused } = settings();
    const peer = normalizeIp(socket.remoteAddress ?? '');
    const fromTrusted = isTrusted(trusted, peer);
    let received: Buffer = Buffer.alloc(0);
    const handOn = (rest: Buffer) => {
      cleanUp();
      // TLS takes over the socket's reads from below and reads what is buffered first: it must find
      // the socket paused. HTTP's parser reads what a flowing socket emits.
      if (tls) socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      for (const handler of handlers) handler.call(server, socket);
    };
    const refuse = (why: string) => {
      cleanUp();
      refused(peer, why);
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const header = parseProxyHeader(received);
      if (header.kind === 'more') return;
      if (header.kind === 'bad') return refuse(header.why);
      if (header.kind === 'none') return fromTrusted ? refuse('a trusted proxy sent no PROXY header') : handOn(received);
      if (!fromTrusted) return refuse('a PROXY header from an address not in trustedProxies');
      if (header.client) (socket as ProxiedSocket)[kClient] = normalizeIp(header.client.ip);
      handOn(received.subarray(header.length));
    };
    const timer = setTimeout(() => refuse(`no complete PROXY header within ${timeoutMs} ms`), timeoutMs);
    const onClose = () => cleanUp();
    function cleanUp(): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => socket.destroy());
  });
}
