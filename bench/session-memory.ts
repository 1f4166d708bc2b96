// Heap bytes per session-table entry, for docs/persistence.md: 1,000,000 client-ip sessions.
// Run with --expose-gc so the heap is measured after collection.
import { MemorySessionStore } from '../src/state/memory-session-store.ts';
import { maskedIp } from '../src/persistence/client-key.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const COUNT = Number(process.argv[2] ?? 1_000_000);
const servers = ['s0', 's1', 's2', 's3'];

gc();
const before = process.memoryUsage().heapUsed;
const table = new MemorySessionStore({ maxEntries: COUNT, idleMs: 1_800_000 });
const now = Date.now();
for (let i = 0; i < COUNT; i++) {
  const ip = `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
  table.bind(maskedIp(ip, 32, 64), servers[i & 3]!, now);
}
gc();
const after = process.memoryUsage().heapUsed;
const perEntry = (after - before) / COUNT;
console.log(`${COUNT} client-ip sessions: ${((after - before) / 1048576).toFixed(1)} MiB of heap, ${perEntry.toFixed(0)} bytes per entry (table size ${table.size})`);
