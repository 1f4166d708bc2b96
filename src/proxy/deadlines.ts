// Overall deadlines of upstream calls, for what the upstream client's own timers do not cover (waiting in a
// pool's queue for a connection). Every call gets the same allowance, so appending keeps the list in
// deadline order and one coarse ticker serves them all: O(1) per call and no timer object per
// request (a Timeout per request cost ~1.5% of a proxied request's CPU, measured).

/** An upstream call with a deadline; the links are the list's own (one list per call at most). */
export interface DeadlineEntry {
  deadlineAt: number;
  previousDeadline: DeadlineEntry | undefined;
  nextDeadline: DeadlineEntry | undefined;
  /** Whether the entry is in a list (linked entries may still be the only one: head === tail). */
  hasDeadline: boolean;
  deadlinePassed(): void;
}

export class DeadlineList {
  private head: DeadlineEntry | undefined;
  private tail: DeadlineEntry | undefined;
  private ticker: NodeJS.Timeout | undefined;
  /** How late a deadline may fire: a small share of the allowance, within [10 ms, 250 ms]. */
  private readonly tickMs: number;

  constructor(
    readonly allowanceMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tickMs = Math.max(10, Math.min(250, Math.floor(allowanceMs / 20)));
  }

  /** Starts `entry`'s allowance from `startedAt` (a time from the same clock). */
  add(entry: DeadlineEntry, startedAt: number): void {
    if (entry.hasDeadline) this.remove(entry);
    entry.deadlineAt = startedAt + this.allowanceMs;
    entry.hasDeadline = true;
    entry.previousDeadline = this.tail;
    entry.nextDeadline = undefined;
    if (this.tail) this.tail.nextDeadline = entry;
    else this.head = entry;
    this.tail = entry;
    // Unref'd: a pending deadline must not keep a stopping process alive.
    this.ticker ??= setInterval(tick, this.tickMs, this).unref();
  }

  /** Starts `entry`'s allowance again from now. */
  restart(entry: DeadlineEntry): void {
    this.add(entry, this.now());
  }

  remove(entry: DeadlineEntry): void {
    if (!entry.hasDeadline) return;
    const { previousDeadline: previous, nextDeadline: next } = entry;
    if (previous) previous.nextDeadline = next;
    else this.head = next;
    if (next) next.previousDeadline = previous;
    else this.tail = previous;
    entry.previousDeadline = entry.nextDeadline = undefined;
    entry.hasDeadline = false;
  }

  /** Fires every passed deadline, oldest first; the ticker stops once nothing is pending. */
  sweep(): void {
    const now = this.now();
    for (let entry = this.head; entry && entry.deadlineAt <= now; entry = this.head) {
      this.remove(entry);
      entry.deadlinePassed();
    }
    if (!this.head) this.stop();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

function tick(list: DeadlineList): void {
  list.sweep();
}
