// The shared sweeper's bookkeeping, with clients of the test's own: a busy client is swept on
// every tick, a resting one not before its time, and one that unwatches itself during its sweep
// is never swept again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { unwatch, wake, watch, type Sweepable } from './sweeper.ts';

/** A client whose sweep answers `next(now)` and counts its calls. */
function client(next: (now: number, self: Sweepable) => number): Sweepable & { swept: number } {
  const c = {
    tickMs: 10,
    swept: 0,
    sweep(now: number): number {
      c.swept++;
      return next(now, c);
    },
  };
  return c;
}

describe('upstream sweeper', () => {
  it('sweeps a busy client on every tick, and a resting one only once its time has come', async () => {
    const busy = client((now) => now);
    let restUntil = performance.now() + 400;
    const resting = client(() => restUntil);
    watch(busy);
    watch(resting);
    try {
      await sleep(150);
      assert.ok(busy.swept >= 5, `the busy client was swept on each 10 ms tick (${busy.swept} sweeps in 150 ms)`);
      assert.equal(resting.swept, 1, 'the resting client was swept once, then left to rest');
      await sleep(600);
      assert.ok(resting.swept >= 2, `swept again once its time came (${resting.swept} sweeps)`);
      const before = resting.swept;
      restUntil = Infinity;
      wake(resting);
      await sleep(50);
      assert.ok(resting.swept > before, 'a wake puts it back on the ticks');
    } finally {
      unwatch(busy);
      unwatch(resting);
    }
  });

  it('never sweeps again a client that unwatched itself during its sweep, even when woken', async () => {
    // Another client keeps the ticker going, as the process's other clients would.
    const other = client((now) => now);
    const leaving = client((_now, self) => {
      unwatch(self);
      return Infinity;
    });
    watch(other);
    watch(leaving);
    try {
      await sleep(50);
      assert.equal(leaving.swept, 1, 'swept once');
      wake(leaving);
      await sleep(50);
      assert.equal(leaving.swept, 1, 'not swept after it unwatched itself');
    } finally {
      unwatch(other);
    }
  });
});
