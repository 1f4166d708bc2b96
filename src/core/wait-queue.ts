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

  get length(): number {
    return this.waiting.length;
  }

  /** Waiters for server `id` (their sessions' server). */
  countFor(id: string): number {
    let n = 0;
    for (const w of this.waiting) if (w.waitsFor === id) n++;
    return n;
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
