// Runs wrk (or autocannon when wrk is missing) and reads its figures.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  /** Core list for taskset, e.g. "1". */
  cpus: string;
  headers?: Record<string, string>;
  /** Valid session cookies: wrk sends them in turn (its Lua script); autocannon sends the first one on every request. */
  cookie?: { script: string; first: string };
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrk(out: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, p50ms: pct('50'), p99ms: pct('99'), errors: non2xx + socketErrors };
}

/** Whether wrk is installed and not set aside (BENCH_LOADER=autocannon). */
export async function hasWrk(): Promise<boolean> {
  if (process.env['BENCH_LOADER'] === 'autocannon') return false;
  try {
    await run('wrk', ['--version']).catch((e: { stdout?: string }) => {
      if (!String(e.stdout ?? '').includes('wrk')) throw e;
    });
    return true;
  } catch {
    return false;
  }
}

export async function load(o: LoadOptions, useWrk: boolean): Promise<LoadResult> {
  const headerArgs = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  if (useWrk) {
    const args = ['-c', o.cpus, 'wrk', '-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', ...headerArgs];
    if (o.cookie) args.push('-s', o.cookie.script);
    const { stdout } = await run('taskset', [...args, o.url], { timeout: (o.seconds + 30) * 1000 });
    return parseWrk(stdout);
  }
  // autocannon fallback (npx, from the npm registry); its JSON gives the same figures.
  const cookieArgs = o.cookie ? ['-H', `Cookie: ${o.cookie.first}`] : [];
  const args = ['-c', o.cpus, 'npx', '--yes', 'autocannon@8', '-j', '-c', String(o.connections), '-d', String(o.seconds), ...headerArgs, ...cookieArgs, o.url];
  const { stdout } = await run('taskset', args, { timeout: (o.seconds + 60) * 1000, maxBuffer: 1 << 24 });
  const j = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { rps: j.requests.average, p50ms: j.latency.p50, p99ms: j.latency.p99, errors: j.non2xx + j.errors };
}
