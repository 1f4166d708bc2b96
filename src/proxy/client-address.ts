// Who the client is: the socket's peer, or, when the peer is a trusted proxy, the right-most
// X-Forwarded-For entry that is not itself trusted. A value that is not an IP is never used as one.
import { isIP, type BlockList } from 'node:net';

/** "::ffff:10.1.2.3" → "10.1.2.3", so IPv4 rules and masks apply to IPv4 clients on dual-stack sockets. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function isTrusted(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** An X-Forwarded-For entry as an IP: bare, "1.2.3.4:port" or "[v6]:port"; undefined if not an IP. */
function entryIp(entry: string): string | undefined {
  let text = entry.trim();
  if (text.startsWith('[')) text = text.slice(1, text.indexOf(']') < 0 ? text.length : text.indexOf(']'));
  else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes('.')) text = text.split(':')[0]!;
  return isIP(text) !== 0 ? normalizeIp(text) : undefined;
}

export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: BlockList): string {
  let client = normalizeIp(peer);
  if (!forwardedFor || !isTrusted(trusted, client)) return client;
  const entries = forwardedFor.split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const ip = entryIp(entries[i]!);
    // Garbage in the chain: stop at the last hop we could trust.
    if (ip === undefined) return client;
    client = ip;
    if (!isTrusted(trusted, ip)) return ip;
  }
  return client;
}
