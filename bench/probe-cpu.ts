// Health probing cost: 1,000 servers, one http monitor each every 2 s, against node backends in a
// child process (their CPU is not counted). Prints Mooring's own CPU as a share of one core, with a
// keep-alive-free probe per request as Mooring sends them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventLog } from '../src/core/events.ts';
import { seededRandom, systemClock } from '../src/core/clock.ts';
import { HealthScheduler } from '../src/health/scheduler.ts';
import { monitorSchema } from '../src/health/schema.ts';
import { HealthTable } from '../src/health/table.ts';

const SERVERS = 1000;
const SECONDS = 12;
const PORTS = [19411, 19412, 19413, 19414];

const backend = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('node-backend.ts', import.meta.url)), ...PORTS.map(String)], { stdio: 'inherit' });
await new Promise((r) => setTimeout(r, 1500));
try {
  const servers = Array.from({ length: SERVERS }, (_, i) => ({ id: `s${i}`, origin: `http://127.0.0.1:${PORTS[i % PORTS.length]}`, monitors: [monitorSchema.parse({ path: '/1k', interval: '2s', timeout: '1s' })] }));
  const events = new EventLog();
  const table = new HealthTable('bench', servers.map((s) => ({ id: s.id, datacenter: 'dc', backup: false, admin: 'enabled' as const, assume: 'up' as const })), { slowStart: 0, passive: undefined, drainDeadline: 0, drainRate: 1 }, events, Date.now());
  const scheduler = new HealthScheduler(servers, 'most', table, () => systemClock.now(), seededRandom(1));
  // What the process costs doing nothing (this harness runs through tsx, whose loader thread and
  // timers a user's Mooring does not have): measured first, and taken off the probing figure.
  const idleCpu = process.cpuUsage();
  const idleStart = performance.now();
  await new Promise((r) => setTimeout(r, 4000));
  const idleUsed = process.cpuUsage(idleCpu);
  const idleShare = ((idleUsed.user + idleUsed.system) / 1000 / (performance.now() - idleStart)) * 100;
  scheduler.start();
  await new Promise((r) => setTimeout(r, 2000)); // every server probed once: connections warm, JIT done
  const cpu = process.cpuUsage();
  const start = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - start;
  scheduler.stop();
  const down = servers.filter((s) => table.health(s.id) !== 'up').length;
  const share = ((used.user + used.system) / 1000 / wall) * 100;
  console.log(
    `health probing: ${SERVERS} servers every 2 s (${(SERVERS / 2).toFixed(0)} probes/s): ${(share - idleShare).toFixed(1)}% of one core for the probes (goal < 3%; ${share.toFixed(1)}% in all, ${idleShare.toFixed(1)}% idle); servers not up: ${down}`,
  );
} finally {
  backend.kill();
}
