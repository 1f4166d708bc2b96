// Shares of a group limit: they add up to the limit, differ by at most one, and a worker's share
// depends only on its number.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shareOf } from './shares.ts';

describe('worker shares of a limit', () => {
  it('add up to the limit and differ by at most one', () => {
    for (const workers of [1, 2, 3, 8]) {
      for (const limit of [workers, workers + 1, 10, 97, 1000]) {
        const shares = Array.from({ length: workers }, (_, w) => shareOf(limit, w, workers));
        assert.equal(shares.reduce((a, b) => a + b, 0), limit, `${limit} over ${workers}`);
        assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
        assert.ok(Math.min(...shares) >= 1);
      }
    }
    assert.deepEqual([0, 1, 2].map((w) => shareOf(10, w, 3)), [4, 3, 3]);
  });
});
