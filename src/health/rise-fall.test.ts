// Rise/fall as a table: a sequence of probe results (+ pass, - fail) → the states after each.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextVerdict, UNKNOWN, type Thresholds } from './rise-fall.ts';

function run(results: string, t: Thresholds): string {
  let v = UNKNOWN;
  return [...results].map((r) => ((v = nextVerdict(v, r === '+', t)).state === 'unknown' ? '?' : v.state[0])).join('');
}

describe('rise/fall', () => {
  const cases: [string, Thresholds, string, string][] = [
    ['assume up: first pass settles up', { rise: 2, fall: 3, assume: 'up' }, '+', 'u'],
    ['assume up: fall failures to go down', { rise: 2, fall: 3, assume: 'up' }, '---', '??d'],
    ['assume up: a pass resets the failure count', { rise: 2, fall: 3, assume: 'up' }, '--+---', '??uuud'],
    ['assume down: first failure settles down', { rise: 2, fall: 3, assume: 'down' }, '-', 'd'],
    ['assume down: rise passes to go up', { rise: 2, fall: 3, assume: 'down' }, '++', '?u'],
    ['up: two failures are not enough, the third is', { rise: 2, fall: 3, assume: 'up' }, '+--+---', 'uuuuuud'],
    ['down: a failure resets the pass count', { rise: 2, fall: 1, assume: 'up' }, '-+-++', 'ddddu'],
    ['rise 1 / fall 1 follow every result', { rise: 1, fall: 1, assume: 'up' }, '+-+-', 'udud'],
  ];
  for (const [name, t, results, want] of cases) {
    it(name, () => assert.equal(run(results, t), want));
  }
});
