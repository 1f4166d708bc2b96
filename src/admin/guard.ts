// Who may use the admin listener: the Host must be one it answers to (a foreign Host is a DNS
// rebinding attempt: a page on another site resolving its name to this address), every route but
// /healthz and the dashboard's static files needs the bearer token, and a write must not come from
// another origin (a browser page of another site).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AdminError } from './http.ts';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares in constant time: both sides hashed first, so their lengths leak nothing either. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given !== '';
}

/** The Host names (lower case, without port) the admin listener answers to. */
export function allowedHosts(listenHost: string, extra: readonly string[]): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]', ...extra.map((h) => h.toLowerCase())]);
  if (listenHost !== '::' && listenHost !== '0.0.0.0') hosts.add(listenHost.includes(':') ? `[${listenHost.toLowerCase()}]` : listenHost.toLowerCase());
  return hosts;
}

/** "Host: name:port" → "name" (brackets kept for IPv6); undefined when malformed. */
export function hostName(value: string | undefined): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(value ?? '');
  return match?.[1]?.toLowerCase();
}

export function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const name = hostName(req.headers.host);
  if (name === undefined || !hosts.has(name)) {
    throw new AdminError(403, 'FOREIGN_HOST', `the admin listener does not answer to Host ${JSON.stringify(req.headers.host ?? '')}; add it to admin.hosts if it is yours`);
  }
}

export function checkToken(req: IncomingMessage, token: string): void {
  if (!tokenMatches(req.headers.authorization, token)) throw new AdminError(401, 'UNAUTHORIZED', 'expected Authorization: Bearer <admin.token>');
}

/** A write from a browser page must come from the admin listener's own origin (same host and port). */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    host = undefined;
  }
  if (host === undefined || host === '' || host !== req.headers.host?.toLowerCase()) throw new AdminError(403, 'CROSS_ORIGIN', `writes from origin ${JSON.stringify(origin)} are refused`);
}
