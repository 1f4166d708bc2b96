// Every algorithm over 3 real servers through Mooring: 3000 requests each, the expected spread.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { get, runConcurrent, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const REQUESTS = 3000;

async function spread(app: App, concurrency: number, headers: (i: number) => Record<string, string> = () => ({}), total = REQUESTS) {
  const counts = new Map<string, number>();
  await runConcurrent(total, concurrency, async (i) => {
    const res = await get(app.url(), headers(i));
    assert.equal(res.status, 200);
    counts.set(res.body, (counts.get(res.body) ?? 0) + 1);
  });
  return counts;
}

function within(counts: Map<string, number>, expected: Record<string, number>, tolerance: number) {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  for (const [name, share] of Object.entries(expected)) {
    const want = share * total;
    const got = counts.get(name) ?? 0;
    assert.ok(Math.abs(got - want) <= tolerance * want, `${name}: ${got}, expected ${want} ± ${tolerance * 100}% (all: ${[...counts]})`);
  }
}

describe('spread over 3 servers', () => {
  let backends: Backend[];
  let slow: Backend[];
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    // For the load-aware algorithms: c answers 15 ms later than a and b.
    slow = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          void sleep(name === 'c' ? 15 : 0).then(() => res.end(name));
        }),
      ),
    );
  });
  after(async () => Promise.all([...backends, ...slow].map((b) => b.close())));

  const even = { a: 1 / 3, b: 1 / 3, c: 1 / 3 };

  it('round-robin: exactly even', async () => {
    const app = await startMooring(backends, { algorithm: 'round-robin' });
    try {
      within(await spread(app, 1), even, 0);
      within(await spread(app, 8), even, 0.05);
    } finally {
      await app.stop();
    }
  });

  it('weighted-round-robin: weights 1:1:3 within 5%', async () => {
    const app = await startMooring(backends, {
      service: { servers: backends.map((b, i) => ({ id: b.name, url: b.url, weight: i === 2 ? 3 : 1 })) },
      algorithm: 'weighted-round-robin',
    });
    try {
      within(await spread(app, 8), { a: 0.2, b: 0.2, c: 0.6 }, 0.05);
    } finally {
      await app.stop();
    }
  });

  it('maglev on a header key: even within 5%, weights 1:1:3 within 5%, and each key sticks', async () => {
    const balance = { algorithm: 'maglev', key: 'header:X-User' };
    const app = await startMooring(backends, { balance });
    const weighted = await startMooring(backends, {
      balance,
      service: { servers: backends.map((b, i) => ({ id: b.name, url: b.url, weight: i === 2 ? 3 : 1 })) },
    });
    try {
      within(await spread(app, 8, (i) => ({ 'x-user': `user-${i}` })), even, 0.05);
      // Hashing 3000 keys has ±4% sampling noise on a 20% share; 9000 keys bring it well inside 5%.
      within(await spread(weighted, 8, (i) => ({ 'x-user': `user-${i}` }), 9000), { a: 0.2, b: 0.2, c: 0.6 }, 0.05);
      const first = await get(app.url(), { 'x-user': 'alice' });
      for (let i = 0; i < 20; i++) assert.equal((await get(app.url(), { 'x-user': 'alice' })).body, first.body);
    } finally {
      await app.stop();
      await weighted.stop();
    }
  });

  it('least-connections and two-random-choices: even over equal servers, less to a slow one', async () => {
    for (const algorithm of ['least-connections', 'two-random-choices']) {
      const app = await startMooring(backends, { algorithm });
      const appSlow = await startMooring(slow, { algorithm });
      try {
        within(await spread(app, 8), even, 0.1);
        const counts = await spread(appSlow, 8);
        assert.ok((counts.get('c') ?? 0) < (counts.get('a') ?? 0) / 2, `${algorithm}: slow server got ${[...counts]}`);
      } finally {
        await app.stop();
        await appSlow.stop();
      }
    }
  });

  it('least-response-time: the slow server gets the least', async () => {
    const app = await startMooring(slow, { algorithm: 'least-response-time' });
    try {
      const counts = await spread(app, 4);
      assert.ok((counts.get('c') ?? 0) < REQUESTS * 0.15, `slow server got ${[...counts]}`);
      assert.ok((counts.get('a') ?? 0) > REQUESTS * 0.25 && (counts.get('b') ?? 0) > REQUESTS * 0.25, `${[...counts]}`);
    } finally {
      await app.stop();
    }
  });
});
