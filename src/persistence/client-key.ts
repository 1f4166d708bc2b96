// Client-IP affinity keys: the address masked to a prefix (IPv4 /24 groups a NAT pool, IPv6 /64 a
// household), written as text so it can key a table.
import { isIP } from 'node:net';

/** The eight 16-bit groups of a valid IPv6 address (isIP checked it), embedded IPv4 included. */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const p = last.split('.').map(Number) as [number, number, number, number];
    tail = [(p[0] << 8) | p[1], (p[2] << 8) | p[3]];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const halves = text.split('::');
  if (halves.length === 1) return [...parse(halves[0]!), ...tail];
  const left = parse(halves[0]!);
  const right = [...parse(halves[1]!), ...tail];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The client's address with host bits cleared: "10.1.2.3" /24 → "10.1.2.0/24". */
export function maskedIp(ip: string, ipv4Prefix: number, ipv6Prefix: number): string {
  const family = isIP(ip);
  if (family === 4) {
    if (ipv4Prefix >= 32) return ip;
    const n = ip.split('.').reduce((acc, part) => (acc << 8) | Number(part), 0) >>> 0;
    const masked = ipv4Prefix === 0 ? 0 : (n & (~0 << (32 - ipv4Prefix))) >>> 0;
    return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${ipv4Prefix}`;
  }
  if (family === 6) {
    const out = ipv6Groups(ip).map((g, i) => {
      const bits = Math.min(16, Math.max(0, ipv6Prefix - i * 16));
      return (g & ((0xffff << (16 - bits)) & 0xffff)).toString(16);
    });
    return `${out.join(':')}/${ipv6Prefix}`;
  }
  return ip;
}
