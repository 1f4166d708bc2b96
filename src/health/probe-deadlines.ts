// Probe timeouts kept by the upstream clients' shared ticker rather than a timer per probe: 500
// probes a second each armed and cleared a timer of its own, and each cost the event loop a wake-up
// (measured in bench/probe-cpu.ts). A probe is cut up to one tick (a tenth of its timeout, 10 to
// 100 ms) after its time is up.
import { wake, watch, type Sweepable } from '../upstream/sweeper.ts';

export interface Expiring {
  /** When its time is up, in performance.now() milliseconds. */
  readonly expiresAt: number;
  /** Its time is up: called once, unless it was released first. */
  expire(): void;
}

export class Deadlines implements Sweepable {
  private readonly running = new Set<Expiring>();

  constructor(readonly tickMs: number) {}

  add(e: Expiring): void {
    this.running.add(e);
    wake(this);
  }

  release(e: Expiring): void {
    this.running.delete(e);
  }

  sweep(now: number): number {
    for (const e of this.running) {
      if (now < e.expiresAt) continue;
      this.running.delete(e);
      e.expire();
    }
    return this.running.size > 0 ? now : Infinity;
  }
}

/** One set per tick length, watched for the process's life (the ticker is unref'd). */
const byTick = new Map<number, Deadlines>();

/** Where something with a timeout of `timeoutMs` is watched: add it when it starts, release it when it ends. */
export function deadlinesFor(timeoutMs: number): Deadlines {
  const tick = Math.max(10, Math.min(100, Math.floor(timeoutMs / 10)));
  let deadlines = byTick.get(tick);
  if (!deadlines) {
    byTick.set(tick, (deadlines = new Deadlines(tick)));
    watch(deadlines);
  }
  return deadlines;
}
