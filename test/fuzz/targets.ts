// Seeded fuzzing of the parsers that read untrusted text: Mooring's cookie decoder (from any
// client), the X-Forwarded-For walker (from any client through a trusted proxy), the config
// loader (from an operator's file), and the reload path (such files applied to a running
// Mooring). Each input is random or a mutation of a valid one; the only failure allowed is the
// target's typed error (a refused reload). Run small in `npm test`, large with `npm run fuzz`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { silentLogger } from '../../src/log.ts';
import { seededRandom, type Random } from '../../src/core/clock.ts';
import { CookieCodec } from '../../src/persistence/cookie-codec.ts';
import { clientAddress } from '../../src/proxy/client-address.ts';
import { blockListOf } from '../../src/config/fields.ts';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~:;,=[]{}()"\'/\\ \t\n\r*&!%#@$^|<>?+\u0000\u00ff\u2028\ud800';

function randomText(r: Random, max: number): string {
  let out = '';
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) out += ALPHABET[r.int(ALPHABET.length)];
  return out;
}

/** One random edit of `text`: flip, insert, delete, duplicate a slice, or cut. */
function mutate(r: Random, text: string, pieces: readonly string[]): string {
  const at = r.int(text.length + 1);
  switch (r.int(6)) {
    case 0:
      return text.slice(0, at) + ALPHABET[r.int(ALPHABET.length)] + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + pieces[r.int(pieces.length)] + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + r.int(8));
    case 3: {
      const end = Math.min(text.length, at + r.int(40));
      return text.slice(0, end) + text.slice(at, end) + text.slice(end);
    }
    case 4:
      return text.slice(0, at);
    default:
      return text.slice(0, at) + randomText(r, 12) + text.slice(at);
  }
}

function mutated(r: Random, seeds: readonly string[], pieces: readonly string[]): string {
  let text = seeds[r.int(seeds.length)]!;
  for (let k = 1 + r.int(4); k > 0; k--) text = mutate(r, text, pieces);
  return text;
}

export interface FuzzResult {
  readonly target: string;
  readonly inputs: number;
  /** Inputs the target accepted (a valid cookie, a config) — proof the fuzzer reaches past the first check. */
  readonly accepted: number;
}

/** Values other than the issued ones that the decoder accepted (for a failing run's report). */
export const forged: string[] = [];

export function fuzzCookieDecoder(iterations: number, seed = 1): FuzzResult {
  const r = seededRandom(seed);
  const codec = new CookieCodec(['fuzz-key-0123456789abcdef0123'], ['a', 'b', 'c']);
  const valid = Array.from({ length: 20 }, (_, i) => codec.encode({ serverId: 'abc'[i % 3]!, sessionId: `s${i}`.padEnd(22, 'x'), issuedAt: 1_700_000_000 + i, lastSeen: 1_700_000_100, expiresAt: 0 }));
  const originals = new Set(valid);
  let accepted = 0;
  for (let i = 0; i < iterations; i++) {
    const value = r.next() < 0.3 ? randomText(r, 200) : mutated(r, valid, ['.', '~', '-', '_', 'A', '0', '=']);
    if (codec.decode(value) === undefined || originals.has(value)) continue;
    accepted++;
    forged.push(value);
  }
  return { target: 'cookie decoder (forged values accepted)', inputs: iterations, accepted };
}

export function fuzzForwardedFor(iterations: number, seed = 2): FuzzResult {
  const r = seededRandom(seed);
  const trusted = blockListOf(['10.0.0.0/8', '2001:db8::/32', '127.0.0.1']);
  const seeds = ['203.0.113.7, 10.0.0.2', '[2001:db8::1]:443, 198.51.100.2:8080', '10.1.1.1,10.2.2.2', '::ffff:192.0.2.1', 'unknown, 10.0.0.9'];
  const pieces = [',', ':', '[', ']', '.', '::', '::ffff:', '010.', '256.', ' '];
  let accepted = 0;
  for (let i = 0; i < iterations; i++) {
    const header = r.next() < 0.3 ? randomText(r, 120) : mutated(r, seeds, pieces);
    const peer = r.next() < 0.8 ? '10.0.0.1' : '192.0.2.50';
    const client = clientAddress(peer, header, trusted);
    if (isIP(client) === 0) throw new Error(`X-Forwarded-For ${JSON.stringify(header)} gave a client that is not an IP: ${JSON.stringify(client)}`);
    if (client !== peer) accepted++;
  }
  return { target: 'X-Forwarded-For walker', inputs: iterations, accepted };
}

