// Health probing cost: 1,000 servers, one http monitor each every 2 s (500 probes a second), against
// node backends in a child process (their CPU is not counted), in three layers measured in one run,
// each in a process of its own:
// a bare loop of raw sockets writing the same requests (no HTTP parsing, no pool: the floor of Node
// itself), Mooring's upstream client alone with a handler that does nothing, and Mooring's prober
// (scheduler, monitors, rise/fall, the check log). Each figure is a share of one core with the
// harness's idle CPU taken off. `probe-cpu.ts LAYER` measures one layer (bare, alone, prober).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventLog } from '../src/core/events.ts';
import { seededRandom, systemClock } from '../src/core/clock.ts';
import { HealthScheduler } from '../src/health/scheduler.ts';
import { monitorSchema } from '../src/health/schema.ts';
import { HealthTable } from '../src/health/table.ts';
import { makeUpstreamClient } from '../src/upstream/make-client.ts';
import type { UpstreamHandler } from '../src/upstream/client.ts';

const SERVERS = 1000;
const INTERVAL_MS = 2000;
/** Probes start in ticks of 100 ms, as the scheduler's do for a 2 s interval. */
const TICK_MS = 100;
const SECONDS = 12;
/**
 * Each layer runs this long before it is measured: the first seconds after start carry the JIT's
 * background compiles and the collections of start-up garbage (2 s of warm-up read the prober
 * 2–3% higher than 12 s did, all of it on V8's helper threads), which a long-running Mooring is past.
 */
const WARM_UP_MS = 10_000;
const PORTS = [19411, 19412, 19413, 19414];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const origins = Array.from({ length: SERVERS }, (_, i) => `http://127.0.0.1:${PORTS[i % PORTS.length]}`);

/** CPU time of this process's main thread so far, in ms (Linux: /proc; elsewhere undefined). */
function mainThreadMs(): number | undefined {
  try {
    // Fields after the command name: state is the 1st, utime the 12th, stime the 13th (in ticks of 10 ms).
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Share of one core this process used over `ms` (every thread), in percent. */
async function windowShare(ms: number): Promise<{ all: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(cpu);
  return { all: ((used.user + used.system) / 1000 / (performance.now() - start)) * 100 };
}

/** Windows a measure is cut into: the median is reported, so a burst of the host's other work inflates one window, not the figure. */
const WINDOWS = 6;

/**
 * The share over `ms`: every thread, the median of WINDOWS windows; the main thread, over the
 * whole of `ms` (/proc counts it in steps of 10 ms, too coarse for a window).
 */
async function cpuShare(ms: number): Promise<{ all: number; main: number | undefined }> {
  const shares: number[] = [];
  const main = mainThreadMs();
  const start = performance.now();
  for (let i = 0; i < WINDOWS; i++) shares.push((await windowShare(ms / WINDOWS)).all);
  const mainAfter = mainThreadMs();
  const elapsed = performance.now() - start;
  return { all: shares.sort((a, b) => a - b)[Math.floor(WINDOWS / 2)]!, main: main === undefined || mainAfter === undefined ? undefined : ((mainAfter - main) / elapsed) * 100 };
}

type Share = Awaited<ReturnType<typeof cpuShare>>;

/** Starts `probe(i)` for every server once per interval, a tick's share at a time; returns the stop. */
function everyInterval(probe: (i: number) => void): () => void {
  const perTick = (SERVERS * TICK_MS) / INTERVAL_MS;
  let next = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < perTick; k++) probe(next++ % SERVERS);
  }, TICK_MS);
  return () => clearInterval(timer);
}

/** Sends `send(i)` to every server once per interval, warms up, then measures; answers are counted from the measure's start. */
async function measureLoop(send: (i: number) => void, answered: { count: number }): Promise<{ share: Share; answers: number }> {
  const stop = everyInterval(send);
  await sleep(WARM_UP_MS);
  answered.count = 0;
  const share = await cpuShare(SECONDS * 1000);
  stop();
  return { share, answers: answered.count };
}

