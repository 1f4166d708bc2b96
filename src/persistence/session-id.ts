// Random session ids (8 bytes, base64url), drawn from a pooled buffer: one syscall per 512 ids.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

export function newSessionId(): string {
  if (offset + 8 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 8;
  return pool.toString('base64url', offset - 8, offset);
}
