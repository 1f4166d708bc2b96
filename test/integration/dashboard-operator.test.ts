// The dashboard's server view as an operator uses it, in a real headless Chromium 800 px wide: a
// service with a server down reads degraded, each server shows its last check (result, duration,
// age), how long it has been in its health state, body bytes each way and requests queued for it;
// a weight is changed and a session ended from the page; the actions stay reachable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { get, jarGet, pinnedTo, startBackend, TEST_KEY, type Backend } from '../helpers.ts';
import { parsePrometheusText, sampleValue } from '../prometheus-text.ts';

const TOKEN = 'dashboard-operator-token-0123456789';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

interface ServerJson {
  readonly id: string;
  readonly weight: number;
  readonly sessions: number;
  readonly state: string;
}

describe('dashboard: the operator\'s server view, 800 px wide', () => {
  let backends: Backend[];
  let app: App;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const servers = async (): Promise<ServerJson[]> => {
    const res = await request(`http://127.0.0.1:${app.admin!.port}/api/v1/servers`, { headers: { authorization: `Bearer ${TOKEN}` }, headersTimeout: 5000 });
    return ((await res.body.json()) as { servers: ServerJson[] }).servers;
  };
  const row = (id: string) => page.locator(`#servers tr[data-server="${id}"]`);

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    backends = await Promise.all(
      ['a', 'b', 'down'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          if (req.url === '/health') return void res.writeHead(name === 'down' ? 503 : 200).end();
          // The slow answer is 20 KB: body bytes the page shows per second.
          if (req.url === '/slow') setTimeout(() => res.end(name.repeat(20_000)), 3500);
          else res.end(name);
        }),
      ),
    );
    try {
      app = await App.start(
        parseConfigObject({
          listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'shop' }],
          admin: { address: '127.0.0.1:0', token: TOKEN },
          services: [
            {
              name: 'shop',
              persistence: { method: 'cookie', keys: [TEST_KEY], onOverload: 'queue' },
              health: { path: '/health', interval: '500ms', timeout: '400ms', fall: 1, rise: 1 },
              servers: backends.map((b) => ({ id: b.name, url: b.url, ...(b.name === 'a' ? { maxConnections: 1 } : {}) })),
            },
          ],
        }),
        { logger: silentLogger },
      );
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30_000 });
      page = await browser.newPage({ viewport: { width: 800, height: 900 } });
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
    } catch (err) {
      await app?.stop(0);
      await Promise.all(backends.map((b) => b.close()));
      throw err;
    }
  });
  after(async () => {
    await browser?.close();
    await app?.stop(1000);
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('shows a degraded service, checks, time in state, bytes and a queue', async () => {
    await page.goto(`http://127.0.0.1:${app.admin!.port}/#token=${TOKEN}`);
    await row('down').locator('.pill', { hasText: 'down' }).waitFor();
    await page.locator('#services tr[data-service="shop"] .pill', { hasText: 'degraded' }).waitFor();
    await row('a').locator('td.check', { hasText: /^passed · [\d.]+ ms · \d+ s ago$/ }).waitFor();
    await row('down').locator('td.check.failed', { hasText: /^failed · / }).waitFor();
    assert.match(String(await row('down').locator('td.check').getAttribute('title')), /^http GET \/health: .*503/);
    assert.match(await row('a').locator('.since').innerText(), /^ for \d+ s$/);
    // The same checks, timed, in the metrics.
    const families = parsePrometheusText((await get(`http://127.0.0.1:${app.admin!.port}/metrics`, { authorization: `Bearer ${TOKEN}` })).body);
    const count = (server: string, result: string) => sampleValue(families, 'mooring_health_check_duration_seconds_count', { service: 'shop', server, result }) ?? 0;
    assert.ok(count('a', 'ok') >= 1 && count('down', 'failed') >= 1, 'checks counted by result');
    assert.equal(count('down', 'ok'), 0);
    const fast = sampleValue(families, 'mooring_health_check_duration_seconds_bucket', { service: 'shop', server: 'a', result: 'ok', le: '0.25' });
    assert.equal(fast, count('a', 'ok'), 'every check of a local server took under 250 ms');

    // Two clients pinned to a (maxConnections 1): one holds it with a slow request, the other queues.
    const first = await pinnedTo(app, 'a', 30);
    const second = await pinnedTo(app, 'a', 30);
    const slow = request(`${app.url()}/slow`, { headers: first.header() }).then((r) => r.body.text());
    await new Promise((r) => setTimeout(r, 200));
    const queued = jarGet(app.url(), second);
    await row('a').locator('td', { hasText: /^1$/ }).nth(1).waitFor();
    const cells = await row('a').locator('td').allInnerTexts();
    assert.deepEqual([cells[6], cells[7]], ['1', '1'], `in flight 1, queued 1: ${JSON.stringify(cells)}`);
    assert.equal((await slow).length, 20_000);
    assert.equal((await queued).status, 200, 'the queued request went ahead once a had room');
    // 20 KB out within the last ten seconds: about 2 KiB/s.
    await row('a').locator('td', { hasText: /^0 B \/ [\d.]+ KiB$/ }).waitFor();
  });

  it('changes a weight and ends a session from the page', async () => {
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept('7');
    });
    await row('b').locator('button[data-action="weight"]').click();
    await row('b').locator('button[data-action="weight"]', { hasText: /^7$/ }).waitFor();
    assert.match(asked[0]!, /^Weight of shop \/ b/);
    assert.equal((await servers()).find((s) => s.id === 'b')!.weight, 7);

    page.once('dialog', (d) => void d.accept('zero'));
    await row('b').locator('button[data-action="weight"]').click();
    await page.locator('#action-error', { hasText: 'b: weight must be a whole number from 1 to 10000, not "zero"' }).waitFor();

    const before = (await servers()).find((s) => s.id === 'a')!.sessions;
    assert.ok(before >= 2, `a holds the two pinned sessions (${before})`);
    await row('a').locator('button[data-action="sessions"]').click();
    await page.locator('#sessions[open] #sessions-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#sessions-table tbody tr').count(), before);
    const key = await page.locator('#sessions-table tbody tr').first().getAttribute('data-session');
    await page.locator(`#sessions-table tr[data-session="${key}"] button[data-action="end-session"]`).click();
    await page.locator('#sessions-table tbody tr').nth(before - 1).waitFor({ state: 'detached' });
    assert.equal((await servers()).find((s) => s.id === 'a')!.sessions, before - 1, 'the session ended');
    await page.click('#sessions-close');
  });

  it('keeps every action in sight at 800 px, and logs no error', async () => {
    for (const id of ['a', 'b', 'down']) {
      const box = await row(id).locator('button[data-action="draining"]').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 800, `${id}'s Drain button inside the 800 px window: ${JSON.stringify(box)}`);
    }
    await row('b').locator('button[data-action="draining"]').click();
    await row('b').and(page.locator('[data-state="draining"]')).waitFor();
    assert.equal((await servers()).find((s) => s.id === 'b')!.state, 'draining');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('dashboard-800.png', ARTIFACTS).pathname, fullPage: true });
    assert.deepEqual(problems, []);
  });
});
