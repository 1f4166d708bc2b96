// Durations: the forms Mooring reads (combined ones too), and what a mistyped one most likely meant.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, suggestDuration } from './duration.ts';

describe('durations', () => {
  it('reads one unit or several together', () => {
    const cases: [string, number | undefined][] = [['250ms', 250], ['3s', 3000], ['1.5s', 1500], ['5m', 300_000], ['1h', 3_600_000], ['7d', 604_800_000], ['1m30s', 90_000], ['1h30m15s', 5_415_000], [' 2s ', 2000], ['5 sec', undefined], ['10S', undefined], ['3000', undefined], ['s', undefined], ['', undefined], ['1m30', undefined]];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, JSON.stringify(text));
  });

  it('suggests what a mistyped duration meant, and nothing for what it cannot read', () => {
    const cases: [string, string | undefined][] = [['5 sec', '5s'], ['10S', '10s'], ['3000', '3000ms'], ['2 minutes', '2m'], ['1 hour 30 min', '1h30m'], ['30 Seconds', '30s'], ['250 MS', '250ms'], ['5x', undefined], ['abc', undefined], ['3s', undefined]];
    for (const [text, guess] of cases) assert.equal(suggestDuration(text), guess, JSON.stringify(text));
  });
});
