// CPU per request of `workers: 2` against `workers: 1` in one run, every process counted (primary
// and workers, from /proc): with header persistence, maxConnections and maxSessions set, and plain
// (no persistence, no limits) as the baseline of what two processes cost on this machine by
// themselves. The primary's own CPU per request shows whether requests send it anything.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { cpuMicros, family } from './proc.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = 5;
const REQUESTS = 20_000;
const CLIENTS = 200;
const CONNECTIONS = 32;

const body = Buffer.alloc(1024, 'x');
const backends: Server[] = [];
for (let i = 0; i < 3; i++) {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  backends.push(server);
}
const port = (s: Server) => (s.address() as { port: number }).port;

interface Variant {
  readonly name: string;
  readonly workers: number;
  readonly sticky: boolean;
}

async function startMooring(v: Variant): Promise<{ child: ChildProcess; url: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'mooring-workers-bench-')), 'mooring.yaml');
  const limits = v.sticky ? ', maxConnections: 1000, maxSessions: 100000' : '';
  writeFileSync(
    file,
    `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    persistence: ${v.sticky ? '{ method: header, header: X-Session }' : '{ method: none }'}
    servers: [${backends.map((b, i) => `{ id: s${i}, url: "http://127.0.0.1:${port(b)}"${limits} }`).join(', ')}]
workers: ${v.workers}
`,
  );
  const child = spawn(process.execPath, [join(ROOT, 'bin/mooring.js'), 'start', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const m = /"port":(\d+)/.exec(out);
    if (m && (v.workers === 1 || (out.match(/worker ready/g) ?? []).length >= v.workers)) return { child, url: `http://127.0.0.1:${m[1]}` };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${v.name} did not start: ${out.slice(-500)}`);
}

async function drive(url: string, n: number): Promise<void> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  let next = 0;
  const one = async () => {
    while (next < n) {
      const i = next++;
      const res = await pool.request({ path: '/', method: 'GET', headers: { 'x-session': `client-${i % CLIENTS}` } });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, one));
  await pool.close();
}

/** CPU of the primary alone (its workers not counted), in µs. */
const ownCpu = (pid: number) => cpuMicros(pid) - family(pid).slice(1).reduce((sum, p) => sum + cpuMicros(p), 0);

const variants: Variant[] = [
  { name: 'plain, workers: 1', workers: 1, sticky: false },
  { name: 'plain, workers: 2', workers: 2, sticky: false },
  { name: 'sticky + limits, workers: 1', workers: 1, sticky: true },
  { name: 'sticky + limits, workers: 2', workers: 2, sticky: true },
];
const cpu = new Map<Variant, number[]>(variants.map((v) => [v, []]));
const primaryCpu: number[] = [];
const running = new Map<Variant, { child: ChildProcess; url: string }>();
try {
  for (const v of variants) running.set(v, await startMooring(v));
  for (const v of variants) await drive(running.get(v)!.url, 2000); // warm up; sessions made
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const pid = running.get(v)!.child.pid!;
      const before = cpuMicros(pid);
      const primaryBefore = ownCpu(pid);
      await drive(running.get(v)!.url, REQUESTS);
      cpu.get(v)!.push((cpuMicros(pid) - before) / REQUESTS);
      if (v.workers === 2 && v.sticky) primaryCpu.push((ownCpu(pid) - primaryBefore) / REQUESTS);
    }
  }
} finally {
  for (const m of running.values()) m.child.kill('SIGTERM');
  for (const b of backends) b.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: Variant, b: Variant) => median(cpu.get(b)!.map((x, i) => x / cpu.get(a)![i]!));
console.log(`CPU per request, every process counted (median of ${ROUNDS} alternating rounds of ${REQUESTS} requests, ${CONNECTIONS} keep-alive connections):`);
for (const v of variants) console.log(`  ${v.name.padEnd(28)} ${median(cpu.get(v)!).toFixed(1)} µs`);
console.log(`  workers: 2 / workers: 1, sticky + limits: ${ratio(variants[2]!, variants[3]!).toFixed(3)}; plain (two processes by themselves): ${ratio(variants[0]!, variants[1]!).toFixed(3)}`);
console.log(`  the primary's own CPU per request with workers: 2, sticky + limits: ${median(primaryCpu).toFixed(2)} µs`);
