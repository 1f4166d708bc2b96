// Reads and validates config files on a worker thread, so that a reload's parse (about 1.5 s per
// MiB of YAML) never holds up the requests the running config is serving.
import { Worker } from 'node:worker_threads';
import { ConfigError, deepFreeze, type ConfigProblem } from './load.ts';
import type { Config } from './schema.ts';

export interface LoadQuestion {
  readonly id: number;
  readonly file: string;
  readonly env: NodeJS.ProcessEnv;
}
export type LoadAnswer = { readonly id: number } & ({ readonly config: Config } | { readonly problems: readonly ConfigProblem[] } | { readonly failed: string });

export interface LoadLimits {
  /** The longest a file may take to read; past it the thread is stopped and the file refused. */
  readonly timeoutMs: number;
  /** The thread's heap: a file that needs more is refused, the process is not harmed. */
  readonly heapMiB: number;
  /** The thread stays this long after its last file (reloads often come in a row), then ends. */
  readonly idleMs: number;
}

/** A 1 MiB file (the most allowed) takes about 2 s and 150 MiB; these leave room for a slow host. */
export const LOAD_LIMITS: LoadLimits = { timeoutMs: 30_000, heapMiB: 512, idleMs: 5_000 };

interface Pending {
  readonly file: string;
  readonly resolve: (config: Config) => void;
  readonly reject: (err: ConfigError) => void;
  readonly timer: NodeJS.Timeout;
}

/** One thread that reads config files, started when a file is asked for and ended when idle. */
class ConfigReader {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly limits: LoadLimits) {}

  read(file: string, env: NodeJS.ProcessEnv): Promise<Config> {
    clearTimeout(this.idle);
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<Config>((resolve, reject) => {
      const timer = setTimeout(() => this.stop(`took longer than ${this.limits.timeoutMs / 1000} s to read; the file was not applied`), this.limits.timeoutMs);
      this.pending.set(id, { file, resolve, reject, timer });
      worker.postMessage({ id, file, env: { ...env } } satisfies LoadQuestion);
    });
  }

  private start(): Worker {
    const worker = startWorker(this.limits.heapMiB);
    // An idle reader never keeps the process alive.
    worker.unref();
    worker.on('message', (answer: LoadAnswer) => this.answered(answer));
    worker.on('error', (err: NodeJS.ErrnoException) =>
      this.stop(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `needs more than ${this.limits.heapMiB} MiB of memory to read; the file was not applied` : `cannot be read as a config: ${err.message}`),
    );
    worker.on('exit', (code) => this.stop(`cannot be read as a config: the reading thread stopped (exit code ${code})`));
    return worker;
  }

  private answered(answer: LoadAnswer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    clearTimeout(waiting.timer);
    if ('config' in answer) waiting.resolve(deepFreeze(answer.config));
    else if ('problems' in answer) waiting.reject(new ConfigError([...answer.problems]));
    else waiting.reject(refusal(waiting.file, `cannot be read as a config: ${answer.failed}`));
    if (this.pending.size === 0) {
      this.idle = setTimeout(() => this.stop('the reader was idle'), this.limits.idleMs);
      this.idle.unref();
    }
  }

  /** Ends the thread; every file it still had is refused with `why`. */
  private stop(why: string): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    clearTimeout(this.idle);
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      clearTimeout(waiting.timer);
      waiting.reject(refusal(waiting.file, why));
    }
    worker.removeAllListeners();
    void worker.terminate();
  }
}

function refusal(file: string, message: string): ConfigError {
  return new ConfigError([{ file, line: 0, path: '', message }]);
}

function startWorker(heapMiB: number): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: heapMiB } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./load-worker.js', import.meta.url), options);
  // Run from TypeScript sources (the tests, `node --import tsx`): a worker does not inherit the
  // loader that reads .ts files, so it registers it before it imports its body.
  const body = new URL('./load-worker.ts', import.meta.url).href;
  const loader = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(loader)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(body)}))`, { ...options, eval: true });
}

const readers = new Map<LoadLimits, ConfigReader>();

/** What loadConfigFile returns, read on a worker thread; throws ConfigError as it does, and when the thread failed or took too long. */
export function loadConfigFileOffThread(file: string, env: NodeJS.ProcessEnv = process.env, limits: LoadLimits = LOAD_LIMITS): Promise<Config> {
  let reader = readers.get(limits);
  if (!reader) readers.set(limits, (reader = new ConfigReader(limits)));
  return reader.read(file, env);
}
