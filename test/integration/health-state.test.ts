// Passive ejection, backup servers with failback, drain and disable, over real backends: a server
// that fails is remembered as failed, backups serve only while primaries are away, a drain keeps
// sessions until they end (or moves them after its deadline) and says when it is done.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { capturingLogger, CookieJar, get, jarGet, pinnedTo, startBackend, startMooring, TEST_KEY, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const events = (app: App, type: string, server: string) => app.events.recent().filter((e) => e.type === type && e.server === server);
const cookies = (extra: Record<string, unknown> = {}) => ({ method: 'cookie', keys: [TEST_KEY], debugHeader: true, firstBurstWindow: '0s', ...extra });

describe('health: passive ejection, backups, drain', () => {
  const failing = new Set<string>();
  const migrations: string[] = [];
  let backends: Backend[];
  function handler(req: IncomingMessage, res: ServerResponse, name: string) {
    req.resume();
    if (req.url === '/health') {
      res.statusCode = failing.has(name) ? 503 : 200;
      return res.end();
    }
    migrations.push(`${name} <- ${req.headers['mooring-migrated-from'] ?? '-'}`);
    res.end(name);
  }
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n, handler)));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  it('a stopped server is ejected after consecutiveFailures and not tried again until reinstated; a repeat ejection lasts twice as long', async () => {
    const doomed = await startBackend('d', handler);
    const { logger, lines } = capturingLogger();
    const passive = { consecutiveFailures: 3, ejectFor: '500ms', maxEjectFor: '10s' };
    const app = await startMooring([doomed, backends[1]!, backends[2]!], { service: { passive }, logger });
    const attempts = () => lines.filter((l) => l['msg'] === 'upstream attempt failed').length;
    try {
      await doomed.close();
      for (let i = 0; i < 30; i++) assert.equal((await get(app.url())).status, 200);
      assert.equal(attempts(), 3, 'three failed attempts, then never tried while ejected');
      assert.equal(events(app, 'ejected', 'd').length, 1);
      assert.match(events(app, 'ejected', 'd')[0]!.reason, /3 connect failures in a row; ejected for 0.5s/);
      await waitFor(() => events(app, 'reinstated', 'd').length === 1, 3000, 'reinstated');
      for (let i = 0; i < 30 && events(app, 'ejected', 'd').length < 2; i++) await get(app.url());
      assert.equal(events(app, 'ejected', 'd').length, 2);
      assert.match(events(app, 'ejected', 'd')[1]!.reason, /ejected for 1s/);
      assert.ok(lines.some((l) => (l['event'] as { type?: string } | undefined)?.type === 'ejected'), 'events are logged');
    } finally {
      await app.stop();
    }
  });

  it('passive: false leaves a failing server in rotation', async () => {
    const doomed = await startBackend('d', handler);
    const { logger, lines } = capturingLogger();
    const app = await startMooring([doomed, backends[1]!, backends[2]!], { service: { passive: false }, logger });
    try {
      await doomed.close();
      for (let i = 0; i < 30; i++) assert.equal((await get(app.url())).status, 200);
      // Round-robin: d's turn fails over to the next server, so every other request tries d again.
      assert.equal(lines.filter((l) => l['msg'] === 'upstream attempt failed').length, 15);
    } finally {
      await app.stop();
    }
  });

  it('a backup serves only while no primary does; its sessions return with reason=failback', async () => {
    failing.clear();
    const servers = [
      { id: 'a', url: backends[0]!.url },
      { id: 'b', url: backends[1]!.url },
      { id: 'c', url: backends[2]!.url, backup: true },
    ];
    const monitor = { path: '/health', interval: '100ms', timeout: '80ms', rise: 1, fall: 1 };
    const app = await startMooring([], { service: { servers, health: monitor, persistence: cookies() } });
    try {
      await waitFor(() => ['a', 'b', 'c'].every((s) => events(app, 'up', s).length === 1), 3000, 'first verdicts');
      for (let i = 0; i < 12; i++) assert.notEqual((await get(app.url())).body, 'c', 'no new session on the backup');
      failing.add('a');
      failing.add('b');
      await waitFor(() => events(app, 'down', 'b').length === 1 && events(app, 'down', 'a').length === 1, 3000, 'primaries down');
      const jar = new CookieJar();
      assert.equal((await jarGet(app.url(), jar)).body, 'c');
      assert.equal((await jarGet(app.url(), jar)).body, 'c');
      failing.delete('a');
      await waitFor(() => events(app, 'up', 'a').length === 2, 3000, 'a back');
      const back = await jarGet(app.url(), jar);
      assert.equal(back.body, 'a');
      assert.equal(back.headers['mooring-decision'], 'failback; server=a');
      assert.equal(migrations.at(-1), 'a <- c; reason=failback');
      assert.equal((await jarGet(app.url(), jar)).headers['mooring-decision'], 'honored; server=a');
    } finally {
      failing.clear();
      await app.stop();
    }
  });

  it('state in config: a draining server takes no new sessions; a disabled one takes nothing', async () => {
    const servers = [
      { id: 'a', url: backends[0]!.url, state: 'draining' },
      { id: 'b', url: backends[1]!.url, state: 'disabled' },
      { id: 'c', url: backends[2]!.url },
    ];
    const app = await startMooring([], { service: { servers } });
    try {
      for (let i = 0; i < 9; i++) assert.equal((await get(app.url())).body, 'c');
    } finally {
      await app.stop();
    }
  });

  it('drain: sessions stay, new clients go elsewhere, health flips keep the drain, drain-complete when the sessions end', async () => {
    failing.clear();
    const monitor = { path: '/health', interval: '100ms', timeout: '80ms', rise: 1, fall: 1 };
    const app = await startMooring(backends, { service: { health: monitor, persistence: cookies({ cookie: { idleTimeout: '3s' } }) } });
    try {
      await waitFor(() => ['a', 'b', 'c'].every((s) => events(app, 'up', s).length === 1), 3000, 'first verdicts');
      const jar = await pinnedTo(app, 'a');
      const health = app.services.get('app')!.current.health;
      health.setAdmin('a', 'draining', 'operator', Date.now());
      for (let i = 0; i < 9; i++) assert.notEqual((await get(app.url())).body, 'a', 'no new session on a draining server');
      failing.add('a');
      await waitFor(() => events(app, 'down', 'a').length === 1, 3000, 'a down');
      failing.delete('a');
      await waitFor(() => events(app, 'up', 'a').length === 2, 3000, 'a up');
      assert.equal(health.admin('a'), 'draining', 'the drain survived the health flip');
      for (let i = 0; i < 3; i++) assert.equal((await jarGet(app.url(), jar)).headers['mooring-decision'], 'honored; server=a');
      assert.equal(events(app, 'drain-complete', 'a').length, 0);
      // The client goes quiet: its session idles out (3 s) and the drain completes.
      await waitFor(() => events(app, 'drain-complete', 'a').length === 1, 7000, 'drain-complete');
    } finally {
      failing.clear();
      await app.stop();
    }
  });

  it('drain with a deadline: the remaining sessions move (reason=drain), then drain-complete', async () => {
    const app = await startMooring(backends, { service: { drainDeadline: '1s', persistence: cookies() } });
    try {
      const jars = [await pinnedTo(app, 'a'), await pinnedTo(app, 'a'), await pinnedTo(app, 'a')];
      app.services.get('app')!.current.health.setAdmin('a', 'draining', 'operator', Date.now());
      for (const jar of jars) assert.equal((await jarGet(app.url(), jar)).body, 'a', 'kept before the deadline');
      await new Promise((r) => setTimeout(r, 1100));
      for (const jar of jars) {
        const moved = await jarGet(app.url(), jar);
        assert.notEqual(moved.body, 'a');
        assert.equal(moved.headers['mooring-decision'], `drained; server=${moved.body}`);
        assert.equal(migrations.at(-1), `${moved.body} <- a; reason=drain`);
      }
      await waitFor(() => events(app, 'drain-complete', 'a').length === 1, 3000, 'drain-complete');
    } finally {
      await app.stop();
    }
  });

  it('disabled moves sessions at once (decision disabled, reason=disabled)', async () => {
    const app = await startMooring(backends, { service: { persistence: cookies() } });
    try {
      const jar = await pinnedTo(app, 'b');
      app.services.get('app')!.current.health.setAdmin('b', 'disabled', 'operator', Date.now());
      const moved = await jarGet(app.url(), jar);
      assert.notEqual(moved.body, 'b');
      assert.equal(moved.headers['mooring-decision'], `disabled; server=${moved.body}`);
      assert.equal(migrations.at(-1), `${moved.body} <- b; reason=disabled`);
    } finally {
      await app.stop();
    }
  });
});
