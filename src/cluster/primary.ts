// `workers: N`: a primary process that forks N workers (node:cluster shares the listening sockets
// and hands connections out round-robin), replaces a worker that dies, and on SIGTERM/SIGINT stops
// them all gracefully. Each worker runs a whole Mooring (App) of its own; the control plane
// (control-plane.ts) runs here beside them.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log.ts';
import type { ControlPlane } from './control-plane.ts';
import { WORKER_ENV } from './shares.ts';

export interface ReadyMessage {
  readonly mooring: 'ready';
}

export function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as ReadyMessage).mooring === 'ready';
}

/**
 * Runs the primary until it is told to stop; resolves with the exit code. `control` runs the
 * monitors once and speaks for the workers to each other.
 */
export function runPrimary(workers: number, log: Logger, control: ControlPlane): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let failed = false;
    /** Live workers, and whether each has reported ready (a worker that dies before that failed to start). */
    const started = new Map<Worker, boolean>();
    /** Each worker's number: its share of group limits; a replacement takes the number of the one it replaces. */
    const numbers = new Map<Worker, number>();
    const fork = (n: number) => {
      const worker = cluster.fork({ [WORKER_ENV]: String(n) });
      numbers.set(worker, n);
      started.set(worker, false);
    };
    const stop = (signal: string) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: killing workers now');
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        return;
      }
      stopping = true;
      log.info({ signal, workers: started.size }, 'stopping workers');
      for (const w of started.keys()) w.process.kill('SIGTERM');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    cluster.on('message', (worker, message) => {
      if (control.heard(worker, message) || !isReady(message)) return;
      started.set(worker, true);
      log.info({ worker: worker.process.pid }, 'worker ready');
    });
    cluster.on('exit', (worker, code, signal) => {
      const wasReady = started.get(worker) === true;
      const n = numbers.get(worker) ?? 0;
      started.delete(worker);
      numbers.delete(worker);
      control.forget(worker);
      if (!stopping) {
        if (!wasReady) {
          // Failing at start (a bad port, a missing file): another try would fail the same way.
          log.error({ worker: worker.process.pid, code, signal }, 'worker failed to start; stopping');
          failed = true;
          stop('worker-failure');
        } else {
          log.error({ worker: worker.process.pid, code, signal }, 'worker died; starting another');
          fork(n);
        }
      }
      if (stopping && started.size === 0) {
        void control.stop().then(() => resolve(failed ? 1 : 0));
      }
    });
    for (let i = 0; i < workers; i++) fork(i);
  });
}
