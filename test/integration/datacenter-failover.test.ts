// Failover to a standby data center and back, over real sockets: the standby's kickstart URL is
// called exactly once with the right Basic credentials (a test server checks them), 503 with
// Retry-After until the standby is UP, failback only once the primary has been UP for
// failbackAfter without a break (a flapping primary waits), manual failback through the admin API,
// and the password in no log line or event.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { parseConfigObject } from '../../src/config/load.ts';
import type { AdminState } from '../../src/health/table.ts';
import { capturingLogger, CookieJar, get, jarGet, startBackend, waitFor, type Backend } from '../helpers.ts';

const PASSWORD = 'kick-password-under-test';
const TOKEN = 'failover-admin-token-0123456789';

describe('failover to a standby data center', () => {
  let backends: Backend[];
  let kicker: Server;
  let kickUrl: string;
  const kicks: IncomingMessage[] = [];
  /** The standby's server answers its health checks only once kickstarted. */
  let awake = false;

  before(async () => {
    backends = await Promise.all(
      ['p1', 'p2', 'd1'].map((id) =>
        startBackend(id, (req, res, name) => {
          req.resume();
          if (req.url === '/health') return void res.writeHead(name !== 'd1' || awake ? 200 : 503).end();
          res.end(name);
        }),
      ),
    );
    kicker = createServer((req, res) => {
      kicks.push(req);
      req.resume();
      const ok = req.headers.authorization === `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}`;
      if (ok) setTimeout(() => (awake = true), 300);
      res.writeHead(ok ? 202 : 401).end();
    });
    await new Promise<void>((r) => kicker.listen(0, '127.0.0.1', r));
    kickUrl = `http://127.0.0.1:${(kicker.address() as AddressInfo).port}/wake`;
    process.env['KICK_PASSWORD_UNDER_TEST'] = PASSWORD;
  });
  after(async () => {
    await Promise.all((backends ?? []).map((b) => b.close()));
    kicker.close();
    delete process.env['KICK_PASSWORD_UNDER_TEST'];
  });

  const start = (gslb: Record<string, unknown>, logger = capturingLogger().logger) => {
    const url = (id: string) => backends.find((b) => b.name === id)!.url;
    return App.start(
      parseConfigObject({
        listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
        admin: { address: '127.0.0.1:0', token: TOKEN },
        services: [
          {
            name: 'app',
            persistence: { method: 'cookie', keys: ['failover-test-key-0123456789abcdef'], debugHeader: true },
            gslb: { mode: 'failover', ...gslb },
            datacenters: [
              { name: 'primary', minServersUp: 2, servers: [{ id: 'p1', url: url('p1') }, { id: 'p2', url: url('p2') }] },
              {
                name: 'standby',
                standby: true,
                kickstart: { url: kickUrl, method: 'POST', username: 'ops', password: '${KICK_PASSWORD_UNDER_TEST}', timeout: '1s', retries: 2 },
                servers: [{ id: 'd1', url: url('d1'), health: { path: '/health', interval: '100ms', timeout: '100ms', rise: 1, fall: 1 } }],
              },
            ],
          },
        ],
      }),
      { logger },
    );
  };
  const setAdmin = (app: App, id: string, state: AdminState) => app.services.get('app')!.current.health.setAdmin(id, state, 'test', Date.now());
  const served = async (app: App) => (await get(app.url())).body;

  it('kickstarts the standby once, answers 503 + Retry-After until it is UP, then fails back only after failbackAfter without a break', async () => {
    awake = false;
    kicks.length = 0;
    const { logger, lines } = capturingLogger();
    const app = await start({ failbackAfter: '1500ms' }, logger);
    try {
      await waitFor(() => app.services.get('app')!.current.health.health('d1') === 'down', 3000, 'the sleeping standby seen down');
      assert.match(await served(app), /^p[12]$/);
      setAdmin(app, 'p2', 'draining'); // primary below minServersUp: failover
      const refused = await get(app.url());
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '5');
      await waitFor(() => kicks.length === 1, 3000, 'the kickstart call');
      assert.equal(kicks[0]!.method, 'POST');
      assert.equal(kicks[0]!.url, '/wake');
      await waitFor(() => app.services.get('app')!.current.health.health('d1') === 'up', 3000, 'the standby UP');
      assert.equal(await served(app), 'd1');
      // The primary flaps: UP, down again, UP. New sessions stay on the standby meanwhile.
      setAdmin(app, 'p2', 'enabled');
      await new Promise((r) => setTimeout(r, 500));
      setAdmin(app, 'p2', 'draining');
      await new Promise((r) => setTimeout(r, 200));
      setAdmin(app, 'p2', 'enabled');
      const stableFrom = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await served(app), 'd1', 'not failed back before failbackAfter of stable UP');
      await waitFor(() => app.services.get('app')!.current.order()[0]?.name === 'primary', 3000, 'the failback');
      assert.ok(Date.now() - stableFrom >= 1500, `failed back ${Date.now() - stableFrom} ms after the primary became stable`);
      assert.match(await served(app), /^p[12]$/);
      assert.equal(kicks.length, 1, 'one kickstart per failover');
      const types = app.events.recent().map((e) => e.type);
      for (const t of ['failover', 'kickstart', 'failback-waiting', 'failback']) assert.ok(types.includes(t as never), `${t} in ${types.join(' ')}`);
      assert.ok(!JSON.stringify(lines).includes(PASSWORD), 'the password is in the log');
      assert.ok(!JSON.stringify(app.events.recent()).includes(PASSWORD), 'the password is in an event');
    } finally {
      await app.stop(1000);
    }
  });

  it('failbackSessions: move brings standby sessions back with reason=failback; stay (the default) keeps them', async () => {
    awake = true;
    for (const failbackSessions of ['move', 'stay'] as const) {
      const app = await start({ failbackAfter: '0s', failbackSessions });
      try {
        setAdmin(app, 'p2', 'draining');
        await waitFor(() => app.services.get('app')!.current.health.health('d1') === 'up', 3000, 'the standby UP');
        const jar = new CookieJar();
        assert.equal((await jarGet(app.url(), jar)).body, 'd1');
        setAdmin(app, 'p2', 'enabled');
        await waitFor(() => app.services.get('app')!.current.order()[0]?.name === 'primary', 3000, 'the failback');
        const next = await jarGet(app.url(), jar);
        if (failbackSessions === 'move') {
          assert.match(next.body, /^p[12]$/);
          assert.match(String(next.headers['mooring-decision']), /^failback; /);
        } else {
          assert.equal(next.body, 'd1');
        }
      } finally {
        await app.stop(1000);
      }
    }
  });

  it('failback: manual waits for an operator, through POST /api/v1/datacenters/{name}/failback', async () => {
    awake = true;
    const app = await start({ failback: 'manual', failbackAfter: '0s' });
    const admin = async (path: string) => {
      const res = await request(`http://127.0.0.1:${app.admin!.port}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, headersTimeout: 5000 });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    try {
      setAdmin(app, 'p2', 'draining');
      await waitFor(() => app.services.get('app')!.current.health.health('d1') === 'up', 3000, 'the standby UP');
      assert.equal(await served(app), 'd1');
      assert.equal((await admin('/api/v1/datacenters/primary/failback')).status, 409, 'the primary is not UP yet');
      setAdmin(app, 'p2', 'enabled');
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(await served(app), 'd1', 'manual: no failback by itself');
      const listed = await request(`http://127.0.0.1:${app.admin!.port}/api/v1/datacenters`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const primary = ((await listed.body.json()) as { datacenters: Record<string, unknown>[] }).datacenters.find((d) => d['name'] === 'primary')!;
      assert.equal(primary['serving'], false);
      assert.equal(typeof primary['waitingForFailbackSince'], 'string');
      assert.equal(primary['failbackAt'], null, 'manual: no failback time');
      const metrics = async () => {
        const res = await request(`http://127.0.0.1:${app.admin!.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, headersTimeout: 5000 });
        return res.body.text();
      };
      const before = await metrics();
      assert.match(before, /^mooring_failovers_total\{service="app",kind="failover"\} 1$/m, 'one failover, counted once');
      assert.doesNotMatch(before, /kind="failback"/, 'no failback counted before one happens');
      assert.match(before, /^mooring_datacenter_serving\{service="app",datacenter="standby"\} 1$/m);
      assert.match(before, /^mooring_datacenter_serving\{service="app",datacenter="primary"\} 0$/m);
      assert.match(before, /^mooring_datacenter_up\{service="app",datacenter="primary"\} 1$/m, 'UP, yet not serving: waiting for its failback');
      const done = await admin('/api/v1/datacenters/primary/failback');
      assert.equal(done.status, 200);
      assert.match(await served(app), /^p[12]$/);
      const after = await metrics();
      assert.match(after, /^mooring_failovers_total\{service="app",kind="failback"\} 1$/m);
      assert.match(after, /^mooring_failovers_total\{service="app",kind="failover"\} 1$/m);
      assert.match(after, /^mooring_datacenter_serving\{service="app",datacenter="primary"\} 1$/m);
      assert.equal((await admin('/api/v1/datacenters/nowhere/failback')).status, 404);
    } finally {
      await app.stop(1000);
    }
  });
});