/** The floor: the same requests written on 1,000 kept-open sockets, answers read and dropped unparsed. */
async function bareSockets(): Promise<{ share: Share; answers: number }> {
  const head = Buffer.from('GET /1k HTTP/1.1\r\nhost: 127.0.0.1\r\nuser-agent: mooring-health\r\nconnection: keep-alive\r\n\r\n', 'latin1');
  const answered = { count: 0 };
  const sockets: Socket[] = origins.map((origin) => {
    const socket = connect(Number(new URL(origin).port), '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('data', () => answered.count++);
    return socket;
  });
  await sleep(1000);
  const result = await measureLoop((i) => sockets[i]!.write(head), answered);
  for (const s of sockets) s.destroy();
  return result;
}

/** Mooring's upstream client alone: one client per server (as monitors keep them), a handler that does nothing. */
async function clientAlone(): Promise<{ share: Share; answers: number }> {
  const answered = { count: 0 };
  const handler: UpstreamHandler = {
    onConnect() {},
    onHeaders: () => true,
    onData: () => true,
    onComplete: () => void answered.count++,
    onBodySent() {},
    onError() {},
  };
  const clients = origins.map(() => makeUpstreamClient({ connections: 1, keepAlive: 120_000, reserved: 0, maxHeaderBytes: 65_536, timeouts: { connect: 1000, response: 1000, idle: 1000 } }));
  const requests = origins.map((origin) => ({ method: 'GET', path: '/1k', body: null, headers: ['user-agent', 'mooring-health', 'host', new URL(origin).host] }));
  const result = await measureLoop((i) => clients[i]!.dispatch({ id: `s${i}`, origin: origins[i]! }, requests[i]!, handler), answered);
  for (const c of clients) c.destroy();
  return result;
}

/** Mooring's prober: the health scheduler with an http monitor per server. */
async function prober(): Promise<{ share: Share; down: number }> {
  const servers = origins.map((origin, i) => ({ id: `s${i}`, origin, monitors: [monitorSchema.parse({ path: '/1k', interval: '2s', timeout: '1s' })] }));
  const table = new HealthTable('bench', servers.map((s) => ({ id: s.id, datacenter: 'dc', backup: false, admin: 'enabled' as const, assume: 'up' as const })), { slowStart: 0, passive: undefined, drainDeadline: 0, drainRate: 1 }, new EventLog(), Date.now());
  const scheduler = new HealthScheduler(servers, 'most', table, () => systemClock.now(), seededRandom(1));
  scheduler.start();
  await sleep(WARM_UP_MS);
  const share = await cpuShare(SECONDS * 1000);
  scheduler.stop();
  return { share, down: servers.filter((s) => table.health(s.id) !== 'up').length };
}

type Layer = 'bare' | 'alone' | 'prober' | 'undici';
/** `undici`: the prober on undici's client (MOORING_UPSTREAM=undici), as every probe went before Mooring had its own. */
const layers: Record<Layer, () => Promise<{ share: Share; answers?: number; down?: number }>> = { bare: bareSockets, alone: clientAlone, prober, undici: prober };
const asked = process.argv[2] as Layer | undefined;

interface Measured {
  /** Every thread, idle taken off. */
  share: number;
  /** The main thread alone, idle taken off (undefined where /proc is not there). */
  main: number | undefined;
  idle: number;
  answers?: number;
  down?: number;
}

if (asked) {
  // One layer in this process: what the process costs doing nothing (this harness runs through
  // tsx, whose loader thread and timers a user's Mooring does not have) is measured first and
  // taken off.
  const idle = await cpuShare(6000);
  const { share, ...rest } = await layers[asked]();
  const main = share.main === undefined || idle.main === undefined ? undefined : share.main - idle.main;
  const measured: Measured = { ...rest, share: share.all - idle.all, main, idle: idle.all };
  process.stdout.write(JSON.stringify(measured) + '\n');
} else {
  // Each layer in a process of its own, so that none pays for collecting another's garbage or
  // profits from another's compiled code; all at once, on core 0, so that the host's other work
  // weighs on each alike (run one after another, the same code read anywhere from 2.6% to 5.7%).
  // The backends run on core 1 (taskset).
  const backend = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', fileURLToPath(new URL('node-backend.ts', import.meta.url)), ...PORTS.map(String)], { stdio: 'inherit' });
  await sleep(1500);
  try {
    const run = async (layer: Layer): Promise<Measured> => {
      const env = { ...process.env, MOORING_UPSTREAM: layer === 'undici' ? 'undici' : 'mooring' };
      const child = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), layer], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`probe-cpu layer ${layer} exited with ${code}`);
      return JSON.parse(out) as Measured;
    };
    const [bare, alone, full, undici] = await Promise.all([run('bare'), run('alone'), run('prober'), run('undici')]);
    const expected = ((SECONDS * 1000) / INTERVAL_MS) * SERVERS;
    const pct = (m: Measured) => `${m.share.toFixed(1)}%${m.main === undefined ? '' : ` (main thread ${m.main.toFixed(1)}%)`}`;
    const idle = [bare, alone, full, undici].map((r) => r.idle.toFixed(1)).join('/');
    console.log(`health probing, ${SERVERS} servers every 2 s (${SERVERS / (INTERVAL_MS / 1000)} probes/s), share of one core, the layers side by side (${idle}% idle taken off):`);
    console.log(`  raw sockets, no HTTP (the floor): ${pct(bare)}, ${bare.answers} reads for ${expected} requests`);
    console.log(`  Mooring's upstream client alone:  ${pct(alone)}, ${alone.answers} answers`);
    console.log(`  Mooring's prober:                 ${pct(full)}, goal < 3%; ${(full.share / bare.share).toFixed(2)} × the floor; servers not up: ${full.down}`);
    console.log(`  the prober on undici's client:    ${pct(undici)}, ${(undici.share / full.share).toFixed(2)} × Mooring's prober; servers not up: ${undici.down}`);
  } finally {
    backend.kill();
  }
}
