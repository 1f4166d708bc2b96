// Mooring's cookie value: stateless and tamper-proof. Layout (big-endian):
//   version u8 | key id u8 | issued-at u32 s | last-seen u32 s | expires-at u32 s (0: none) |
//   session id 8 bytes | token length u8 | server token |
//   (version 2 only) data-center token length u8 | data-center token |
//   HMAC-SHA256 tag, first 16 bytes
// Tokens are SIV-style deterministic encryption of the server id or data-center name (IV = HMAC
// of the text, AES-256-CTR), so clients can read neither, yet a cookie for a server that has since
// been removed still decodes to its id. Version 1 (no data center) is still written for servers of
// the one default data center, and both versions decode. Keys: the first signs, all verify.
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
/** Carries the data center too. */
const VERSION_DC = 2;
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
  /** The session's data center; absent for the one default data center (a version 1 cookie). */
  readonly datacenter?: string | undefined;
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

/** Data-center tokens encrypt this prefix and the name: never equal to a server's token. */
const DC_PREFIX = 'dc:';

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
    const dc = fields.datacenter === undefined ? undefined : this.dcToken(key, fields.datacenter);
    const signed = HEADER + 1 + token.length + (dc ? 1 + dc.length : 0);
    const body = Buffer.allocUnsafe(signed + TAG);
    body[0] = dc ? VERSION_DC : VERSION;
    body[1] = key.id;
    body.writeUInt32BE(fields.issuedAt >>> 0, 2);
    body.writeUInt32BE(fields.lastSeen >>> 0, 6);
    body.writeUInt32BE(fields.expiresAt >>> 0, 10);
    body.write(fields.sessionId, 14, 8, 'base64url');
    body[HEADER] = token.length;
    token.copy(body, HEADER + 1);
    if (dc) {
      body[HEADER + 1 + token.length] = dc.length;
      dc.copy(body, HEADER + 2 + token.length);
    }
    createHmac('sha256', key.mac).update(body.subarray(0, signed)).digest().copy(body, signed, 0, TAG);
    return body.toString('base64url');
  }

  private dcToken(key: Key, datacenter: string): Buffer {
    let token = key.tokens.get(DC_PREFIX + datacenter);
    if (!token) key.tokens.set(DC_PREFIX + datacenter, (token = makeToken(key, DC_PREFIX + datacenter)));
    return token;
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
    const version = body[0];
    if (body.length < HEADER + 1 + SIV + TAG || (version !== VERSION && version !== VERSION_DC)) return undefined;
    const tokenLength = body[HEADER]!;
    const serverEnd = HEADER + 1 + tokenLength;
    if (tokenLength < SIV || serverEnd >= body.length) return undefined;
    const dcLength = version === VERSION_DC ? body[serverEnd]! : 0;
    const signed = version === VERSION_DC ? serverEnd + 1 + dcLength : serverEnd;
    if ((version === VERSION_DC && dcLength < SIV) || body.length !== signed + TAG) return undefined;
    // Node's base64url decoder skips characters outside the alphabet: only the one canonical
    // spelling of a cookie is genuine (else every variant would take a cache slot).
    if (body.toString('base64url') !== value) return undefined;
    const tag = body.subarray(signed);
    for (let keyIndex = 0; keyIndex < this.keys.length; keyIndex++) {
      const key = this.keys[keyIndex]!;
      if (key.id !== body[1]) continue;
      const expected = createHmac('sha256', key.mac).update(body.subarray(0, signed)).digest().subarray(0, TAG);
      if (!timingSafeEqual(expected, tag)) continue;
      const serverId = openToken(key, body.subarray(HEADER + 1, serverEnd));
      if (serverId === undefined || serverId.startsWith(DC_PREFIX)) return undefined;
      const dc = version === VERSION_DC ? openToken(key, body.subarray(serverEnd + 1, signed)) : undefined;
      if (version === VERSION_DC && !dc?.startsWith(DC_PREFIX)) return undefined;
      return {
        keyIndex,
        serverId,
        sessionId: body.toString('base64url', 14, 22),
        issuedAt: body.readUInt32BE(2),
        lastSeen: body.readUInt32BE(6),
        expiresAt: body.readUInt32BE(10),
        ...(dc === undefined ? {} : { datacenter: dc.slice(DC_PREFIX.length) }),
      };
    }
    return undefined;
  }
}
