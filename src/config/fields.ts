// Reusable field types for the config schema: addresses, upstream URLs, CIDRs, names.
import { isIP, BlockList } from 'node:net';
import { z } from 'zod';

export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const name = (what: string) =>
  z.string().regex(NAME, `expected a ${what} of letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters`);

export interface HostPort {
  host: string;
  port: number;
}

/** "127.0.0.1:8080", "[::1]:8080", "localhost:8080" or ":8080" (all IPv4 and IPv6 addresses). */
export const listenAddress = z.string().transform((text, ctx): HostPort => {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const hostOk = host !== undefined && (host === '' || isIP(host) !== 0 || /^[A-Za-z0-9.-]+$/.test(host));
  if (!match || !hostOk || port > 65535 || (match[1] !== undefined && isIP(match[1]) !== 6)) {
    ctx.addIssue({ code: 'custom', message: `expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got "${text}"` });
    return z.NEVER;
  }
  return { host: host === '' ? '::' : host, port };
});

/** A server's URL: an origin (http or https, host, optional port), nothing after it. */
export const upstreamUrl = z.string({ error: "expected the server's URL, e.g. url: \"http://10.0.0.5:8080\"" }).transform((text, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const problem = !url
    ? `expected a URL such as http://10.0.0.5:8080, got "${text}"`
    : url.protocol !== 'http:' && url.protocol !== 'https:'
      ? `expected an http:// or https:// URL, got "${text}"`
      : (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password
        ? `expected just scheme://host:port (no path, query or credentials), got "${text}"`
        : undefined;
  if (problem || !url) {
    ctx.addIssue({ code: 'custom', message: problem ?? 'invalid URL' });
    return z.NEVER;
  }
  return url.origin;
});

/** An IP address or CIDR block, for trusted proxies and IP rules. */
export const cidr = z.string().refine((text) => parseCidr(text) !== undefined, {
  message: 'expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32',
});

export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = text.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (c) list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}
