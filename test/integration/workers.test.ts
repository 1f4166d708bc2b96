// workers: 2 — a real primary with two worker processes sharing the listener: requests succeed,
// cookie sessions stick whichever worker answers, a dead worker is replaced, SIGTERM stops all (exit 0);
// limits and monitors hold for the group. Sessions of the other methods: workers-sessions.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { CookieJar, startBackend, TEST_KEY, waitFor, type Backend } from '../helpers.ts';
import { runToEnd } from '../cli-process.ts';
import { childrenOf, fresh, startTwoWorkers } from '../workers-cluster.ts';

describe('workers', () => {
  let backends: Backend[];
  let dir: string;
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    dir = mkdtempSync(join(tmpdir(), 'mooring-workers-'));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  const config = (persistence: string, extra = '') => `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    persistence: ${persistence}
    servers: [${backends.map((b) => `{ id: ${b.name}, url: "${b.url}"${extra} }`).join(', ')}]
workers: 2
timeouts: { shutdown: 5s }
`;

  it('two workers serve, cookie sessions stick across them, a dead worker is replaced, SIGTERM exits 0', async () => {
    const file = join(dir, 'workers.yaml');
    writeFileSync(file, config(`{ method: cookie, keys: ["${TEST_KEY}"], firstBurstWindow: 0s }`));
    const { run, port } = await startTwoWorkers(file);
    try {
      const url = `http://127.0.0.1:${port}/`;
      const primary = run.child.pid!;
      const workers = childrenOf(primary);
      assert.equal(workers.length, 2);
      const jar = new CookieJar();
      const home = await fresh(url, jar);
      for (let i = 0; i < 20; i++) assert.equal(await fresh(url, jar), home, 'stays on its server whichever worker answers');
      process.kill(workers[0]!, 'SIGKILL');
      await waitFor(() => childrenOf(primary).length === 2 && !childrenOf(primary).includes(workers[0]!), 10_000, 'a replacement worker');
      await waitFor(() => (run.stdout().match(/worker ready/g) ?? []).length === 3, 10_000, 'the replacement to be ready');
      for (let i = 0; i < 10; i++) assert.equal(await fresh(url, jar), home);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
      assert.deepEqual(childrenOf(primary), []);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('maxSessions holds for the group of workers: sessions beyond it are refused whichever worker takes them', async () => {
    const file = join(dir, 'limits.yaml');
    writeFileSync(file, config('{ method: header, header: X-Session, onOverload: reject }', ', maxSessions: 2'));
    const { run, port } = await startTwoWorkers(file);
    try {
      const placed = new Map<string, number>();
      let refused = 0;
      const ask = async (user: string) => {
        const res = await request(`http://127.0.0.1:${port}/`, { headers: { 'x-session': user, connection: 'close' }, reset: true });
        return { status: res.statusCode, body: await res.body.text() };
      };
      for (let i = 0; i < 9; i++) {
        const first = await ask(`user-${i}`);
        if (first.status !== 200) {
          refused++;
          continue;
        }
        // The client comes back with its key (through either worker): its session counts from then on.
        assert.deepEqual(await ask(`user-${i}`), first);
        placed.set(first.body, (placed.get(first.body) ?? 0) + 1);
      }
      assert.deepEqual([...placed.values()], [2, 2, 2], `two sessions per server: ${JSON.stringify([...placed])}`);
      assert.equal(refused, 3);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('monitors and failover decisions run once, in the primary; they reach every worker; a failover kickstarts the standby once', async () => {
    let probes = 0;
    let failing = false;
    const primaryServer = await startBackend('p1', (req, res, name) => {
      req.resume();
      if (req.url === '/health') {
        probes++;
        return void res.writeHead(failing ? 503 : 200).end();
      }
      res.end(name);
    });
    let kicks = 0;
    const kicker = await startBackend('kicker', (req, res) => {
      kicks++;
      req.resume();
      res.writeHead(202).end();
    });
    const file = join(dir, 'monitors.yaml');
    writeFileSync(
      file,
      `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    gslb: { mode: failover }
    datacenters:
      - { name: main, servers: [{ id: p1, url: "${primaryServer.url}", health: { path: /health, interval: 200ms, timeout: 200ms, rise: 1, fall: 2 } }] }
      - { name: spare, standby: true, kickstart: { url: "${kicker.url}/wake", timeout: 1s }, servers: [{ id: s1, url: "${backends[0]!.url}", health: false }] }
workers: 2
timeouts: { shutdown: 5s }
`,
    );
    const { run, port } = await startTwoWorkers(file);
    try {
      const url = `http://127.0.0.1:${port}/`;
      const ask = async () => (await request(url, { headers: { connection: 'close' }, reset: true })).body.text();
      const before = probes;
      await new Promise((r) => setTimeout(r, 1000));
      const perSecond = probes - before;
      assert.ok(perSecond >= 3 && perSecond <= 7, `one prober at 200 ms: ${perSecond} probes in 1 s (three processes probing would make about 15)`);
      for (let i = 0; i < 6; i++) assert.equal(await ask(), 'p1');
      failing = true;
      // Both workers hear the verdict: every answer, on fresh connections, comes from the standby.
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 10; i++) assert.equal(await ask(), 'a', 'the standby serves once the primary data center is down');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(kicks, 1, 'one kickstart call for the failover, not one per worker');
      assert.equal((run.stdout().match(/"msg":"[^"]*: failover \(/g) ?? []).length, 1, 'the failover is decided once, in the primary, and the workers follow it');
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
      await primaryServer.close();
      await kicker.close();
    }
  });

  it('workers that cannot start (port in use) stop the primary with exit 1, no respawn loop', async () => {
    const blocker = await startBackend('blocker');
    const file = join(dir, 'busy.yaml');
    writeFileSync(file, config('{ method: none }').replace('127.0.0.1:0', `127.0.0.1:${blocker.port}`));
    try {
      const { code, stderr, stdout } = await runToEnd(['start', '--config', file], 20_000);
      assert.equal(code, 1);
      assert.match(stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
      assert.match(stdout, /worker failed to start; stopping/);
    } finally {
      await blocker.close();
    }
  });

  it('refuses a maxConnections below the number of workers (each holds a share), naming the field', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, config('{ method: client-ip }', ', maxConnections: 1'));
    const { code, stderr } = await runToEnd(['validate', '--config', file]);
    assert.equal(code, 1);
    assert.match(stderr, /services\[0\]\.servers\[0\]\.maxConnections: expected at least 2 \(one per worker: each worker holds a share of the limit\), got 1/);
    assert.doesNotMatch(stderr, /persistence\.method/, 'table methods work with workers');
  });

  it('maxConnections holds for the group: each worker uses its share, so the server never has more at once', async () => {
    let now = 0;
    let most = 0;
    const slow = await startBackend('slow', (req, res, name) => {
      now++;
      most = Math.max(most, now);
      req.resume();
      setTimeout(() => {
        now--;
        res.end(name);
      }, 800);
    });
    const file = join(dir, 'connections.yaml');
    writeFileSync(
      file,
      `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - { name: app, persistence: { method: none, onOverload: reject }, servers: [{ id: slow, url: "${slow.url}", maxConnections: 2 }] }
workers: 2
timeouts: { shutdown: 5s }
`,
    );
    const { run, port } = await startTwoWorkers(file);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const res = await request(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' }, reset: true });
          await res.body.text();
          return res.statusCode;
        }),
      );
      assert.ok(most <= 2, `at most 2 requests at once on the server, saw ${most}`);
      assert.equal(statuses.filter((s) => s === 200).length, most);
      assert.ok(statuses.filter((s) => s === 503).length >= 4, `the rest refused: ${statuses.join(' ')}`);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
      await slow.close();
    }
  });
});
