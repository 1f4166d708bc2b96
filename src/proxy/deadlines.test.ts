import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineList, type DeadlineEntry } from './deadlines.ts';

function entry(name: string, fired: string[]): DeadlineEntry {
  return { deadlineAt: 0, previousDeadline: undefined, nextDeadline: undefined, hasDeadline: false, deadlinePassed: () => fired.push(name) };
}

describe('DeadlineList', () => {
  it('fires passed deadlines oldest first, and only those', () => {
    let now = 0;
    const list = new DeadlineList(100, () => now);
    const fired: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => entry(n, fired)) as [DeadlineEntry, DeadlineEntry, DeadlineEntry];
    list.add(a, 0);
    list.add(b, 10);
    list.add(c, 50);
    now = 120;
    list.sweep();
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(c.hasDeadline, true);
    now = 150;
    list.sweep();
    assert.deepEqual(fired, ['a', 'b', 'c']);
    list.stop();
  });

  it('removed entries never fire, wherever they sit in the list; re-adding restarts the allowance', () => {
    let now = 0;
    const list = new DeadlineList(100, () => now);
    const fired: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => entry(n, fired)) as [DeadlineEntry, DeadlineEntry, DeadlineEntry];
    list.add(a, 0);
    list.add(b, 0);
    list.add(c, 0);
    list.remove(b); // middle
    list.remove(b); // twice is harmless
    list.add(a, 60); // a retry: a moves to the end with a new deadline
    now = 100;
    list.sweep();
    assert.deepEqual(fired, ['c']);
    now = 160;
    list.sweep();
    assert.deepEqual(fired, ['c', 'a']);
    assert.equal(b.hasDeadline, false);
    list.stop();
  });

  it('fires on its own ticker within the tick, and lets the process exit (unref)', async () => {
    const list = new DeadlineList(40);
    const fired: string[] = [];
    list.add(entry('x', fired), performance.now());
    const until = Date.now() + 2000;
    while (fired.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(fired, ['x']);
  });
});
