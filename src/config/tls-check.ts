// A listener's certificate and key, checked when the config is read (so `validate` finds what
// `start` would otherwise fail on with raw OpenSSL text): both PEM, the key a key and not a
// certificate, the two a pair; an expired certificate is a warning. And a server's CA file.
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface TlsCheck {
  readonly cert?: string;
  readonly key?: string;
  /** Not an error: the listener still starts. */
  readonly warning?: string;
}

function readPem(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function checkTls(certPath: string, keyPath: string, now = Date.now()): TlsCheck {
  const certText = readPem(certPath);
  const keyText = readPem(keyPath);
  if (certText === undefined || keyText === undefined) {
    return { ...(certText === undefined ? { cert: `cannot read file ${certPath}` } : {}), ...(keyText === undefined ? { key: `cannot read file ${keyPath}` } : {}) };
  }
  let cert: X509Certificate | undefined;
  let problemCert: string | undefined;
  if (!certText.includes('-----BEGIN ')) problemCert = `${certPath} is not a PEM file (expected -----BEGIN CERTIFICATE-----)`;
  else if (!certText.includes('-----BEGIN CERTIFICATE-----')) problemCert = `${certPath} holds no certificate (expected -----BEGIN CERTIFICATE-----); is it the key?`;
  else {
    try {
      cert = new X509Certificate(certText);
    } catch {
      problemCert = `${certPath} does not hold a valid PEM certificate`;
    }
  }
  let key: KeyObject | undefined;
  let problemKey: string | undefined;
  if (!keyText.includes('-----BEGIN ')) problemKey = `${keyPath} is not a PEM file (expected -----BEGIN PRIVATE KEY-----)`;
  else if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) problemKey = `${keyPath} holds ${keyText.includes('BEGIN CERTIFICATE') ? 'a certificate' : 'no private key'}, not a private key; tls.key must name the key file`;
  else if (keyText.includes('ENCRYPTED')) problemKey = `${keyPath} is encrypted with a passphrase, which Mooring cannot ask for: store it decrypted, readable only by Mooring`;
  else {
    try {
      key = createPrivateKey(keyText);
    } catch {
      problemKey = `${keyPath} does not hold a valid PEM private key`;
    }
  }
  if (!problemCert && !problemKey && cert && key && !cert.checkPrivateKey(key)) {
    problemKey = `${keyPath} does not match the certificate in ${certPath}`;
  }
  const expired = cert && Date.parse(cert.validTo) < now ? `the certificate in ${certPath} expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}; clients will refuse it` : undefined;
  return { ...(problemCert ? { cert: problemCert } : {}), ...(problemKey ? { key: problemKey } : {}), ...(expired ? { warning: expired } : {}) };
}

/** A CA file for an https:// server (tls.ca): readable, PEM, holding certificates; the problem, or undefined. */
export function checkCaFile(path: string): string | undefined {
  const text = readPem(path);
  if (text === undefined) return `cannot read file ${path}`;
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return `${path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      return `${path} holds a certificate that is not valid PEM`;
    }
  }
  return undefined;
}
