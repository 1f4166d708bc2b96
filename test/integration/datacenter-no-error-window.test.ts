// The moment of failover: every server of the last active data center dies under a steady load of
// GETs. Requests found refusing leave the dead data center on their retries, passive health takes
// it down for those that follow, and no client gets a 502: each gets its answer from the standby,
// or (while a sleeping standby is woken by its kickstart) the documented 503 with Retry-After.
// Clients moved arrive with reason=failover.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '../../src/app.ts';
import { parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { CookieJar, get, jarGet, startBackend, waitFor } from '../helpers.ts';

/** Kills the primary data center under 18 clients' GETs for 4.5 s; what they were answered, the migrations the standby heard, the kickstarts. */
async function killPrimaryUnderLoad(standbyAsleep: boolean) {
  const migrations: string[] = [];
  let awake = !standbyAsleep;
  const backends = await Promise.all(
    ['p1', 'p2', 'd1'].map((id) =>
      startBackend(id, (req, res, name) => {
        req.resume();
        if (req.url === '/health') return void res.writeHead(name !== 'd1' || awake ? 200 : 503).end();
        const moved = req.headers['mooring-migrated-from'];
        if (typeof moved === 'string') migrations.push(moved);
        res.end(name);
      }),
    ),
  );
  let kicks = 0;
  const kicker = createServer((req, res) => {
    kicks++;
    req.resume();
    setTimeout(() => (awake = true), 500);
    res.writeHead(202).end();
  });
  await new Promise<void>((r) => kicker.listen(0, '127.0.0.1', r));
  const url = (id: string) => backends.find((b) => b.name === id)!.url;
  // Primary monitors as an operator would set them (every 2 s, down after 3 failures): ~6 s to notice alone.
  const slow = { path: '/health', interval: '2s', timeout: '1s', rise: 1, fall: 3 };
  const app = await App.start(
    parseConfigObject({
      listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
      services: [
        {
          name: 'app',
          retries: 2,
          health: slow,
          persistence: { method: 'cookie', keys: ['no-window-test-key-0123456789abcdef'], firstBurstWindow: '0s' },
          gslb: { mode: 'failover' },
          datacenters: [
            { name: 'primary', servers: [{ id: 'p1', url: url('p1') }, { id: 'p2', url: url('p2') }] },
            {
              name: 'standby',
              standby: true,
              kickstart: { url: `http://127.0.0.1:${(kicker.address() as AddressInfo).port}/wake`, timeout: '1s' },
              servers: [{ id: 'd1', url: url('d1'), health: { path: '/health', interval: '100ms', timeout: '100ms', rise: 1, fall: 1 } }],
            },
          ],
        },
      ],
    }),
    { logger: silentLogger },
  );
  try {
    const health = app.services.get('app')!.current.health;
    await waitFor(() => health.health('d1') === (standbyAsleep ? 'down' : 'up'), 5000, 'the standby seen as it is');
    const jars = Array.from({ length: 16 }, () => new CookieJar());
    for (const jar of jars) assert.match((await jarGet(app.url(), jar)).body, /^p[12]$/);

    await Promise.all(backends.filter((b) => b.name !== 'd1').map((b) => b.close()));
    const answers = new Map<string, number>();
    const until = Date.now() + 4500;
    await Promise.all(
      [...jars, undefined, undefined].map(async (jar) => {
        for (let i = 0; i < 300 && Date.now() < until; i++) {
          const res = jar ? await jarGet(app.url(), jar) : await get(app.url());
          const said = res.status === 200 ? `200 ${res.body}` : `${res.status} ${res.headers['mooring-error']} retry-after=${res.headers['retry-after'] ?? 'none'}`;
          answers.set(said, (answers.get(said) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    return { answers, migrations, kicks, order: app.services.get('app')!.current.order().map((dc) => dc.name) };
  } finally {
    await app.stop(0);
    await Promise.all(backends.map((b) => b.close()));
    kicker.close();
  }
}

const wrongAnswers = (answers: Map<string, number>) => [...answers].filter(([said]) => !said.startsWith('200 d1') && !/^503 MOORING_NO_SERVER retry-after=\d+$/.test(said));

describe('failover without an error window', () => {
  it('a healthy standby answers every GET at once while the primary dies, and its clients move with reason=failover', async () => {
    const { answers, migrations, kicks, order } = await killPrimaryUnderLoad(false);
    const said = JSON.stringify([...answers]);
    assert.deepEqual(wrongAnswers(answers), [], said);
    assert.ok((answers.get('200 d1') ?? 0) > 100 && answers.size === 1, `only the standby answered: ${said}`);
    assert.deepEqual(order, ['standby'], 'the standby takes new sessions before the monitors noticed');
    assert.equal(kicks, 1, 'the failover was called (and its kickstart) once');
    assert.ok(migrations.length >= 16, `every pinned client was moved: ${migrations.length}`);
    for (const m of migrations) assert.match(m, /^p[12]; reason=failover$/);
  });

  it('a sleeping standby is woken at once: until it is UP, 503 with Retry-After, never a 502; then it answers', async () => {
    const { answers, kicks } = await killPrimaryUnderLoad(true);
    const said = JSON.stringify([...answers]);
    assert.deepEqual(wrongAnswers(answers), [], said);
    assert.equal(kicks, 1, 'the standby was kickstarted once');
    assert.ok((answers.get('200 d1') ?? 0) > 50, `the standby answered once awake: ${said}`);
  });
});
