// Pinned servers that fail, drain, are disabled or removed: clients move (and the new server is told
// where they came from), or, with strict, get 503. Plus WebSocket stickiness.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { pinnedTo, get, jarGet, startBackend, startMooring, TEST_KEY, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const persistence = (extra: Record<string, unknown> = {}) => ({
  service: { persistence: { method: 'cookie', keys: [TEST_KEY], debugHeader: true, firstBurstWindow: '0s', ...extra } },
});

describe('persistence: failover, drain, removal', () => {
  let backends: Backend[];
  const migrations: string[] = [];
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n, handler)));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, name: string) {
    req.resume();
    migrations.push(`${name} <- ${req.headers['mooring-migrated-from'] ?? '-'}`);
    res.end(name);
  }

  it('pinned server stopped: the next request succeeds elsewhere with the migration header, and re-pins', async () => {
    const doomed = await startBackend('d', handler);
    const app = await startMooring([doomed, backends[1]!, backends[2]!], persistence());
    try {
      const jar = await pinnedTo(app, 'd');
      await doomed.close();
      const res = await jarGet(app.url(), jar);
      assert.equal(res.status, 200);
      assert.notEqual(res.body, 'd');
      assert.equal(res.headers['mooring-decision'], `target-down; server=${res.body}`);
      assert.equal(migrations.at(-1), `${res.body} <- d; reason=down`);
      assert.ok(res.headers['set-cookie'], 're-pinned with a new cookie');
      for (let i = 0; i < 5; i++) {
        const next = await jarGet(app.url(), jar);
        assert.equal(next.body, res.body);
        assert.equal(next.headers['mooring-decision'], `honored; server=${res.body}`);
        assert.equal(migrations.at(-1), `${res.body} <- -`, 'no migration header once settled');
      }
    } finally {
      await app.stop();
    }
  });

  it('strict: a stopped pinned server gives 503, not a move', async () => {
    const doomed = await startBackend('d', handler);
    const app = await startMooring([doomed, backends[1]!], persistence({ strict: true }));
    try {
      const jar = await pinnedTo(app, 'd');
      await doomed.close();
      const res = await jarGet(app.url(), jar);
      assert.equal(res.status, 503);
      assert.equal(res.headers['mooring-error'], 'MOORING_PINNED_SERVER_DOWN');
      assert.equal((await get(app.url())).status, 200, 'new clients still get a server');
    } finally {
      await app.stop();
    }
  });

  it('a draining server keeps its sessions and gets no new ones; a disabled one hands them over (reason=disabled)', async () => {
    const app = await startMooring(backends, persistence());
    try {
      const jar = await pinnedTo(app, 'a');
      const health = app.services.get('app')!.current.health;
      health.setAdmin('a', 'draining', 'test', Date.now());
      for (let i = 0; i < 5; i++) assert.equal((await jarGet(app.url(), jar)).body, 'a');
      for (let i = 0; i < 9; i++) assert.notEqual((await get(app.url())).body, 'a', 'no new session on a draining server');
      health.setAdmin('a', 'disabled', 'test', Date.now());
      const moved = await jarGet(app.url(), jar);
      assert.notEqual(moved.body, 'a');
      assert.equal(moved.headers['mooring-decision'], `disabled; server=${moved.body}`);
      assert.equal(migrations.at(-1), `${moved.body} <- a; reason=disabled`);
    } finally {
      await app.stop();
    }
  });

  it('a server removed from the config: its clients are re-pinned (reason=removed)', async () => {
    const before = await startMooring(backends, persistence());
    const jar = await pinnedTo(before, 'c');
    await before.stop();
    const after = await startMooring(backends.slice(0, 2), persistence());
    try {
      const res = await jarGet(after.url(), jar);
      assert.equal(res.status, 200);
      assert.equal(res.headers['mooring-decision'], `repinned; server=${res.body}`);
      assert.equal(migrations.at(-1), `${res.body} <- c; reason=removed`);
      assert.equal((await jarGet(after.url(), jar)).headers['mooring-decision'], `honored; server=${res.body}`);
    } finally {
      await after.stop();
    }
  });

  it('a client cannot forge Mooring-Migrated-From', async () => {
    const app = await startMooring(backends, persistence());
    try {
      await get(app.url(), { 'mooring-migrated-from': 'x; reason=down' });
      assert.match(migrations.at(-1)!, / <- -$/);
    } finally {
      await app.stop();
    }
  });
});

describe('persistence: websocket', () => {
  let backends: Backend[];
  let app: App;
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    for (const backend of backends) {
      const wss = new WebSocketServer({ noServer: true });
      backend.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(backend.name)));
    }
    app = await startMooring(backends, persistence());
  });
  after(async () => {
    await app?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  async function connect(headers: Record<string, string> = {}) {
    const ws = new WebSocket(app.url().replace('http://', 'ws://'), { headers });
    let setCookie: string[] | undefined;
    ws.on('upgrade', (res) => (setCookie = res.headers['set-cookie']));
    const [data] = await once(ws, 'message');
    ws.close();
    await once(ws, 'close');
    return { server: String(data), setCookie };
  }

  it('the 101 carries the cookie, and upgrades with it reach the same server', async () => {
    const first = await connect();
    const cookie = first.setCookie?.find((c) => c.startsWith('mooring='));
    assert.ok(cookie, '101 response sets the cookie');
    for (let i = 0; i < 5; i++) assert.equal((await connect({ cookie: cookie!.split(';')[0]! })).server, first.server);
    const http = await get(app.url(), { cookie: cookie!.split(';')[0]! });
    assert.equal(http.body, first.server, 'plain requests follow the same session');
  });
});
