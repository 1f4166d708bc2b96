// Mooring's cookie value: stateless and tamper-proof. Layout (version 1, big-endian):
//   version u8 | key id u8 | issued-at u32 s | last-seen u32 s | expires-at u32 s (0: none) |
//   session id 8 bytes | token length u8 | server token | HMAC-SHA256 tag, first 16 bytes
// The server token is SIV-style deterministic encryption of the server id (IV = HMAC of the id,
// AES-256-CTR), so clients can read neither the id nor the address, yet a cookie for a server that
// has since been removed still decodes to its id. Keys: the first signs, all verify (rotation).
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const HEADER = 22; // bytes before the token length
const TAG = 16;
const SIV = 8;
/** Verified values kept so a returning cookie costs a map lookup, not an HMAC. */
const CACHE_LIMIT = 65_536;

export interface CookieFields {
  readonly serverId: string;
  /** 8 random bytes naming the session (for counting live sessions per server). */
  readonly sessionId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly lastSeen: number;
  /** 0 when the cookie has no absolute lifetime. */
  readonly expiresAt: number;
}

export interface Decoded extends CookieFields {
  /** Index in the key list of the key that verified it: 0 is current, more means rotate. */
  readonly keyIndex: number;
}

interface Key {
  readonly id: number;
  readonly mac: Buffer;
  readonly enc: Buffer;
  readonly siv: Buffer;
  /** server id → token, and token (latin1) → server id, for the configured servers. */
  readonly tokens: Map<string, Buffer>;
  readonly ids: Map<string, string>;
}

const derive = (secret: string, label: string) => createHmac('sha256', secret).update(`mooring/${label}`).digest();

function makeToken(key: Pick<Key, 'enc' | 'siv'>, serverId: string): Buffer {
  const iv = createHmac('sha256', key.siv).update(serverId).digest().subarray(0, SIV);
  const cipher = createCipheriv('aes-256-ctr', key.enc, Buffer.concat([iv, Buffer.alloc(16 - SIV)]));
  return Buffer.concat([iv, cipher.update(serverId, 'utf8'), cipher.final()]);
}

function openToken(key: Key, token: Buffer): string | undefined {
  const known = key.ids.get(token.toString('latin1'));
  if (known !== undefined) return known;
  // A server no longer configured: decrypt, and accept only if the IV matches the id.
  const iv = token.subarray(0, SIV);
  const decipher = createDecipheriv('aes-256-ctr', key.enc, Buffer.concat([iv, Buffer.alloc(16 - SIV)]));
  const id = Buffer.concat([decipher.update(token.subarray(SIV)), decipher.final()]).toString('utf8');
  return makeToken(key, id).equals(token) ? id : undefined;
}

export class CookieCodec {
  private readonly keys: Key[];
  private readonly cache = new Map<string, Decoded>();

  /** `secrets`: the first signs, all verify. `serverIds`: the servers configured now. */
  constructor(secrets: readonly string[], serverIds: readonly string[]) {
    if (secrets.length === 0) throw new Error('a cookie codec needs at least one key');
    this.keys = secrets.map((secret) => {
      const base = { mac: derive(secret, 'mac'), enc: derive(secret, 'enc'), siv: derive(secret, 'siv') };
      const key: Key = { id: derive(secret, 'key-id')[0]!, ...base, tokens: new Map(), ids: new Map() };
      for (const id of serverIds) {
        const token = makeToken(base, id);
        key.tokens.set(id, token);
        key.ids.set(token.toString('latin1'), id);
      }
      return key;
    });
  }

  encode(fields: CookieFields): string {
    const key = this.keys[0]!;
    const token = key.tokens.get(fields.serverId) ?? makeToken(key, fields.serverId);
    const body = Buffer.allocUnsafe(HEADER + 1 + token.length + TAG);
    body[0] = VERSION;
    body[1] = key.id;
    body.writeUInt32BE(fields.issuedAt >>> 0, 2);
    body.writeUInt32BE(fields.lastSeen >>> 0, 6);
    body.writeUInt32BE(fields.expiresAt >>> 0, 10);
    body.write(fields.sessionId, 14, 8, 'base64url');
    body[HEADER] = token.length;
    token.copy(body, HEADER + 1);
    const signed = HEADER + 1 + token.length;
    createHmac('sha256', key.mac).update(body.subarray(0, signed)).digest().copy(body, signed, 0, TAG);
    return body.toString('base64url');
  }

  /** The fields of a genuine cookie, or undefined for anything tampered, truncated or unknown. */
  decode(value: string): Decoded | undefined {
    const cached = this.cache.get(value);
    if (cached) return cached;
    const decoded = this.verify(value);
    if (decoded) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(value, decoded);
    }
    return decoded;
  }

  private verify(value: string): Decoded | undefined {
    if (value.length > 256) return undefined;
    const body = Buffer.from(value, 'base64url');
    if (body.length < HEADER + 1 + SIV + TAG || body[0] !== VERSION) return undefined;
    const tokenLength = body[HEADER]!;
    const signed = HEADER + 1 + tokenLength;
    if (tokenLength < SIV || body.length !== signed + TAG) return undefined;
    // Node's base64url decoder skips characters outside the alphabet: only the one canonical
    // spelling of a cookie is genuine (else every variant would take a cache slot).
    if (body.toString('base64url') !== value) return undefined;
    const tag = body.subarray(signed);
    for (let keyIndex = 0; keyIndex < this.keys.length; keyIndex++) {
      const key = this.keys[keyIndex]!;
      if (key.id !== body[1]) continue;
      const expected = createHmac('sha256', key.mac).update(body.subarray(0, signed)).digest().subarray(0, TAG);
      if (!timingSafeEqual(expected, tag)) continue;
      const serverId = openToken(key, body.subarray(HEADER + 1, signed));
      if (serverId === undefined) return undefined;
      return {
        keyIndex,
        serverId,
        sessionId: body.toString('base64url', 14, 22),
        issuedAt: body.readUInt32BE(2),
        lastSeen: body.readUInt32BE(6),
        expiresAt: body.readUInt32BE(10),
      };
    }
    return undefined;
  }
}
