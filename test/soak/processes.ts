// The soak's real processes: backends it can kill -9, stop and restart, and Mooring itself, with
// what the kernel says of a process (resident memory, open descriptors).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const BACKEND = fileURLToPath(new URL('./backend-process.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** A loopback port free a moment ago (the soak needs ports known before a process takes them: a restart reuses its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `args` under node (with the TypeScript loader) and resolves once its output matches `ready`, within `ms`. */
function startNode(args: string[], ready: RegExp, ms: number, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Kept short: a long soak must not hold every line a process ever printed.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-64 * 1024));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${args.join(' ')} did not start within ${ms} ms:\n${output}`)), ms);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const check = () => {
      if (!ready.test(output)) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ child, output: () => output });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited (${code}) while starting:\n${output}`)));
  });
}

/** Waits until `child` has exited (it was sent a signal that ends it). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class BackendProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly id: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const started = await startNode([BACKEND, this.id, String(this.port)], /^ready$/m, 20_000);
    this.child = started.child;
    // Exits the soak did not ask for are its own failure, seen as errors on the requests.
    this.child.removeAllListeners('exit');
  }

  /** kill -9: connections under way are cut, the port refuses until start() again. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
  }

  /** SIGSTOP: the process hangs; the kernel still accepts connections, nothing answers them. */
  hang(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** The backend's /health answers 503 (`up` false) or 200 again. */
  async health(up: boolean): Promise<void> {
    const res = await request(`${this.url}/soak/health?up=${up ? 1 : 0}`, { method: 'POST', headersTimeout: 5000, bodyTimeout: 5000 });
    await res.body.text();
  }
}

export interface MooringProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** `mooring start --config file` from the sources, once it listens. */
export async function startMooringProcess(configFile: string): Promise<MooringProcess> {
  const { child, output } = await startNode([CLI, 'start', '--config', configFile], /"msg":"listening"/, 30_000);
  return {
    child,
    pid: child.pid!,
    output,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

/** A process's resident memory (MiB) and open file descriptors, from /proc. */
export function footprint(pid: number): { rssMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return { rssMiB: Math.round(rssKiB / 102.4) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}
