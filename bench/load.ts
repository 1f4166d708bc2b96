// The load benchmark: Mooring side by side with HAProxy, nginx and the http-proxy package (when
// installed), in front of the same backends, driven by wrk on loopback. Proxies run on core 0, load
// and backends on core 1 (taskset). Runs are interleaved (A B C, A B C, …) after an unrecorded
// warm-up; medians are reported. Then the observation cost once more, with and without loaded at
// once. Env: BENCH_ROUNDS (3), BENCH_SECONDS (3), BENCH_CONNECTIONS (64), BENCH_SIDE_ROUNDS (12),
// BENCH_LOADER=autocannon (to use it even where wrk is installed).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMicros, family } from './proc.ts';
import { CookieCodec } from '../src/persistence/cookie-codec.ts';
import { newSessionId } from '../src/persistence/session-id.ts';
import { BENCH_KEY, cookieScript, haproxyConf, mooringConf, mooringCookieConf, nginxBackendConf, nginxProxyConf, type Ports } from './peers.ts';
import { hasWrk, load, type LoadResult } from './wrk.ts';
import { report, type Run } from './report.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const SIDE_ROUNDS = Number(process.env['BENCH_SIDE_ROUNDS'] ?? 12);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1);
const PROXY_CPUS = process.env['BENCH_PROXY_CPUS'] ?? '0';
const LOAD_CPUS = process.env['BENCH_LOAD_CPUS'] ?? '1';

