// workers: 2 — a real primary with two worker processes sharing the listener: requests succeed,
// cookie sessions stick whichever worker answers, a dead worker is replaced, SIGTERM stops all (exit 0);
// with a Redis store, table methods stick across workers too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { CookieJar, startBackend, TEST_KEY, waitFor, type Backend } from '../helpers.ts';
import { forgetPrefix } from '../redis-server.ts';
import { runCli, runToEnd, type Running } from '../cli-process.ts';
import { CookieCodec } from '../../src/persistence/cookie-codec.ts';

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A fresh connection per request (so the primary hands requests to both workers). */
async function fresh(url: string, jar: CookieJar) {
  const res = await request(url, { headers: { ...jar.header(), connection: 'close' }, reset: true });
  jar.take(res.headers['set-cookie']);
  return res.body.text();
}

/** `mooring start` on `file` (workers: 2); resolves once both workers are ready, with the port. */
async function startTwoWorkers(file: string): Promise<{ run: Running; port: string }> {
  const run = runCli(['start', '--config', file]);
  try {
    const [, port] = await run.waitFor(/"port":(\d+)/);
    await waitFor(() => (run.stdout().match(/worker ready/g) ?? []).length === 2, 15_000, 'two workers');
    return { run, port: port! };
  } catch (err) {
    run.child.kill('SIGKILL');
    throw err;
  }
}

/** Two workers on `file` for `body`, then a clean SIGTERM stop (exit 0); `cleanup` runs whatever happens. */
async function withTwoWorkers(file: string, body: (port: string) => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
  let started: { run: Running; port: string } | undefined;
  try {
    started = await startTwoWorkers(file);
    await body(started.port);
    started.run.child.kill('SIGTERM');
    assert.equal(await started.run.exit, 0);
  } finally {
    started?.run.child.kill('SIGKILL');
    await cleanup();
  }
}

