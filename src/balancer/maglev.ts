// maglev: consistent hashing with a lookup table (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, section 3.4). Each server fills table slots along its
// own permutation; a key maps to table[hash(key) % size]. Removing one of N servers moves about 1/N
// of the keys, nearly all of them the removed server's. Weights give proportional table shares.
import { z } from 'zod';
import { defineBalancer, type PickContext } from './types.ts';
import { firstEligible } from './scan.ts';
import { keySourceSchema } from './key.ts';
import { murmur3 } from '../core/hash.ts';
import type { Server } from '../core/server.ts';

export const DEFAULT_TABLE_SIZE = 65537;
/** Re-hashes tried for an ineligible server before falling back to a scan (as Envoy's chooseHost). */
const REHASHES = 8;

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/**
 * Builds the table: slot → position in `servers`. Pure; the golden tests pin its output. Servers
 * take their turns in id order (by UTF-16 code units), so two lists of the same servers in any
 * order give the same table: Mooring instances configured differently still agree on every key.
 */
export function buildTable(servers: readonly Server[], size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const n = servers.length;
  if (n === 0) return table;
  const order = servers.map((_, i) => i).sort((a, b) => (servers[a]!.id < servers[b]!.id ? -1 : servers[a]!.id > servers[b]!.id ? 1 : 0));
  const offset = new Float64Array(n);
  const skip = new Float64Array(n);
  const next = new Float64Array(n);
  const credit = new Float64Array(n);
  const maxWeight = Math.max(...servers.map((s) => s.weight));
  for (let k = 0; k < n; k++) {
    const id = servers[order[k]!]!.id;
    offset[k] = murmur3(id, 0xdeadbeef) % size;
    skip[k] = (murmur3(id, 0x5eed) % (size - 1)) + 1;
  }
  let filled = 0;
  while (filled < size) {
    for (let k = 0; k < n && filled < size; k++) {
      // Weighted turns: a server inserts only when its accumulated credit reaches one slot.
      credit[k]! += servers[order[k]!]!.weight / maxWeight;
      if (credit[k]! < 1) continue;
      credit[k]! -= 1;
      let slot = (offset[k]! + skip[k]! * next[k]!) % size;
      while (table[slot] !== -1) {
        next[k]! += 1;
        slot = (offset[k]! + skip[k]! * next[k]!) % size;
      }
      table[slot] = order[k]!;
      next[k]! += 1;
      filled++;
    }
  }
  return table;
}

export const maglev = defineBalancer({
  name: 'maglev',
  options: z.strictObject({
    key: keySourceSchema.default({ kind: 'client-ip' }),
    tableSize: z
      .number()
      .int()
      .refine(isPrime, 'expected a prime number (the Maglev table size must be prime)')
      .refine((n) => n >= 101 && n <= 10_000_019, 'expected a prime from 101 to 10000019')
      .default(DEFAULT_TABLE_SIZE),
  }),
  build(servers, options) {
    const size = options.tableSize;
    const table = buildTable(servers, size);
    let rotation = 0;
    const lookup = (key: string, seed: number): Server => servers[table[murmur3(key, seed) % size]!]!;
    return {
      keySource: options.key,
      pick(ctx: PickContext) {
        if (servers.length === 0) return undefined;
        if (ctx.key === undefined) {
          // No key on this request: spread it like round-robin rather than piling on one server.
          rotation = (rotation + 1) % servers.length;
          return firstEligible(servers, ctx, rotation);
        }
        for (let seed = 0; seed <= REHASHES; seed++) {
          const server = lookup(ctx.key, seed);
          if (ctx.eligible(server)) return server;
        }
        return firstEligible(servers, ctx, murmur3(ctx.key) % servers.length);
      },
    };
  },
});
