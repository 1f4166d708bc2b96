// Session capacity and overload: maxSessions is never exceeded while another server has room, and a
// pinned server over maxConnections queues, redispatches or rejects as configured.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { CookieJar, pinnedTo, get, jarGet, startBackend, startMooring, TEST_KEY, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const persistence = (extra: Record<string, unknown>) => ({ method: 'cookie', keys: [TEST_KEY], debugHeader: true, firstBurstWindow: '0s', ...extra });

describe('persistence: capacity and overload', () => {
  let backends: Backend[];
  const migrations: string[] = [];
  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          if (req.headers['mooring-migrated-from']) migrations.push(`${name} <- ${req.headers['mooring-migrated-from']}`);
          const wait = Number(new URL(req.url!, 'http://x').searchParams.get('wait') ?? 0);
          void sleep(wait).then(() => res.end(name));
        }),
      ),
    );
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  const withLimits = (limits: Record<string, number>, extra: Record<string, unknown> = {}) => ({
    service: { servers: backends.map((b) => ({ id: b.name, url: b.url, ...limits })), persistence: persistence(extra) },
  });

  const sessionsOn = (app: App) => {
    const runtime = app.services.get('app')!;
    return runtime.current.servers.map((s) => runtime.sessionsOn(s.id));
  };

  it('maxSessions: new sessions fill every server to its limit and never beyond; then 503 with Retry-After', async () => {
    const app = await startMooring(backends, withLimits({ maxSessions: 2 }, { onOverload: 'reject' }));
    try {
      const jars = Array.from({ length: 6 }, () => new CookieJar());
      // Each client comes back once with its cookie, as browsers do: only then does its session count.
      for (const jar of jars) {
        assert.equal((await jarGet(app.url(), jar)).status, 200);
        assert.equal((await jarGet(app.url(), jar)).status, 200);
      }
      assert.deepEqual(sessionsOn(app), [2, 2, 2]);
      const full = await get(app.url());
      assert.equal(full.status, 503);
      assert.equal(full.headers['mooring-error'], 'MOORING_OVERLOADED');
      assert.ok(Number(full.headers['retry-after']) > 0);
      // Existing sessions carry on.
      for (const jar of jars) assert.equal((await jarGet(app.url(), jar)).status, 200);
      assert.deepEqual(sessionsOn(app), [2, 2, 2]);
    } finally {
      await app.stop();
    }
  });

  it('maxSessions with uneven load: a full server is skipped while another has room, and the admin API says it takes no new session', async () => {
    const token = 'admin-token-for-tests-0123456789';
    const app = await startMooring(backends, {
      service: {
        servers: backends.map((b, i) => ({ id: b.name, url: b.url, maxSessions: i === 0 ? 1 : 100 })),
        persistence: persistence({}),
      },
      top: { admin: { address: '127.0.0.1:0', token } },
    });
    try {
      for (let i = 0; i < 12; i++) {
        const jar = new CookieJar();
        await jarGet(app.url(), jar);
        await jarGet(app.url(), jar);
      }
      const [a, b, c] = sessionsOn(app);
      assert.equal(a, 1);
      assert.equal(b! + c!, 11);
      const listed = JSON.parse((await get(`http://127.0.0.1:${app.admin!.port}/api/v1/servers`, { authorization: `Bearer ${token}` })).body) as { servers: { id: string; acceptsNewSessions: boolean }[] };
      assert.deepEqual(
        listed.servers.map((s) => [s.id, s.acceptsNewSessions]),
        [['a', false], ['b', true], ['c', true]],
        'a is full at its maxSessions',
      );
    } finally {
      await app.stop();
    }
  });

  /** Occupies server a's only slot with a slow request; resolves when it is in flight. */
  async function occupy(app: App, jar: CookieJar, ms: number) {
    const slow = request(`${app.url()}/?wait=${ms}`, { headers: jar.header() }).then(async (r) => r.body.text());
    await waitFor(() => app.services.get('app')!.current.servers[0]!.load.inflight === 1, 5000, 'the slow request');
    return slow;
  }

  it('onOverload: redispatch moves the pinned client, says so upstream, and re-pins it', async () => {
    const app = await startMooring(backends, withLimits({ maxConnections: 1 }, { onOverload: 'redispatch' }));
    try {
      const jar = await pinnedTo(app, 'a');
      const slow = occupy(app, jar, 400);
      const moved = await jarGet(app.url(), jar);
      assert.notEqual(moved.body, 'a');
      assert.equal(moved.headers['mooring-decision'], `overloaded; server=${moved.body}`);
      assert.equal(migrations.at(-1), `${moved.body} <- a; reason=overload`);
      assert.equal(await slow, 'a');
      assert.equal((await jarGet(app.url(), jar)).body, moved.body, 're-pinned to its new server');
    } finally {
      await app.stop();
    }
  });

  it('onOverload: queue waits for the pinned server to have room', async () => {
    const app = await startMooring(backends, withLimits({ maxConnections: 1 }, { onOverload: 'queue' }));
    try {
      const jar = await pinnedTo(app, 'a');
      const slow = occupy(app, jar, 300);
      const queued = await jarGet(app.url(), jar);
      assert.equal(queued.body, 'a');
      assert.equal(queued.headers['mooring-decision'], 'overloaded; server=a');
      assert.equal(await slow, 'a');
    } finally {
      await app.stop();
    }
  });

  it('onOverload: queue gives up after timeouts.queue with 503', async () => {
    const app = await startMooring(backends, { ...withLimits({ maxConnections: 1 }, { onOverload: 'queue' }), top: { timeouts: { queue: '150ms' } } });
    try {
      const jar = await pinnedTo(app, 'a');
      const slow = occupy(app, jar, 1000);
      const res = await jarGet(app.url(), jar);
      assert.equal(res.status, 503);
      assert.equal(res.headers['mooring-error'], 'MOORING_QUEUE_TIMEOUT');
      assert.equal(await slow, 'a');
    } finally {
      await app.stop();
    }
  });

  it('onOverload: reject answers 503 with Retry-After, saying that the session\'s own server is busy (the others are not)', async () => {
    const app = await startMooring(backends, withLimits({ maxConnections: 1 }, { onOverload: 'reject' }));
    try {
      const jar = await pinnedTo(app, 'a');
      const slow = occupy(app, jar, 300);
      const res = await jarGet(app.url(), jar);
      assert.equal(res.status, 503);
      assert.equal(res.headers['mooring-error'], 'MOORING_SESSION_SERVER_BUSY');
      assert.match(res.body, /The server holding this session is busy/);
      assert.ok(res.headers['retry-after']);
      assert.equal((await get(app.url())).status, 200, 'a new client is answered by a server with room');
      assert.equal(await slow, 'a');
      assert.equal((await jarGet(app.url(), jar)).body, 'a', 'still pinned once there is room');
    } finally {
      await app.stop();
    }
  });
});
