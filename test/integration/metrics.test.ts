// /metrics on the admin listener: a valid exposition (read by a strict parser), counts that
// match the traffic sent, states read at scrape time, every name documented in docs/metrics.md,
// and no client address, path or cookie value in any label.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { App } from '../../src/app.ts';
import { CookieJar, get, jarGet, startBackend, startMooring, TEST_KEY, type Backend } from '../helpers.ts';
import { version } from '../../src/version.ts';
import { parsePrometheusText, sampleValue, type Family } from '../prometheus-text.ts';

const TOKEN = 'metrics-test-token-0123456789';

describe('/metrics', () => {
  let backends: Backend[];
  let app: App;
  let base: string;

  const scrape = async (headers: Record<string, string> = {}) => {
    const res = await request(`${base}/metrics`, { headers, headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
  };
  const families = async (): Promise<Map<string, Family>> => parsePrometheusText((await scrape()).text);

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startBackend(n, (req, res, name) => void res.writeHead(req.url?.startsWith('/missing') ? 404 : 200).end(name))));
    app = await startMooring(backends, {
      service: { persistence: { method: 'cookie', keys: [TEST_KEY], debugHeader: true } },
      top: { admin: { address: '127.0.0.1:0', token: TOKEN, metricsToken: false } },
    });
    base = `http://127.0.0.1:${app.admin!.port}`;
  });
  after(async () => {
    await app?.stop(1000);
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('lets a scraper in without the token when metricsToken is false, and keeps the API closed', async () => {
    const r = await scrape();
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    const api = await request(`${base}/api/v1/status`, { headersTimeout: 5000 });
    await api.body.dump();
    assert.equal(api.statusCode, 401);
  });

  it('counts requests by server and status class, and persistence decisions, as sent', async () => {
    const served = new Map<string, number>();
    const jars = Array.from({ length: 4 }, () => new CookieJar());
    for (const jar of jars) jar.cookies.set('app_session', 'cookie-value-do-not-export');
    const secrets = { 'x-forwarded-for': '203.0.113.77' };
    for (let i = 0; i < 20; i++) {
      const r = await jarGet(`${app.url()}/private/path-do-not-export?q=query-do-not-export`, jars[i % 4]!, secrets);
      served.set(r.body, (served.get(r.body) ?? 0) + 1);
    }
    const missing = await jarGet(`${app.url()}/missing`, jars[0]!);
    const f = await families();
    for (const server of ['a', 'b']) {
      const extra = missing.body === server ? 1 : 0;
      assert.equal(sampleValue(f, 'mooring_requests_total', { service: 'app', server, class: '2xx' }) ?? 0, served.get(server) ?? 0, `2xx on ${server}`);
      assert.equal(sampleValue(f, 'mooring_requests_total', { service: 'app', server, class: '4xx' }) ?? 0, extra, `4xx on ${server}`);
      const count = sampleValue(f, 'mooring_request_duration_seconds_count', { service: 'app', server }) ?? 0;
      assert.equal(count, (served.get(server) ?? 0) + extra);
    }
    // Four fresh clients got a new session each; every later request honoured its cookie.
    assert.equal(sampleValue(f, 'mooring_persistence_decisions_total', { service: 'app', decision: 'new' }), 4);
    assert.equal(sampleValue(f, 'mooring_persistence_decisions_total', { service: 'app', decision: 'honored' }), 17);
    assert.equal(sampleValue(f, 'mooring_sessions', { service: 'app', server: 'a' })! + sampleValue(f, 'mooring_sessions', { service: 'app', server: 'b' })!, 4);
    const text = (await scrape()).text;
    for (const secret of ['127.0.0.1', '203.0.113.77', 'path-do-not-export', 'query-do-not-export', 'cookie-value-do-not-export', '/missing', TOKEN]) {
      assert.ok(!text.includes(secret), `${secret} appears in /metrics`);
    }
  });

  it('reads states when scraped: health, admin state, data center, in flight', async () => {
    app.services.get('app')!.current.health.setAdmin('b', 'draining', 'test', Date.now());
    const f = await families();
    assert.equal(sampleValue(f, 'mooring_server_admin_state', { server: 'b', state: 'draining' }), 1);
    assert.equal(sampleValue(f, 'mooring_server_admin_state', { server: 'b', state: 'enabled' }), 0);
    assert.equal(sampleValue(f, 'mooring_server_admin_state', { server: 'a', state: 'enabled' }), 1);
    assert.equal(sampleValue(f, 'mooring_server_health', { server: 'a', state: 'unknown' }), 1);
    assert.equal(sampleValue(f, 'mooring_datacenter_up', { service: 'app', datacenter: 'default' }), 1);
    assert.equal(sampleValue(f, 'mooring_requests_in_flight', { server: 'a' }), 0);
    app.services.get('app')!.current.health.setAdmin('b', 'enabled', 'test', Date.now());
  });

  it('counts reloads, applied and refused, and says when the last one was and whether it applied', async () => {
    const before = sampleValue(await families(), 'mooring_reloads_total', { result: 'applied' }) ?? 0;
    const asked = Date.now() / 1000;
    await app.reload(app.config);
    const f = await families();
    assert.equal(sampleValue(f, 'mooring_reloads_total', { result: 'applied' }), before + 1);
    assert.equal(sampleValue(f, 'mooring_last_reload_applied', {}), 1);
    assert.ok(Math.abs(sampleValue(f, 'mooring_last_reload_timestamp_seconds', {})! - asked) < 5);
  });

  it('names process metrics as stock dashboards expect, no gauge *_total, the build, and bytes per server', async () => {
    for (let i = 0; i < 4; i++) await get(app.url());
    const f = await families();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) assert.ok(f.has(name), `${name} exported`);
    assert.deepEqual([...f.values()].filter((m) => m.type === 'gauge' && m.name.endsWith('_total')).map((m) => m.name), []);
    assert.equal(sampleValue(f, 'mooring_build_info', { version: version(), node: process.version }), 1);
    // The GETs' keep-alive connection is still open.
    assert.ok((sampleValue(f, 'mooring_listener_connections', { listener: 'web' }) ?? 0) >= 1);
    const sent = (server: string) => sampleValue(f, 'mooring_server_sent_bytes_total', { service: 'app', server }) ?? 0;
    assert.ok(sent('a') + sent('b') >= 4, 'the answers\' body bytes (the servers answer their name) are counted per server');
  });

  it('exports exactly the names docs/metrics.md lists', async () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(mooring_[a-z_]+)`/gm)].map((m) => m[1]!));
    // Node's own process metrics (prom-client's defaults) are documented as a group.
    const exported = [...(await families()).keys()].filter((n) => n.startsWith('mooring_'));
    assert.deepEqual([...documented].sort(), exported.sort());
  });
});

describe('the exposition reader used above', () => {
  it('refuses what a Prometheus server would refuse', () => {
    const bad = [
      'mooring_x 1\n', // no TYPE: a sample of no declared family
      '# TYPE mooring_x counter\nmooring_x{a="b} 1\n',
      '# TYPE mooring_x counter\nmooring_x{a="\\q"} 1\n',
      '# TYPE mooring_x counter\nmooring_x one\n',
      '# TYPE mooring_h histogram\nmooring_h_bucket{le="1"} 2\nmooring_h_bucket{le="+Inf"} 1\nmooring_h_count 1\nmooring_h_sum 0\n',
      '# TYPE mooring_x counter\nmooring_x 1',
    ];
    for (const text of bad) assert.throws(() => parsePrometheusText(text), Error, JSON.stringify(text));
    assert.equal(sampleValue(parsePrometheusText('# TYPE mooring_x counter\nmooring_x{a="q\\"\\n"} 3\n'), 'mooring_x', { a: 'q"\n' }), 3);
  });
});
