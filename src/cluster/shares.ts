// A group limit split between workers: each worker may use its share of a server's
// maxConnections, so together they never exceed it. Shares are fixed by worker number (0 to N-1,
// in MOORING_WORKER, set by the primary): a worker that replaces one that died takes its number and
// its share. The first `limit % N` workers get one more.
export const WORKER_ENV = 'MOORING_WORKER';

export function shareOf(limit: number, worker: number, workers: number): number {
  return Math.floor(limit / workers) + (worker < limit % workers ? 1 : 0);
}

/** This worker's share of a limit, by the number the primary gave it. */
export function workerShare(workers: number): (limit: number) => number {
  const worker = Number(process.env[WORKER_ENV] ?? 0);
  return (limit) => shareOf(limit, worker, workers);
}
