// Quorum as a table: monitors' votes × monitorsRequired → the server's state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quorum, votesNeeded, type Required } from './quorum.ts';
import type { HealthState } from './table.ts';

const votes = (text: string): HealthState[] => [...text].map((c) => (c === 'u' ? 'up' : c === 'd' ? 'down' : 'unknown'));

describe('quorum', () => {
  const cases: [string, Required, string][] = [
    // votes, required, expected first letter
    ['ud', 'most', 'u'],
    ['udd', 'most', 'd'],
    ['uud', 'most', 'u'],
    ['dd', 'most', 'd'],
    ['ud', 'one', 'd'],
    ['uu', 'one', 'u'],
    ['u?', 'one', '?'],
    ['ud', 'all', 'u'],
    ['dd', 'all', 'd'],
    ['d?', 'all', '?'],
    ['uddd', 2, 'd'],
    ['uuud', 2, 'u'],
    ['dd', 5, 'd'],
    ['???', 'most', '?'],
    ['', 'most', '?'],
  ];
  for (const [text, required, want] of cases) {
    it(`[${text}] with ${required} → ${want}`, () => {
      const got = quorum(votes(text), required);
      assert.equal(got === 'unknown' ? '?' : got[0], want);
    });
  }

  it('most means more than half', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => votesNeeded('most', n)), [1, 2, 2, 3, 3]);
  });
});