/** One service `app` over `servers` with `persistence`, two workers, and with `prefix` the machine's Redis as the store. */
function groupConfig(persistence: string, servers: readonly Backend[], prefix?: string): string {
  return `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    persistence: ${persistence}
    servers: [${servers.map((b) => `{ id: ${b.name}, url: "${b.url}" }`).join(', ')}]
${prefix ? `store: { type: redis, url: "redis://127.0.0.1:6379", prefix: "${prefix}" }` : ''}
workers: 2
timeouts: { shutdown: 5s }
`;
}

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

  for (const shared of ['memory', 'redis'] as const) {
  it(`${shared === 'memory' ? 'through the primary (memory store)' : 'with a Redis store'}, client-ip, header and query sessions stick across workers; a killed worker loses none`, async () => {
    const prefix = `mooring-test:${randomBytes(6).toString('hex')}:`;
    const store = shared === 'redis' ? `store: { type: redis, url: "redis://127.0.0.1:6379", prefix: "${prefix}" }` : '';
    const servers = `[${backends.map((b) => `{ id: ${b.name}, url: "${b.url}" }`).join(', ')}]`;
    const methods = { ip: '{ method: client-ip }', header: '{ method: header, header: X-Session }', query: '{ method: query, query: sid }' };
    const file = join(dir, 'shared.yaml');
    writeFileSync(
      file,
      `listeners:
${Object.keys(methods).map((m) => `  - { name: ${m}, address: "127.0.0.1:0", service: ${m} }`).join('\n')}
services:
${Object.entries(methods).map(([m, p]) => `  - { name: ${m}, persistence: ${p}, servers: ${servers} }`).join('\n')}
trustedProxies: ["127.0.0.1"]
${store}
workers: 2
timeouts: { shutdown: 5s }
`,
    );
    const { run } = await startTwoWorkers(file);
    try {
      const ports = new Map([...run.stdout().matchAll(/"listener":"(\w+)","host":"[^"]+","port":(\d+)/g)].map((m) => [m[1]!, m[2]!]));
      const clients = (i: number): [string, Record<string, string>][] => [
        [`http://127.0.0.1:${ports.get('ip')}/`, { 'x-forwarded-for': `198.51.100.${i + 1}` }],
        [`http://127.0.0.1:${ports.get('header')}/`, { 'x-session': `user-${i}` }],
        [`http://127.0.0.1:${ports.get('query')}/?sid=user-${i}`, {}],
      ];
      const ask = async (url: string, headers: Record<string, string>) => (await request(url, { headers: { ...headers, connection: 'close' }, reset: true })).body.text();
      const checkAll = async (home: Map<string, string>, rounds: number) => {
        for (let n = 0; n < rounds; n++) {
          for (let i = 0; i < 3; i++) for (const [url, headers] of clients(i)) assert.equal(await ask(url, headers), home.get(url + JSON.stringify(headers)), `${url} ${JSON.stringify(headers)}`);
        }
      };
      const home = new Map<string, string>();
      for (let i = 0; i < 3; i++) for (const [url, headers] of clients(i)) home.set(url + JSON.stringify(headers), await ask(url, headers));
      assert.ok(new Set(home.values()).size >= 2, 'sessions spread over the servers');
      await checkAll(home, 11); // 100 requests per method, on fresh connections: both workers answer
      const primary = run.child.pid!;
      const [victim] = childrenOf(primary);
      process.kill(victim!, 'SIGKILL');
      await waitFor(() => (run.stdout().match(/worker ready/g) ?? []).length === 3, 10_000, 'the replacement to be ready');
      await checkAll(home, 3);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
      await forgetPrefix(prefix);
    }
  });
  }

  for (const shared of ['memory', 'redis'] as const) {
  it(`a browser's first parallel connections join one session whichever worker takes each (${shared} store)`, async () => {
    const prefix = shared === 'redis' ? `mooring-test:${randomBytes(6).toString('hex')}:` : undefined;
    // The first answers are slow, so every connection opens before any cookie comes back.
    const slow = await Promise.all(['x', 'y', 'z'].map((n) => startBackend(n, (req, res, name) => {
      req.resume();
      setTimeout(() => res.end(name), 1500);
    })));
    const file = join(dir, 'burst.yaml');
    writeFileSync(file, groupConfig(`{ method: cookie, keys: ["${TEST_KEY}"], firstBurstWindow: 2s }`, slow, prefix));
    const codec = new CookieCodec([TEST_KEY], slow.map((b) => b.name));
    const cleanup = async () => {
      await Promise.all(slow.map((b) => b.close()));
      if (prefix) await forgetPrefix(prefix);
    };
    await withTwoWorkers(file, async (port) => {
      // Redis is reached in the background at start: let both workers connect first.
      if (prefix) await new Promise((r) => setTimeout(r, 500));
      for (const round of [0, 1]) {
        const agent = `Browser/${round}`;
        // Six connections opened one after another, as a browser does, each on its own socket (spaced
        // so that the first one's burst has reached the other worker even on a loaded machine).
        const answers = [];
        for (let i = 0; i < 6; i++) {
          answers.push(request(`http://127.0.0.1:${port}/asset-${i}`, { headers: { 'user-agent': agent, connection: 'close' }, reset: true }).then(async (res) => ({ body: await res.body.text(), session: codec.decode(/mooring=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!)?.sessionId })));
          await new Promise((r) => setTimeout(r, 150));
        }
        const got = await Promise.all(answers);
        assert.equal(new Set(got.map((g) => g.body)).size, 1, `one server for the burst: ${got.map((g) => g.body).join(' ')}`);
        assert.equal(new Set(got.map((g) => g.session)).size, 1, `one session for the burst: ${got.map((g) => g.session).join(' ')}`);
      }
    }, cleanup);
  });

  it(`app-cookie sessions stick across workers (${shared} store): 100 requests on fresh connections reach one server`, async () => {
    const prefix = shared === 'redis' ? `mooring-test:${randomBytes(6).toString('hex')}:` : undefined;
    // Servers that start the application's own session (JSESSIONID) on a client's first request.
    const apps = await Promise.all(['p', 'q', 'r'].map((n) => startBackend(n, (req, res, name) => {
      req.resume();
      if (!/JSESSIONID=/.test(req.headers.cookie ?? '')) res.setHeader('set-cookie', `JSESSIONID=${name}-${randomBytes(6).toString('hex')}; Path=/`);
      res.end(name);
    })));
    const file = join(dir, 'app-cookie.yaml');
    writeFileSync(file, groupConfig(`{ method: app-cookie, appCookie: JSESSIONID, keys: ["${TEST_KEY}"] }`, apps, prefix));
    const cleanup = async () => {
      await Promise.all(apps.map((b) => b.close()));
      if (prefix) await forgetPrefix(prefix);
    };
    await withTwoWorkers(file, async (port) => {
      if (prefix) await new Promise((r) => setTimeout(r, 500));
      const url = `http://127.0.0.1:${port}/`;
      for (let client = 0; client < 3; client++) {
        // The client keeps only the application's cookie, as one whose Mooring cookie was lost would.
        const first = await request(url, { headers: { connection: 'close' }, reset: true });
        const home = await first.body.text();
        const appCookie = /JSESSIONID=[^;]+/.exec(String(first.headers['set-cookie']))![0];
        for (let i = 0; i < 100; i++) {
          const res = await request(url, { headers: { cookie: appCookie, connection: 'close' }, reset: true });
          assert.equal(await res.body.text(), home, `request ${i} of client ${client}`);
        }
      }
    }, cleanup);
  });
  }

  it('maxSessions holds for the group of workers: sessions beyond it are refused whichever worker takes them', async () => {
    const file = join(dir, 'limits.yaml');
    writeFileSync(file, config('{ method: header, header: X-Session, onOverload: reject }', ', maxSessions: 2'));
    const { run, port } = await startTwoWorkers(file);
    try {
      const placed = new Map<string, number>();
      let refused = 0;
      for (let i = 0; i < 9; i++) {
        const res = await request(`http://127.0.0.1:${port}/`, { headers: { 'x-session': `user-${i}`, connection: 'close' }, reset: true });
        const body = await res.body.text();
        if (res.statusCode === 200) placed.set(body, (placed.get(body) ?? 0) + 1);
        else refused++;
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
