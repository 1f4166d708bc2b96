// A binary prefix trie over IPv4 and IPv6 addresses: which of many CIDR blocks contain an address,
// in one walk down at most 32 or 128 levels, however many blocks there are.

/** An address as bytes (4 for IPv4, 16 for IPv6), or undefined when it is not one. */
export function addressBytes(ip: string): Uint8Array | undefined {
  if (ip.includes(':')) return ipv6Bytes(ip);
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]!) || Number(parts[i]) > 255) return undefined;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function ipv6Bytes(ip: string): Uint8Array | undefined {
  let text = ip.split('%')[0]!;
  let tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = addressBytes(text.slice(lastColon + 1));
    if (!tail) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i]!)) return undefined;
    const v = parseInt(all[i]!, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}

interface Node {
  zero?: Node;
  one?: Node;
  values?: number[];
}

const bit = (bytes: Uint8Array, i: number) => (bytes[i >> 3]! >> (7 - (i & 7))) & 1;

export class PrefixTrie {
  private readonly v4: Node = {};
  private readonly v6: Node = {};

  /** Adds `cidr` ("10.0.0.0/8", "2001:db8::/32", or a single address) with `value`; false when it is not one. */
  add(cidr: string, value: number): boolean {
    const [address = '', prefixText] = cidr.split('/');
    const bytes = addressBytes(address);
    if (!bytes) return false;
    const max = bytes.length * 8;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return false;
    let node = bytes.length === 4 ? this.v4 : this.v6;
    for (let i = 0; i < prefix; i++) node = bit(bytes, i) ? (node.one ??= {}) : (node.zero ??= {});
    (node.values ??= []).push(value);
    return true;
  }

  /** The values of every block that contains `ip`, shortest prefix first (IPv4-mapped IPv6 counts as IPv4). */
  match(ip: string): number[] {
    let bytes = addressBytes(ip);
    if (!bytes) return [];
    if (bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) bytes = bytes.subarray(12);
    const found: number[] = [];
    let node: Node | undefined = bytes.length === 4 ? this.v4 : this.v6;
    for (let i = 0; node; i++) {
      if (node.values) found.push(...node.values);
      if (i === bytes.length * 8) break;
      node = bit(bytes, i) ? node.one : node.zero;
    }
    return found;
  }
}
