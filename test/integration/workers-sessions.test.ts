// workers: 2 — sessions of every method shared by the workers, through the primary (memory store)
// or Redis: client-ip, header and query sessions stick and survive a killed worker, a browser's
// first parallel connections join one session, app-cookie mappings reach every worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { startBackend, TEST_KEY, waitFor, type Backend } from '../helpers.ts';
import { forgetPrefix } from '../redis-server.ts';
import { childrenOf, groupConfig, startTwoWorkers, withTwoWorkers } from '../workers-cluster.ts';
import { CookieCodec } from '../../src/persistence/cookie-codec.ts';

describe('workers sharing sessions', () => {
  let backends: Backend[];
  let dir: string;
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    dir = mkdtempSync(join(tmpdir(), 'mooring-workers-sessions-'));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

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
        // A mapping learned by one worker reaches Redis just after its answer (write-behind): a
        // browser's next page comes later than that; a client on another worker within that
        // millisecond or so would be placed anew (docs/scaling.md).
        await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 100; i++) {
          const res = await request(url, { headers: { cookie: appCookie, connection: 'close' }, reset: true });
          assert.equal(await res.body.text(), home, `request ${i} of client ${client}`);
        }
      }
    }, cleanup);
  });
  }
});