const which = (cmd: string) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const children: ChildProcess[] = [];
function start(cpus: string, cmd: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn('taskset', ['-c', cpus, cmd, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  child.on('exit', (code) => {
    if (code && !stopping) console.error(`${log} exited with ${code}: ${err.slice(-500)}`);
  });
  children.push(child);
  return child;
}
let stopping = false;
/** SIGTERM first: nginx's master then ends its workers (SIGKILL would orphan them, still loading the CPU). */
async function stopAll(): Promise<void> {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  const deadline = Date.now() + 3000;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

/** Peak resident memory (VmHWM) of a process and its children, in MiB, since start or the last reset. */
function peakRss(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const hwm = (p: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return Math.max(...family(pid).map(hwm));
}

/** Starts a new peak (Linux: writing 5 to clear_refs resets VmHWM to the current RSS); false when it cannot. */
function resetPeakRss(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    for (const p of family(pid)) writeFileSync(`/proc/${p}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}


interface Peer {
  name: string;
  pid?: number | undefined;
  /** The URL for a scenario's listener kind, or undefined when the peer has no equivalent. */
  url(kind: 'rr' | 'cookie' | 'ip'): string | undefined;
}

async function main(): Promise<void> {
  const useWrk = await hasWrk();
  const nginx = which('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  const haproxy = which('haproxy') ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : undefined);
  const dir = mkdtempSync(join(tmpdir(), 'mooring-bench-'));
  chmodSync(dir, 0o755); // nginx workers run as an unprivileged user
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', '1k'), Buffer.alloc(1024, 'x'));
  writeFileSync(join(dir, 'www', '100k'), Buffer.alloc(100 * 1024, 'y'));
  const p = async () => freePort();
  const ports: Ports = {
    backends: [await p(), await p(), await p()],
    mooring: { rr: await p(), cookie: await p(), ip: await p() },
    mooringLogged: await p(),
    mooringCookieOnly: await p(),
    haproxy: { rr: await p(), cookie: await p(), ip: await p() },
    nginx: { rr: await p(), ip: await p() },
    httpProxy: await p(),
    minimal: await p(),
    ownMinimal: await p(),
    mooringUndici: { rr: await p(), cookie: await p(), ip: await p() },
  };

  // Backends on the load core.
  if (nginx) {
    writeFileSync(join(dir, 'backend.conf'), nginxBackendConf(dir, ports.backends));
    start(LOAD_CPUS, nginx, ['-p', dir, '-c', join(dir, 'backend.conf'), '-e', join(dir, 'backend.err')], 'nginx backend');
  } else {
    start(LOAD_CPUS, process.execPath, ['--import', 'tsx', 'bench/node-backend.ts', ...ports.backends.map(String)], 'node backend');
  }
  for (const port of ports.backends) await waitForPort(port, 'backend');

  // Proxies on the proxy core.
  const peers: Peer[] = [{ name: 'direct', url: () => `http://127.0.0.1:${ports.backends[0]}` }];
  writeFileSync(join(dir, 'mooring.yaml'), mooringConf(ports, WORKERS));
  // Started as users start it: the command itself, so its node flags (the shebang line) apply.
  const mooring = start(PROXY_CPUS, join(ROOT, 'bin/mooring.js'), ['start', '--config', join(dir, 'mooring.yaml')], 'mooring');
  peers.push({ name: 'mooring', pid: mooring.pid, url: (k) => (k === 'ip' && WORKERS > 1 ? undefined : `http://127.0.0.1:${ports.mooring[k]}`) });
  await waitForPort(ports.mooring.rr, 'mooring');
  // The same Mooring on undici's upstream client, as it ran before its own: what the client changed.
  writeFileSync(join(dir, 'mooring-undici.yaml'), mooringConf({ ...ports, mooring: ports.mooringUndici }, WORKERS));
  const onUndici = start(PROXY_CPUS, join(ROOT, 'bin/mooring.js'), ['start', '--config', join(dir, 'mooring-undici.yaml')], 'mooring on undici', { ...process.env, MOORING_UPSTREAM: 'undici' });
  peers.push({ name: 'mooring on undici', pid: onUndici.pid, url: (k) => (k === 'ip' ? undefined : `http://127.0.0.1:${ports.mooringUndici[k]}`) });
  await waitForPort(ports.mooringUndici.rr, 'mooring on undici');
  writeFileSync(join(dir, 'mooring-logged.yaml'), mooringCookieConf(ports.mooringLogged, ports.backends, join(dir, 'access.log')));
  const logged = start(PROXY_CPUS, join(ROOT, 'bin/mooring.js'), ['start', '--config', join(dir, 'mooring-logged.yaml')], 'mooring with access log and metrics');
  peers.push({ name: 'mooring+observed', pid: logged.pid, url: (k) => (k === 'cookie' ? `http://127.0.0.1:${ports.mooringLogged}` : undefined) });
  await waitForPort(ports.mooringLogged, 'mooring with access log and metrics');
  // Its baseline: the same config without observation, so both idle and run alike (the main
  // Mooring serves every scenario, which keeps its code warmer than a peer that waits between
  // cookie runs).
  writeFileSync(join(dir, 'mooring-cookie-only.yaml'), mooringCookieConf(ports.mooringCookieOnly, ports.backends));
  const cookieOnly = start(PROXY_CPUS, join(ROOT, 'bin/mooring.js'), ['start', '--config', join(dir, 'mooring-cookie-only.yaml')], 'mooring (cookie only)');
  peers.push({ name: 'mooring cookie only', pid: cookieOnly.pid, url: (k) => (k === 'cookie' ? `http://127.0.0.1:${ports.mooringCookieOnly}` : undefined) });
  await waitForPort(ports.mooringCookieOnly, 'mooring (cookie only)');
  if (haproxy) {
    writeFileSync(join(dir, 'haproxy.cfg'), haproxyConf(ports));
    const h = start(PROXY_CPUS, haproxy, ['-db', '-f', join(dir, 'haproxy.cfg')], 'haproxy');
    peers.push({ name: 'haproxy', pid: h.pid, url: (k) => `http://127.0.0.1:${ports.haproxy[k]}` });
    await waitForPort(ports.haproxy.rr, 'haproxy');
  }
  if (nginx) {
    writeFileSync(join(dir, 'proxy.conf'), nginxProxyConf(dir, ports));
    const n = start(PROXY_CPUS, nginx, ['-p', dir, '-c', join(dir, 'proxy.conf'), '-e', join(dir, 'proxy.err')], 'nginx proxy');
    // nginx (open source) has no cookie persistence; ip_hash stands in for client-ip.
    peers.push({ name: 'nginx', pid: n.pid, url: (k) => (k === 'cookie' ? undefined : `http://127.0.0.1:${k === 'rr' ? ports.nginx.rr : ports.nginx.ip}`) });
    await waitForPort(ports.nginx.rr, 'nginx proxy');
  }
  const hp = start(PROXY_CPUS, process.execPath, ['--import', 'tsx', 'bench/http-proxy-peer.ts', String(ports.httpProxy), ...ports.backends.map((b) => `http://127.0.0.1:${b}`)], 'http-proxy');
  peers.push({ name: 'http-proxy', pid: hp.pid, url: (k) => (k === 'rr' ? `http://127.0.0.1:${ports.httpProxy}` : undefined) });
  await waitForPort(ports.httpProxy, 'http-proxy');
  const mini = start(PROXY_CPUS, process.execPath, ['--import', 'tsx', 'bench/minimal-proxy-peer.ts', String(ports.minimal), ...ports.backends.map((b) => `http://127.0.0.1:${b}`)], 'minimal node proxy');
  peers.push({ name: 'node minimal', pid: mini.pid, url: (k) => (k === 'rr' ? `http://127.0.0.1:${ports.minimal}` : undefined) });
  await waitForPort(ports.minimal, 'minimal node proxy');
  const ownMini = start(PROXY_CPUS, process.execPath, ['--import', 'tsx', 'bench/own-client-proxy-peer.ts', String(ports.ownMinimal), ...ports.backends.map((b) => `http://127.0.0.1:${b}`)], 'minimal proxy on Mooring\'s client');
  peers.push({ name: 'own-client minimal', pid: ownMini.pid, url: (k) => (k === 'rr' ? `http://127.0.0.1:${ports.ownMinimal}` : undefined) });
  await waitForPort(ports.ownMinimal, 'minimal proxy on Mooring\'s client');

  // Clients with valid cookies: one session per wrk connection's worth, spread over the servers.
  const codec = new CookieCodec([BENCH_KEY], ['a', 'b', 'c']);
  const now = Math.floor(Date.now() / 1000);
  const mooringCookies = Array.from({ length: 64 }, (_, i) => `mooring=${codec.encode({ serverId: 'abc'[i % 3]!, sessionId: newSessionId(), issuedAt: now, lastSeen: now, expiresAt: 0 })}`);
  writeFileSync(join(dir, 'mooring-cookies.lua'), cookieScript(mooringCookies));
  writeFileSync(join(dir, 'haproxy-cookies.lua'), cookieScript(Array.from({ length: 64 }, (_, i) => `SERVERID=${'abc'[i % 3]}`)));
  const cookieFor = (peer: string) =>
    peer.startsWith('mooring') ? { script: join(dir, 'mooring-cookies.lua'), first: mooringCookies[0]! } : peer === 'haproxy' ? { script: join(dir, 'haproxy-cookies.lua'), first: 'SERVERID=a' } : undefined;

  const scenarios = [
    { name: 'round-robin, 1 KB, keep-alive', kind: 'rr' as const, path: '/1k', close: false },
    { name: 'cookie persistence, 1 KB, keep-alive', kind: 'cookie' as const, path: '/1k', close: false },
    { name: 'client-ip persistence, 1 KB, keep-alive', kind: 'ip' as const, path: '/1k', close: false },
    { name: 'round-robin, 100 KB, keep-alive', kind: 'rr' as const, path: '/100k', close: false },
    { name: 'round-robin, 1 KB, new connection per request', kind: 'rr' as const, path: '/1k', close: true },
    { name: 'cookie persistence, 1 KB, new connection per request', kind: 'cookie' as const, path: '/1k', close: true },
  ];
  // http-proxy is only compared on small keep-alive responses (the target), Mooring on undici on
  // cookies and large answers (what its own client is measured against): keeps the run short.
  const skip = (s: (typeof scenarios)[number], peer: Peer) =>
    (peer.name === 'http-proxy' && (s.close || s.path !== '/1k')) || (peer.name === 'mooring on undici' && (s.close || s.kind === 'rr') && s.path !== '/100k');
  const plan = scenarios.flatMap((s) =>
    peers.flatMap((peer) => {
      const base = skip(s, peer) ? undefined : peer.url(s.kind);
      return base ? [{ scenario: s, peer, url: `${base}${s.path}` }] : [];
    }),
  );
  const runOne = (item: (typeof plan)[number], seconds: number): Promise<LoadResult> =>
    load(
      {
        url: item.url,
        seconds,
        connections: CONNECTIONS,
        cpus: LOAD_CPUS,
        headers: item.scenario.close ? { Connection: 'close' } : {},
        cookie: item.scenario.kind === 'cookie' ? cookieFor(item.peer.name) : undefined,
      },
      useWrk,
    );

  console.error(`warm-up: ${plan.length} runs of 1 s (not recorded)`);
  for (const item of plan) await runOne(item, 1);
  const runs: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.error(`round ${round}/${ROUNDS}: ${plan.length} runs of ${SECONDS} s`);
    for (const item of plan) {
      const perRun = resetPeakRss(item.peer.pid);
      const cpuBefore = cpuMicros(item.peer.pid);
      const result = await runOne(item, SECONDS);
      // The proxy's own CPU per request: its capacity on one core, whatever the load side could drive.
      const cpuUsPerRequest = (cpuMicros(item.peer.pid) - cpuBefore) / (result.rps * SECONDS);
      runs.push({ scenario: item.scenario.name, peer: item.peer.name, round, ...result, cpuUsPerRequest, peakRssMiB: perRun ? peakRss(item.peer.pid) : NaN });
    }
  }
  // The observation cost again, both Moorings loaded at once: a host's noise (another tenant, a
  // slower minute) then hits both alike and cancels out of the ratio, which interleaved runs of
  // a few seconds each cannot promise. Two fresh processes with the same history, so neither has
  // more state or a warmer JIT than the other.
  const observedSideBySide: number[] = [];
  const sidePorts = [await p(), await p()] as const;
  sidePorts.forEach((port, i) => {
    const name = i === 0 ? 'side-plain' : 'side-observed';
    writeFileSync(join(dir, `${name}.yaml`), mooringCookieConf(port, ports.backends, i === 0 ? undefined : join(dir, 'side-access.log')));
    start(PROXY_CPUS, join(ROOT, 'bin/mooring.js'), ['start', '--config', join(dir, `${name}.yaml`)], `mooring (${name})`);
  });
  for (const port of sidePorts) await waitForPort(port, 'mooring (side by side)');
  console.error(`side by side: ${SIDE_ROUNDS} runs of ${SECONDS} s, two fresh Moorings, with and without observation, at once`);
  const sideRun = (port: number, seconds: number) =>
    load({ url: `http://127.0.0.1:${port}/1k`, seconds, connections: CONNECTIONS, cpus: LOAD_CPUS, cookie: cookieFor('mooring') }, useWrk);
  for (let round = 0; round <= SIDE_ROUNDS; round++) {
    // Round 0 warms both up (JIT, connections) and is not recorded.
    const [plain, observed] = await Promise.all(sidePorts.map((port) => sideRun(port, round === 0 ? 2 : SECONDS)));
    if (round > 0) observedSideBySide.push(observed!.rps / plain!.rps);
  }
  // Whole-run peaks (per-run peaks were reset between runs, so this is the highest run's, or since start without clear_refs).
  const rss = Object.fromEntries(peers.filter((p) => p.pid !== undefined).map((p) => [p.name, Math.max(peakRss(p.pid), ...runs.filter((r) => r.peer === p.name).map((r) => r.peakRssMiB).filter((v) => !Number.isNaN(v)))]));
  const text = report(runs, rss, { observedSideBySide, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, workers: WORKERS, backend: nginx ? 'nginx' : 'node', loader: useWrk ? 'wrk' : 'autocannon' });
  console.log(text);
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(join(ROOT, '.bench', 'load.json'), JSON.stringify({ runs, rss, observedSideBySide }, null, 2));
  rmSync(dir, { recursive: true, force: true });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
