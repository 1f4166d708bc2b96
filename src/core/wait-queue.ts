// Requests waiting for room (onOverload: queue): first come, first served. Whenever room may have
// appeared (a request ended, sessions expired) waiters try again in order until one gets through.

export interface Waiter {
  /** Tries to proceed; true when it left the queue (went ahead or gave up). */
  tryAgain(): boolean;
  /** The server it waits for (its session's); undefined: any server with room. */
  readonly waitsFor: string | undefined;
}

export class WaitQueue {
  private waiting: Waiter[] = [];
  /** With workers, on the primary: what each server's waiters in the workers add up to, as last reported. */
  private elsewhere: ReadonlyMap<string, number> = new Map();

  get length(): number {
    return this.waiting.length;
  }

  /** Waiters for server `id` (their sessions' server), here and, on a primary, in its workers. */
  countFor(id: string): number {
    let n = this.elsewhere.get(id) ?? 0;
    for (const w of this.waiting) if (w.waitsFor === id) n++;
    return n;
  }

  /** Waiters here per server they wait for (waiters for any server are left out). */
  countsByServer(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const w of this.waiting) if (w.waitsFor !== undefined) counts.set(w.waitsFor, (counts.get(w.waitsFor) ?? 0) + 1);
    return counts;
  }

  /** The primary's view of its workers' waiters, replaced at each report. */
  setElsewhere(counts: ReadonlyMap<string, number>): void {
    this.elsewhere = counts;
  }

  add(waiter: Waiter): void {
    this.waiting.push(waiter);
  }

  remove(waiter: Waiter): void {
    const i = this.waiting.indexOf(waiter);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Room may have appeared: let waiters try, in order, until one proceeds. */
  wake(): void {
    for (const waiter of [...this.waiting]) {
      if (!waiter.tryAgain()) continue;
      this.remove(waiter);
      return;
    }
  }
}
