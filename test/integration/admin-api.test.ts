// The admin API over real sockets: the token on every route but /healthz, a foreign Host and
// cross-origin writes refused, drains and weights set through it seen by traffic, sessions listed
// and ended, cookies explained, reload through it, and the event stream.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { capturingLogger, CookieJar, jarGet, pinnedTo, rawExchange, startBackend, TEST_KEY, waitFor, type Backend } from '../helpers.ts';

const TOKEN = 'admin-token-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Call {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('admin API', () => {
  let backends: Backend[];
  let app: App;
  let base: string;
  let file: string;
  let healthy = true;
  const { logger, lines } = capturingLogger();

  const yaml = (servers: string[]) =>
    [
      'listeners: [{ name: web, address: "127.0.0.1:0", service: app }]',
      'admin: { address: "127.0.0.1:0", token: "${ADMIN_TOKEN_UNDER_TEST}" }',
      'services:',
      '  - name: app',
      '    balance: { algorithm: weighted-round-robin }',
      '    persistence: { method: cookie, keys: ["' + TEST_KEY + '"], debugHeader: true }',
      '    servers:',
      ...servers.map((id) => {
        const url = backends.find((b) => b.name === id)!.url;
        return id === 'c' ? `      - { id: c, url: "${url}", health: { path: /health, interval: 200ms, timeout: 150ms, rise: 1, fall: 1 } }` : `      - { id: ${id}, url: "${url}" }`;
      }),
      '',
    ].join('\n');

  const call = async (method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Call> => {
    const res = await request(base + path, { method: method as 'GET', headers: opts.headers ?? {}, body: opts.body, headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const json = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await call(method, path, { headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: r.status, body: JSON.parse(r.body) as Record<string, any> };
  };

  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        startBackend(n, (req, res, name) => {
          if (req.url === '/health') return void res.writeHead(healthy ? 200 : 503).end();
          res.end(name);
        }),
      ),
    );
    process.env['ADMIN_TOKEN_UNDER_TEST'] = TOKEN;
    file = join(mkdtempSync(join(tmpdir(), 'mooring-admin-')), 'mooring.yaml');
    writeFileSync(file, yaml(['a', 'b', 'c']));
    app = await App.start(loadConfigFile(file), { logger, configFile: file });
    base = `http://127.0.0.1:${app.admin!.port}`;
    await waitFor(() => app.services.get('app')!.current.health.health('c') === 'up', 5000, 'c up');
  });
  after(async () => {
    await app?.stop(1000);
    await Promise.all((backends ?? []).map((b) => b.close()));
    delete process.env['ADMIN_TOKEN_UNDER_TEST'];
  });

  it('answers /healthz without a token and every other route only with it', async () => {
    assert.equal((await call('GET', '/healthz')).status, 200);
    const routes: [string, string][] = [
      ['GET', '/api/v1/status'],
      ['GET', '/api/v1/services'],
      ['GET', '/api/v1/datacenters'],
      ['GET', '/api/v1/servers'],
      ['PATCH', '/api/v1/servers/a'],
      ['GET', '/api/v1/sessions?server=a'],
      ['DELETE', '/api/v1/sessions/nothing'],
      ['GET', '/api/v1/explain?cookie=x'],
      ['POST', '/api/v1/reload'],
      ['GET', '/api/v1/events'],
      ['GET', '/metrics'],
      ['GET', '/api/v1/no-such-route'],
    ];
    for (const [method, path] of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-wrong-token-0000' }, { authorization: TOKEN }]) {
        const r = await call(method, path, { headers });
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
        assert.match(String(r.headers['www-authenticate']), /^Bearer/);
        assert.equal(JSON.parse(r.body).error.code, 'UNAUTHORIZED');
      }
    }
    // With the token: each read route answers.
    for (const path of ['/api/v1/status', '/api/v1/services', '/api/v1/datacenters', '/api/v1/servers', '/api/v1/sessions?server=a', '/metrics']) {
      assert.equal((await call('GET', path, { headers: AUTH })).status, 200, path);
    }
    const missing = await json('GET', '/api/v1/no-such-route');
    assert.equal(missing.status, 404);
    assert.equal((await json('POST', '/api/v1/servers')).status, 405);
  });

  it('refuses a foreign Host (DNS rebinding) even with the token', async () => {
    const port = app.admin!.port;
    const ok = await rawExchange(port, `GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    assert.match(ok, /^HTTP\/1\.1 200/);
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '']) {
      const refused = await rawExchange(port, `GET /api/v1/status HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
      assert.match(refused, /^HTTP\/1\.1 403/, `Host ${host}`);
      assert.match(refused, /FOREIGN_HOST/);
    }
    const healthz = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    assert.match(healthz, /^HTTP\/1\.1 403/);
  });

  it('refuses writes from another origin, takes them from its own', async () => {
    const port = app.admin!.port;
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null']) {
      const r = await json('PATCH', '/api/v1/servers/a', { state: 'enabled' }, { origin });
      assert.equal(r.status, 403, origin);
      assert.equal(r.body['error'].code, 'CROSS_ORIGIN');
    }
    const own = await json('PATCH', '/api/v1/servers/a', { state: 'enabled' }, { origin: `http://127.0.0.1:${port}` });
    assert.equal(own.status, 200);
    const form = await call('PATCH', '/api/v1/servers/a', { headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: 'state=disabled' });
    assert.equal(form.status, 415);
    assert.equal(app.services.get('app')!.current.health.admin('a'), 'enabled');
  });

  it('explains bad input to PATCH with the field and what was expected', async () => {
    const cases: [unknown, RegExp][] = [
      [{ state: 'paused' }, /state: expected one of enabled, draining, disabled, got "paused"/],
      [{ weight: 0 }, /weight: expected a whole number from 1 to 10000, got 0/],
      [{ weight: 'heavy' }, /weight: expected a whole number/],
      [{ colour: 'red' }, /unknown field colour/],
      [{}, /expected "state" and\/or "weight"/],
      [[1], /expected a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await json('PATCH', '/api/v1/servers/a', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body['error'].message, message);
    }
    const broken = await call('PATCH', '/api/v1/servers/a', { headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"state":' });
    assert.equal(broken.status, 400);
    assert.equal(JSON.parse(broken.body).error.code, 'BAD_JSON');
    assert.equal((await json('PATCH', '/api/v1/servers/zz', { state: 'enabled' })).status, 404);
  });

  it('drains a server: its sessions stay, new sessions go elsewhere, and the API shows the drain', async () => {
    const jar = await pinnedTo(app, 'b');
    const r = await json('PATCH', '/api/v1/servers/b', { state: 'draining' });
    assert.equal(r.status, 200);
    assert.equal(r.body['state'], 'draining');
    assert.equal(r.body['drain'].remaining >= 1, true);
    for (let i = 0; i < 5; i++) assert.equal((await jarGet(app.url(), jar)).body, 'b');
    for (let i = 0; i < 12; i++) assert.notEqual((await jarGet(app.url(), new CookieJar())).body, 'b');
    const servers = (await json('GET', '/api/v1/servers')).body['servers'] as Record<string, any>[];
    const b = servers.find((s) => s['id'] === 'b')!;
    assert.equal(b['state'], 'draining');
    assert.equal(b['acceptsNewSessions'], false);
    assert.ok(b['sessions'] >= 1);
    assert.ok(b['requestsPerSecond'] > 0);
    assert.equal(typeof b['p50Ms'], 'number');
    assert.equal((await json('PATCH', '/api/v1/servers/b', { state: 'enabled' })).status, 200);
  });

  it('sets a weight the balancer uses at once', async () => {
    assert.equal((await json('PATCH', '/api/v1/servers/a', { weight: 8 })).body['weight'], 8);
    const counts = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const { body } = await jarGet(app.url(), new CookieJar());
      counts.set(body, (counts.get(body) ?? 0) + 1);
    }
    // Weights 8:1:1 → a takes 40 of 50 with weighted round-robin.
    assert.ok((counts.get('a') ?? 0) >= 35, JSON.stringify([...counts]));
    await json('PATCH', '/api/v1/servers/a', { weight: 1 });
  });

  it('lists sessions, explains a cookie, and ends a session so its client is placed anew', async () => {
    const jar = await pinnedTo(app, 'a');
    const value = jar.cookies.get('mooring')!;
    const explained = await json('GET', `/api/v1/explain?cookie=${encodeURIComponent(value)}`);
    const [info] = explained.body['cookie'] as Record<string, any>[];
    assert.equal(info!['valid'], true);
    assert.equal(info!['server'], 'a');
    const session = info!['session'] as string;
    const listed = await json('GET', '/api/v1/sessions?server=a&limit=1000');
    const [svc] = listed.body['services'] as Record<string, any>[];
    assert.ok(svc!['count'] >= 1);
    assert.ok((svc!['sample'] as { key: string }[]).some((s) => s.key === session));
    const ended = await json('DELETE', `/api/v1/sessions/${encodeURIComponent(session)}`);
    assert.equal(ended.status, 200);
    const after = await json('GET', `/api/v1/explain?cookie=${encodeURIComponent(value)}`);
    assert.equal((after.body['cookie'] as Record<string, any>[])[0]!['valid'], false);
    assert.match((after.body['cookie'] as Record<string, any>[])[0]!['why'], /ended/);
    const next = await jarGet(app.url(), jar);
    assert.match(String(next.headers['mooring-decision']), /^ended;/);
    assert.notEqual(jar.cookies.get('mooring'), value, 'a new cookie was issued');
    assert.match(String((await jarGet(app.url(), jar)).headers['mooring-decision']), /^honored;/);
    assert.equal((await json('DELETE', `/api/v1/sessions/${encodeURIComponent(session)}`)).status, 404);
    const garbage = await json('GET', '/api/v1/explain?cookie=not-a-cookie');
    assert.equal((garbage.body['cookie'] as Record<string, any>[])[0]!['valid'], false);
  });

  it('streams events: a monitor taking a server down arrives as a health event', async () => {
    const controller = new AbortController();
    const res = await request(`${base}/api/v1/events`, { headers: AUTH, signal: controller.signal, headersTimeout: 5000 });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    let text = '';
    const seen = (async () => {
      for await (const chunk of res.body) {
        text += String(chunk);
        if (/event: down\ndata: .*"server":"c"/.test(text)) return true;
      }
      return false;
    })().catch(() => false);
    healthy = false;
    const timer = setTimeout(() => controller.abort(), 5000);
    const found = await seen;
    clearTimeout(timer);
    controller.abort();
    healthy = true;
    assert.ok(found, `no down event for c in: ${text.slice(0, 2000)}`);
    await waitFor(() => app.services.get('app')!.current.health.health('c') === 'up', 5000, 'c up again');
  });

  it('reloads the file on POST /api/v1/reload, and refuses an invalid one with its errors', async () => {
    const onC = (await pinnedTo(app, 'c')).cookies.get('mooring')!;
    writeFileSync(file, yaml(['a', 'b']));
    const applied = await json('POST', '/api/v1/reload');
    assert.equal(applied.status, 200);
    assert.equal(applied.body['applied'], true);
    assert.deepEqual(app.services.get('app')!.current.servers.map((s) => s.id), ['a', 'b']);
    // Explaining a cookie follows the reload: its server is gone now.
    const [explained] = (await json('GET', `/api/v1/explain?cookie=${encodeURIComponent(onC)}`)).body['cookie'] as Record<string, any>[];
    assert.equal(explained!['valid'], false);
    assert.match(explained!['why'], /server c is no longer configured/);
    writeFileSync(file, yaml(['a', 'b']).replace('servers:', 'serverz:'));
    const refused = await json('POST', '/api/v1/reload');
    assert.equal(refused.status, 422);
    assert.equal(refused.body['applied'], false);
    assert.match((refused.body['errors'] as string[]).join('\n'), /serverz/);
    assert.deepEqual(app.services.get('app')!.current.servers.map((s) => s.id), ['a', 'b']);
    const status = await json('GET', '/api/v1/status');
    assert.equal(status.body['lastReload'].applied, false);
    writeFileSync(file, yaml(['a', 'b', 'c']));
    const back = await json('POST', '/api/v1/reload');
    assert.equal(back.status, 200);
    assert.deepEqual(back.body['changes'], ['services[app].servers: added c'], 'the answer lists what changed');
    const same = await json('POST', '/api/v1/reload');
    assert.deepEqual(same.body['changes'], [], 'and nothing when nothing did');
    const event = app.events.recent().filter((e) => e.type === 'reload').at(-1)!;
    assert.equal(event.reason, 'no change');
  });

  it('never writes the token to the log', () => {
    assert.ok(lines.length > 0);
    assert.ok(!JSON.stringify(lines).includes(TOKEN));
  });
});
