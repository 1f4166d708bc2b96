// A listener's certificates: the first for any client, and more chosen by the name a client asks
// for (SNI) against each certificate's own names (its subjectAltName DNS entries, else its CN; a
// `*.example.com` entry matches one label), as nginx and HAProxy's `crt-list` do without a list.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

interface Named {
  readonly names: readonly string[];
  readonly context: SecureContext;
}

/** One certificate's file (its base name) and when it expires (ms since the epoch). */
export interface Expiry {
  readonly certificate: string;
  readonly notAfter: number;
}

function expiryOf(file: string, pem: Buffer): Expiry {
  return { certificate: basename(file), notAfter: Date.parse(new X509Certificate(pem).validTo) };
}

/** The DNS names a certificate is for, lower case. */
function namesOf(pem: Buffer): string[] {
  const cert = new X509Certificate(pem);
  const dns = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  if (dns.length > 0) return dns;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

function matches(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === name;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

export class Certificates {
  /** The first pair's files, as node's server options want them. */
  readonly cert: Buffer;
  readonly key: Buffer;
  private readonly more: readonly Named[];
  /** Every certificate's expiry, the first one's first (for metrics). */
  readonly expiries: readonly Expiry[];

  /** Reads every file now (throwing if one cannot be read). */
  constructor(first: CertificateFiles, sni: readonly CertificateFiles[] = []) {
    this.cert = readFileSync(first.cert);
    this.key = readFileSync(first.key);
    const expiries = [expiryOf(first.cert, this.cert)];
    this.more = sni.map((files) => {
      const cert = readFileSync(files.cert);
      expiries.push(expiryOf(files.cert, cert));
      return { names: namesOf(cert), context: createSecureContext({ cert, key: readFileSync(files.key) }) };
    });
    this.expiries = expiries;
  }

  /** The context for a client asking for `servername`: an exact name first, then a wildcard; undefined: the first pair's. */
  select(servername: string): SecureContext | undefined {
    if (this.more.length === 0) return undefined;
    const name = servername.toLowerCase();
    return (this.more.find((c) => c.names.includes(name)) ?? this.more.find((c) => c.names.some((p) => matches(p, name))))?.context;
  }
}