const CONFIG = `listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop }
services:
  - name: shop
    balance: { algorithm: maglev, key: "header:X-User" }
    health: { path: /health, expect: { status: ["200-399"], body: "/ok/i" }, interval: 2s }
    passive: { consecutiveFailures: 3, failOn: [connect, 5xx] }
    servers:
      - { id: a, url: "http://127.0.0.1:9001", weight: 2, state: draining }
      - { id: b, url: "https://10.0.0.2:9443", backup: true, health: false }
    persistence:
      method: cookie
      keys: ["\${KEY}"]
      cookie: { maxAge: 8h, sameSite: lax }
trustedProxies: ["10.0.0.0/8"]
timeouts: { connect: 3s, idle: 60s }
`;

/** What mutations of a config insert: YAML's structure, anchors and aliases (one inside itself too), tags, odd numbers. */
const CONFIG_PIECES = [': ', '\n  - ', '{', '}', '[', ']', '&x ', '*x', '&x [*x]', '&x { k: *x }', '!!str ', '"', "'", '#', '${KEY}', '${NOPE}', '0x1F', '1e999', '-', '~', 'null', '<<: *x'];

export function fuzzConfigLoader(iterations: number, seed = 3): FuzzResult {
  const r = seededRandom(seed);
  const pieces = CONFIG_PIECES;
  let accepted = 0;
  for (let i = 0; i < iterations; i++) {
    const text = r.next() < 0.1 ? randomText(r, 300) : mutated(r, [CONFIG], pieces);
    try {
      parseConfigText(text, 'fuzz.yaml', { KEY: 'fuzz-key-0123456789abcdef' });
      accepted++;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw new Error(`config input threw ${String(err)}:\n${text}`, { cause: err });
    }
  }
  return { target: 'config loader', inputs: iterations, accepted };
}

/** A config a running Mooring can reload: loopback only, no monitors (mutations never reach the network). */
const reloadable = (backend: string) => `listeners:
  - { name: web, address: "127.0.0.1:0", service: shop }
services:
  - name: shop
    balance: { algorithm: weighted-round-robin }
    passive: { consecutiveFailures: 3, failOn: [connect, 5xx] }
    servers:
      - { id: a, url: "${backend}", weight: 2 }
      - { id: b, url: "${backend}", backup: true, state: draining }
    persistence: { method: header, header: X-User }
trustedProxies: ["10.0.0.0/8"]
timeouts: { connect: 3s, idle: 60s }
`;

/**
 * Mutated files applied to a running Mooring (the file rewritten, then reloadFile(), as SIGHUP does):
 * every one is applied or refused, none throws, and Mooring still serves afterwards.
 */
export async function fuzzReload(iterations: number, seed = 4): Promise<FuzzResult> {
  const r = seededRandom(seed);
  const backend = createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'mooring-fuzz-reload-'));
  const file = join(dir, 'mooring.yaml');
  const base = reloadable(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`);
  writeFileSync(file, base);
  let app: App | undefined;
  let accepted = 0;
  try {
    app = await App.start(parseConfigText(base, file), { logger: silentLogger, configFile: file });
    for (let i = 0; i < iterations; i++) {
      const text = r.next() < 0.1 ? randomText(r, 300) : mutated(r, [base], CONFIG_PIECES);
      writeFileSync(file, text);
      let result;
      try {
        result = await app.reloadFile();
      } catch (err) {
        throw new Error(`reload threw ${String(err)}:\n${text}`, { cause: err });
      }
      if (result.applied) accepted++;
      else if (result.errors.length === 0) throw new Error(`a reload refused without a reason:\n${text}`);
    }
    writeFileSync(file, base);
    const back = await app.reloadFile();
    if (!back.applied) throw new Error(`the base config no longer applies: ${back.errors.join('; ')}`);
    const res = await request(app.url(), { headers: { 'x-user': 'fuzz' } });
    const body = await res.body.text();
    if (res.statusCode !== 200 || body !== 'ok') throw new Error(`Mooring answered ${res.statusCode} ${body} after the reloads`);
  } finally {
    await app?.stop(0);
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { target: 'reload path', inputs: iterations, accepted };
}
