// Hot reload: a new config swapped in while clients are busy. Requests under way finish, tunnels
// stay up, sessions, health and drains of servers that remain are kept; removed servers' sessions
// move with the migration notice; keys that need a restart are named and the running config stays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { CookieJar, get, jarGet, pinnedTo, startBackend, TEST_KEY, type Backend } from '../helpers.ts';

interface Variant {
  servers?: string[];
  weights?: Record<string, number>;
  states?: Record<string, string>;
  algorithm?: string;
  address?: string;
  workers?: number;
  persistence?: Record<string, unknown>;
}

describe('hot reload', () => {
  let backends: Backend[];
  const migrated: string[] = [];
  const url = (name: string) => backends.find((b) => b.name === name)!.url;

  const configOf = (v: Variant = {}) =>
    parseConfigObject({
      ...(v.workers === undefined ? {} : { workers: v.workers }),
      listeners: [{ name: 'web', address: v.address ?? '127.0.0.1:0', service: 'app' }],
      services: [
        {
          name: 'app',
          balance: { algorithm: v.algorithm ?? 'round-robin' },
          persistence: v.persistence ?? { method: 'cookie', keys: [TEST_KEY] },
          servers: (v.servers ?? ['a', 'b', 'c']).map((id) => ({ id, url: url(id), weight: v.weights?.[id] ?? 1, ...(v.states?.[id] ? { state: v.states[id] } : {}) })),
        },
      ],
    });

  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) =>
        startBackend(n, (req, res, name) => {
          const from = req.headers['mooring-migrated-from'];
          if (typeof from === 'string') migrated.push(`${name} ${from}`);
          const delay = req.url === '/slow' ? 600 : 0;
          req.resume();
          setTimeout(() => res.end(name), delay);
        }),
      ),
    );
    for (const backend of backends) {
      const wss = new WebSocketServer({ noServer: true });
      backend.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (d) => ws.send(`${backend.name}:${String(d)}`))));
    }
  });
  after(async () => {
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('ten reloads under load: no failed request, no re-pinned session, no dropped tunnel', async () => {
    const app = await App.start(configOf(), { logger: silentLogger });
    try {
      migrated.length = 0;
      const clients = await Promise.all(['a', 'b', 'c', 'a', 'b', 'c'].map((s) => pinnedTo(app, s, 30)));
      const pinned = await Promise.all(clients.map(async (jar) => (await jarGet(app.url(), jar)).body));
      const tunnels = [new WebSocket(app.url().replace('http', 'ws')), new WebSocket(app.url().replace('http', 'ws'))];
      await Promise.all(tunnels.map((ws) => once(ws, 'open')));
      let running = true;
      const failures: string[] = [];
      let done = 0;
      const load = clients.map(async (jar, i) => {
        for (let n = 0; running && n < 2000; n++) {
          const res = await jarGet(app.url(), jar).catch((err: Error) => ({ status: 0, body: err.message }));
          if (res.status !== 200 || res.body !== pinned[i]) failures.push(`client ${i}: ${res.status} ${res.body} (pinned to ${pinned[i]})`);
          done++;
        }
      });
      const variants: Variant[] = [
        { weights: { b: 3 } },
        { servers: ['a', 'b', 'c', 'd'] },
        { algorithm: 'least-connections' },
        { servers: ['a', 'b', 'c', 'd'], weights: { d: 2 } },
        {},
      ];
      for (let i = 0; i < 10; i++) {
        const result = app.reload(configOf(variants[i % variants.length]));
        assert.equal(result.applied, true, JSON.stringify(result));
        await new Promise((r) => setTimeout(r, 60));
      }
      running = false;
      await Promise.all(load);
      assert.deepEqual(failures, []);
      assert.ok(done > 60, `requests ran during the reloads (${done})`);
      assert.deepEqual(migrated, [], 'no session was moved');
      for (const ws of tunnels) {
        assert.equal(ws.readyState, WebSocket.OPEN, 'the tunnel is still open');
        ws.send('still');
        const [data] = await once(ws, 'message');
        assert.match(String(data), /^[abc]:still$/);
        ws.close();
      }
    } finally {
      await app.stop();
    }
  });

  it('a removed server: its request under way finishes; its sessions move with the migration notice', async () => {
    const app = await App.start(configOf(), { logger: silentLogger });
    try {
      migrated.length = 0;
      const jar = await pinnedTo(app, 'c', 30);
      const slow = request(`${app.url()}/slow`, { headers: jar.header(), headersTimeout: 5000, bodyTimeout: 5000 });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(app.reload(configOf({ servers: ['a', 'b'] })).applied, true);
      const res = await slow;
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'c', 'the request under way finished on c');
      const after = await jarGet(app.url(), jar);
      assert.equal(after.status, 200);
      assert.match(after.body, /^[ab]$/);
      assert.deepEqual(migrated, [`${after.body} c; reason=removed`]);
      assert.equal((await jarGet(app.url(), jar)).body, after.body, 're-pinned for good');
    } finally {
      await app.stop();
    }
  });

  it('keeps what servers that remain have: sessions, drains; the file wins only where it changed', async () => {
    const app = await App.start(configOf(), { logger: silentLogger });
    try {
      const jar = await pinnedTo(app, 'b', 30);
      const sessionsBefore = app.services.get('app')!.sessionsOn('b');
      assert.ok(sessionsBefore >= 1, 'the pinned client has a session on b');
      app.services.get('app')!.current.health.setAdmin('a', 'draining', 'operator', Date.now());
      assert.equal(app.reload(configOf({ weights: { b: 2 } })).applied, true);
      const snapshot = app.services.get('app')!.current;
      assert.equal(snapshot.health.admin('a'), 'draining', 'an operator drain outlives a reload');
      assert.equal(app.services.get('app')!.sessionsOn('b'), sessionsBefore, 'sessions kept');
      assert.equal(snapshot.server('b')!.weight, 2, 'the new weight applies');
      assert.equal((await jarGet(app.url(), jar)).body, 'b');
      assert.equal(app.reload(configOf({ states: { c: 'disabled' } })).applied, true);
      assert.equal(app.services.get('app')!.current.health.admin('c'), 'disabled', 'a state changed in the file applies');
      assert.equal(app.services.get('app')!.current.health.admin('a'), 'draining', 'one the file did not change stays');
      const events = app.events.recent().map((e) => e.type);
      assert.ok(events.includes('reload'));
    } finally {
      await app.stop();
    }
  });

  it('server-side sessions outlive a reload that changes persistence settings; a new method starts anew, and says so', async () => {
    const header = (idleTimeout: string) => ({ method: 'header', header: 'X-Session', table: { idleTimeout } });
    const app = await App.start(configOf({ persistence: header('10m') }), { logger: silentLogger });
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
      const placed = new Map<string, string>();
      for (const key of keys) placed.set(key, (await get(app.url(), { 'x-session': key })).body);
      assert.equal(new Set(placed.values()).size, 3, 'round-robin spread the sessions over a, b and c');
      const changed = app.reload(configOf({ persistence: header('20m') }));
      assert.deepEqual(changed, { applied: true, changes: ['services[app].persistence.table.idleTimeout: 600000 → 1200000'], notes: [] });
      // Round-robin would place most of these elsewhere: only the kept table keeps them home.
      for (const key of keys) assert.equal((await get(app.url(), { 'x-session': key })).body, placed.get(key), `${key} kept its server`);
      assert.equal(app.services.get('app')!.store.limits.idleMs, 1_200_000, 'the new idle timeout applies');
      const method = app.reload(configOf({ persistence: { method: 'query', query: 'sid' } }));
      assert.ok(method.applied && method.notes.some((n) => /persistence method changed from header to query, so its sessions start anew/.test(n)), JSON.stringify(method));
      assert.equal(app.services.get('app')!.store.size, 0);
    } finally {
      await app.stop();
    }
  });

  it('refuses what needs a restart, naming the key; the running config stays', async () => {
    const app = await App.start(configOf(), { logger: silentLogger });
    try {
      const before = app.config;
      const moved = app.reload(configOf({ address: '127.0.0.1:1' }));
      assert.equal(moved.applied, false);
      assert.match(moved.applied ? '' : moved.errors.join('\n'), /listeners\[0\]\.address cannot change without a restart/);
      const workers = app.reload(configOf({ workers: 2 }));
      assert.match(workers.applied ? '' : workers.errors.join('\n'), /workers cannot change/);
      assert.equal(app.config, before);
      assert.equal(app.events.recent().at(-1)?.type, 'reload-refused');
      const jar = new CookieJar();
      assert.equal((await jarGet(app.url(), jar)).status, 200);
    } finally {
      await app.stop();
    }
  });
});
