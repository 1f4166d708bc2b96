// workers: 2 with admin: — the primary answers for the whole group: sessions made on either worker
// are listed, /metrics sums the workers' traffic, requests in flight and queued on both workers are counted,
// a drain or an ended session made through the API holds in every worker, a passive ejection seen
// by one worker holds for both, and a reload is made by every worker (or refused by all).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { startBackend, waitFor, type Backend } from '../helpers.ts';
import { forgetPrefix } from '../redis-server.ts';
import { runCli, type Running } from '../cli-process.ts';
import { parsePrometheusText } from '../prometheus-text.ts';

const TEST_TOKEN = 'workers-admin-token-0123456789abcd';

/** The sum of every sample of `name` whose labels include `labels`, read strictly (the text must parse). */
function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const f of parsePrometheusText(text).values()) {
    for (const x of f.samples) if (x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)) sum += x.value;
  }
  return sum;
}

/** Waits (bounded) for an asynchronous check to hold. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Group {
  run: Running;
  /** The proxy listener's URL. */
  url: string;
  /** Calls the primary's admin API with the token. */
  api(path: string, init?: { method?: 'GET' | 'PATCH' | 'POST' | 'DELETE'; body?: unknown }): Promise<{ status: number; json: any; text: string }>;
}

async function startGroup(file: string): Promise<Group> {
  const run = runCli(['start', '--config', file]);
  try {
    const [, adminPort] = await run.waitFor(/"port":(\d+)[^\n]*admin listening/);
    const [, port] = await run.waitFor(/"listener":"web","host":"[^"]+","port":(\d+)/);
    await waitFor(() => (run.stdout().match(/worker ready/g) ?? []).length === 2, 15_000, 'two workers');
    const api: Group['api'] = async (path, init = {}) => {
      const res = await request(`http://127.0.0.1:${adminPort}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text };
    };
    return { run, url: `http://127.0.0.1:${port}/`, api };
  } catch (err) {
    run.child.kill('SIGKILL');
    throw err;
  }
}

/** One request on a fresh connection (the primary hands connections to both workers in turn). */
async function ask(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await request(url, { headers: { ...headers, connection: 'close' }, reset: true });
  return { status: res.statusCode, body: await res.body.text() };
}

async function stop(group: Group): Promise<void> {
  group.run.child.kill('SIGTERM');
  assert.equal(await group.run.exit, 0);
}

describe('workers: 2 with the admin API', () => {
  let backends: Backend[];
  let dir: string;
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    dir = mkdtempSync(join(tmpdir(), 'mooring-workers-admin-'));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  const config = (servers: string, extra = '') => `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    persistence: { method: header, header: X-Session }
    servers: [${servers}]
admin: { address: "127.0.0.1:0", token: "${TEST_TOKEN}" }
workers: 2
timeouts: { shutdown: 5s }
${extra}`;
  const serverList = () => backends.map((b) => `{ id: ${b.name}, url: "${b.url}" }`).join(', ');

  for (const kind of ['memory', 'redis'] as const) {
  it(`shows the group (${kind} store): every worker's sessions, their traffic summed in /metrics, the workers in /status`, async () => {
    const prefix = `mooring-test:${randomBytes(6).toString('hex')}:`;
    const file = join(dir, 'group.yaml');
    writeFileSync(file, config(serverList(), kind === 'redis' ? `store: { type: redis, url: "redis://127.0.0.1:6379", prefix: "${prefix}" }\n` : ''));
    const group = await startGroup(file);
    try {
      const homes = new Map<string, string>();
      for (let i = 0; i < 12; i++) homes.set(`user-${i}`, (await ask(group.url, { 'x-session': `user-${i}` })).body);
      for (let round = 0; round < 2; round++) for (const [user, home] of homes) assert.equal((await ask(group.url, { 'x-session': user })).body, home);
      const sessions = await group.api('/api/v1/sessions?limit=100');
      assert.equal(sessions.status, 200);
      const [app] = sessions.json.services;
      assert.equal(app.count, 12, 'every session, whichever worker made it');
      assert.deepEqual(app.sample.map((s: { key: string }) => s.key).sort(), [...homes.keys()].sort());
      for (const s of app.sample) assert.equal(s.server, homes.get(s.key));
      // Per-server counts from Redis are polled every second.
      const sessionsOnServers = async () => (await group.api('/api/v1/servers')).json.servers.reduce((n: number, s: { sessions: number }) => n + s.sessions, 0);
      await until(async () => (await sessionsOnServers()) === 12, 3000, 'twelve sessions on the servers');
      const servers = await group.api('/api/v1/servers');
      const rps = servers.json.servers.reduce((n: number, s: { requestsPerSecond: number }) => n + s.requestsPerSecond, 0);
      assert.ok(rps * 9 <= 36 && rps * 10 >= 36 * 0.9, `36 requests in the 10 s window, by both workers: ${rps} req/s`);
      const metrics = await group.api('/metrics');
      assert.equal(metrics.status, 200);
      assert.equal(sumOf(metrics.text, 'mooring_requests_total'), 36, 'both workers\' requests, added up');
      assert.equal(sumOf(metrics.text, 'mooring_sessions'), 12);
      assert.equal(sumOf(metrics.text, 'mooring_server_health', { state: 'unknown' }), 3, 'state figures once, not once per worker');
      const status = await group.api('/api/v1/status');
      assert.equal(status.json.pid, group.run.child.pid);
      assert.deepEqual(status.json.workers.map((w: { pid: number }) => w.pid).sort(), childrenOf(group.run.child.pid!).sort());
      assert.equal(status.json.listeners[0].url, group.url.slice(0, -1));
      await stop(group);
    } finally {
      group.run.child.kill('SIGKILL');
      if (kind === 'redis') await forgetPrefix(prefix);
    }
  });
  }

  it('counts the requests in flight and those waiting for room on both workers', async () => {
    const waiting: (() => void)[] = [];
    const slow = await startBackend('slow', (req, res, name) => {
      req.resume();
      if (req.url === '/quick') return void res.end(name);
      waiting.push(() => res.end(name));
    });
    const file = join(dir, 'inflight.yaml');
    writeFileSync(file, config(`{ id: slow, url: "${slow.url}" }`));
    const group = await startGroup(file);
    try {
      const held = Array.from({ length: 4 }, (_, i) => ask(group.url, { 'x-session': `held-${i}` }));
      await waitFor(() => waiting.length === 4, 5000, 'four requests on the slow server');
      await until(async () => (await group.api('/api/v1/servers')).json.servers[0].inflight === 4, 3000, "the group's four requests in flight");
      const status = (await group.api('/api/v1/status')).json;
      assert.equal(status.requests, 4);
      while (waiting.length > 0) waiting.shift()!();
      assert.deepEqual((await Promise.all(held)).map((r) => r.body), ['slow', 'slow', 'slow', 'slow']);
      await until(async () => (await group.api('/api/v1/servers')).json.servers[0].inflight === 0, 3000, 'none in flight');
      await stop(group);
    } finally {
      group.run.child.kill('SIGKILL');
    }

    // maxConnections 2: one request at a time per worker; six pinned clients, so four wait in the workers' queues.
    writeFileSync(
      file,
      config(`{ id: slow, url: "${slow.url}", maxConnections: 2 }`).replace('persistence: { method: header, header: X-Session }', 'persistence: { method: header, header: X-Session, onOverload: queue }').replace('timeouts: { shutdown: 5s }', 'timeouts: { shutdown: 5s, queue: 20s }'),
    );
    const queueing = await startGroup(file);
    try {
      const users = Array.from({ length: 6 }, (_, i) => ({ 'x-session': `queued-${i}` }));
      for (const user of users) assert.equal((await ask(`${queueing.url}quick`, user)).status, 200);
      const answers = users.map((user) => ask(queueing.url, user));
      await waitFor(() => waiting.length === 2, 5000, 'one request per worker on the slow server');
      const row = async () => (await queueing.api('/api/v1/servers')).json.servers[0] as { inflight: number; queued: number };
      await until(async () => {
        const r = await row();
        return r.inflight === 2 && r.queued === 4;
      }, 3000, 'two in flight and four queued in the group');
      for (let released = 0; released < 6; released++) {
        await waitFor(() => waiting.length > 0, 5000, `request ${released + 1} on the slow server`);
        waiting.shift()!();
      }
      assert.deepEqual((await Promise.all(answers)).map((r) => r.status), [200, 200, 200, 200, 200, 200]);
      await until(async () => (await row()).queued === 0, 3000, 'none queued');
      await stop(queueing);
    } finally {
      queueing.run.child.kill('SIGKILL');
      await slow.close();
    }
  });

  it('a drain and an ended session made through the API hold in every worker', async () => {
    const file = join(dir, 'drain.yaml');
    writeFileSync(file, config(serverList()));
    const group = await startGroup(file);
    try {
      // Each client comes back once with its key: only then does its session count and show.
      for (let i = 0; i < 18; i++) await ask(group.url, { 'x-session': `old-${i % 9}` });
      const drained = await group.api('/api/v1/servers/a', { method: 'PATCH', body: { state: 'draining' } });
      assert.equal(drained.status, 200);
      assert.equal(drained.json.state, 'draining');
      for (let i = 0; i < 20; i++) assert.notEqual((await ask(group.url, { 'x-session': `new-${i}` })).body, 'a', 'no new session on a server drained through the primary');
      const [first] = (await group.api('/api/v1/sessions?server=b&limit=1')).json.services[0].sample;
      assert.ok(first, 'a session on b');
      const ended = await group.api(`/api/v1/sessions/${encodeURIComponent(first.key)}`, { method: 'DELETE' });
      assert.equal(ended.status, 200);
      await until(async () => !(await group.api('/api/v1/sessions?limit=1000')).json.services[0].sample.some((s: { key: string }) => s.key === first.key), 2000, 'the ended session gone');
      await stop(group);
    } finally {
      group.run.child.kill('SIGKILL');
    }
  });

  it("a server ejected by one worker's passive health is ejected for the group", async () => {
    let connections = 0;
    // Accepts and resets every connection: a server that fails every request.
    const broken: Server = createServer((socket) => {
      connections++;
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const port = (broken.address() as { port: number }).port;
    const file = join(dir, 'eject.yaml');
    writeFileSync(
      file,
      `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    balance: { algorithm: round-robin }
    passive: { consecutiveFailures: 1, failOn: [reset], ejectFor: 1m }
    servers: [{ id: a, url: "${backends[0]!.url}" }, { id: b, url: "${backends[1]!.url}" }, { id: broken, url: "http://127.0.0.1:${port}" }]
admin: { address: "127.0.0.1:0", token: "${TEST_TOKEN}" }
workers: 2
timeouts: { shutdown: 5s }
`,
    );
    const group = await startGroup(file);
    try {
      await until(async () => (await ask(group.url)).status === 200 && connections > 0, 5000, 'one request on the broken server');
      await until(async () => (await group.api('/api/v1/servers')).json.servers.find((s: { id: string }) => s.id === 'broken').health === 'down', 2000, 'the primary to show the ejection');
      const seen = connections;
      for (let i = 0; i < 30; i++) assert.equal((await ask(group.url)).status, 200);
      assert.equal(connections, seen, 'neither worker sends to the ejected server');
      const ejected = (await group.api('/api/v1/servers')).json.servers.find((s: { id: string }) => s.id === 'broken');
      assert.ok(ejected.ejectedUntil !== null);
      await stop(group);
    } finally {
      group.run.child.kill('SIGKILL');
      broken.close();
    }
  });

  it('a reload through the API is made by every worker, and a bad file is refused by the group', async () => {
    const file = join(dir, 'reload.yaml');
    writeFileSync(file, config(`{ id: a, url: "${backends[0]!.url}" }`));
    const group = await startGroup(file);
    try {
      writeFileSync(file, config(`{ id: b, url: "${backends[1]!.url}" }`));
      const applied = await group.api('/api/v1/reload', { method: 'POST' });
      assert.equal(applied.status, 200, applied.text);
      assert.equal(applied.json.applied, true);
      for (let i = 0; i < 10; i++) assert.equal((await ask(group.url, { 'x-session': `r-${i}` })).body, 'b', 'both workers serve the new config');
      assert.deepEqual((await group.api('/api/v1/servers')).json.servers.map((s: { id: string }) => s.id), ['b']);
      writeFileSync(file, config(`{ id: b, url: "${backends[1]!.url}", weight: "heavy" }`));
      const refused = await group.api('/api/v1/reload', { method: 'POST' });
      assert.equal(refused.status, 422);
      assert.match(refused.json.errors.join('\n'), /weight/);
      for (let i = 0; i < 4; i++) assert.equal((await ask(group.url, { 'x-session': `r-${i}` })).body, 'b');
      await stop(group);
    } finally {
      group.run.child.kill('SIGKILL');
    }
  });

  it('a manual failback made through the API reaches every worker, which follow the primary\'s failover decisions', async () => {
    let failing = false;
    const main = await startBackend('main', (req, res, name) => {
      req.resume();
      if (req.url === '/health') return void res.writeHead(failing ? 503 : 200).end();
      res.end(name);
    });
    const file = join(dir, 'failback.yaml');
    writeFileSync(
      file,
      `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    gslb: { mode: failover, failback: manual }
    datacenters:
      - { name: main, servers: [{ id: m1, url: "${main.url}", health: { path: /health, interval: 200ms, timeout: 200ms, rise: 1, fall: 2 } }] }
      - { name: spare, standby: true, servers: [{ id: s1, url: "${backends[0]!.url}", health: false }] }
admin: { address: "127.0.0.1:0", token: "${TEST_TOKEN}" }
workers: 2
timeouts: { shutdown: 5s }
`,
    );
    const group = await startGroup(file);
    const answers = async (n: number) => new Set(await Promise.all(Array.from({ length: n }, async () => (await ask(group.url)).body)));
    try {
      await until(async () => (await answers(4)).has('main'), 3000, 'main to serve');
      failing = true;
      await until(async () => [...(await answers(6))].join() === 'a', 3000, 'the standby to serve every new request');
      failing = false;
      await until(async () => (await group.api('/api/v1/datacenters')).json.datacenters.find((d: { name: string }) => d.name === 'main').waitingForFailbackSince !== null, 3000, 'main to wait for a failback');
      assert.deepEqual([...(await answers(10))], ['a'], 'no worker fails back by itself');
      const done = await group.api('/api/v1/datacenters/main/failback', { method: 'POST' });
      assert.equal(done.status, 200, done.text);
      await until(async () => [...(await answers(6))].join() === 'main', 2000, 'both workers to send new requests to main again');
      await stop(group);
    } finally {
      group.run.child.kill('SIGKILL');
      await main.close();
    }
  });
});
