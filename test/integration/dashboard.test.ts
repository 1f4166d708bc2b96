// The dashboard in a real headless Chromium (Debian's chromium, driven by playwright-core): it
// asks for the token, loads with no console error, lists the servers, draws charts, and its drain
// button changes the server's state as the API sees it. A screenshot goes to test-artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { parseConfigObject } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { get, startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';

const TOKEN = 'dashboard-test-token-0123456789';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

describe('dashboard in Chromium', () => {
  let backends: Backend[];
  let app: App;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const serverState = async (id: string): Promise<string> => {
    const res = await request(`${base}/api/v1/servers`, { headers: { authorization: `Bearer ${TOKEN}` }, headersTimeout: 5000 });
    const { servers } = (await res.body.json()) as { servers: { id: string; state: string }[] };
    return servers.find((s) => s.id === id)!.state;
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    backends = await Promise.all(['a', 'b'].map((n) => startBackend(n)));
    app = await startMooring(backends, { top: { admin: { address: '127.0.0.1:0', token: TOKEN } } });
    base = `http://127.0.0.1:${app.admin!.port}`;
    for (let i = 0; i < 10; i++) await get(app.url());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      // Leaving or reloading the page aborts what it had under way; anything else failing is a defect.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
  });
  after(async () => {
    await browser?.close();
    await app?.stop(1000);
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('asks for the token and refuses a wrong one', async () => {
    await page.goto(base + '/');
    await page.locator('#login[open]').waitFor();
    await page.fill('#token', 'not-the-token-not-the-token');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error', { hasText: 'refused' }).waitFor();
    assert.equal(await page.locator('#servers tbody tr').count(), 0);
  });

  it('lists services and servers and draws charts once the token is given', async () => {
    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.locator('#servers tr[data-server="b"]').waitFor();
    const ids = await page.locator('#servers tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['server']));
    assert.deepEqual(ids, ['a', 'b']);
    assert.match(await page.locator('#services tbody tr').first().innerText(), /app\s+up/);
    assert.match(await page.locator('#datacenters tbody tr').first().innerText(), /default\s+up\s+active/);
    await page.locator('#chart-rps canvas').waitFor();
    await page.locator('#connection', { hasText: 'live' }).waitFor();
  });

  it('drains a server with its button: the API sees it, the page and the event feed show it', async () => {
    assert.equal(await serverState('b'), 'enabled');
    await page.click('#servers tr[data-server="b"] button[data-action="draining"]');
    await page.locator('#servers tr[data-server="b"][data-state="draining"]').waitFor();
    assert.equal(await serverState('b'), 'draining');
    await page.locator('#events li[data-type="draining"]').waitFor();
    assert.equal(await page.locator('#servers tr[data-server="b"] button[data-action="draining"]').isDisabled(), true);
    await page.click('#servers tr[data-server="b"] button[data-action="enabled"]');
    await page.locator('#servers tr[data-server="b"][data-state="enabled"]').waitFor();
    assert.equal(await serverState('b'), 'enabled');
  });

  it('asks before Disable (it moves every session at once): cancelled, nothing changes; confirmed, the server is disabled', async () => {
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.click('#servers tr[data-server="b"] button[data-action="disabled"]');
    await waitFor(() => asked.length === 1, 5000, 'the confirmation');
    assert.match(asked[0]!, /^Disable app \/ b\? Its \d+ session\(s\) move to other servers at once\.$/);
    assert.equal(await serverState('b'), 'enabled', 'cancelled: nothing sent');
    page.once('dialog', (d) => void d.accept());
    await page.click('#servers tr[data-server="b"] button[data-action="disabled"]');
    await page.locator('#servers tr[data-server="b"][data-state="disabled"]').waitFor();
    assert.equal(await serverState('b'), 'disabled');
    await page.click('#servers tr[data-server="b"] button[data-action="enabled"]');
    await page.locator('#servers tr[data-server="b"][data-state="enabled"]').waitFor();
  });

  it('takes the token from the URL fragment (never sent to the server) and wipes it from the address bar', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    fresh.setDefaultTimeout(10_000);
    const asked: string[] = [];
    fresh.on('request', (r) => asked.push(r.url()));
    fresh.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    try {
      await fresh.goto(`${base}/#token=${TOKEN}`);
      await fresh.locator('#servers tr[data-server="a"]').waitFor();
      assert.equal(await fresh.locator('#login[open]').count(), 0, 'no token asked for');
      assert.ok(!fresh.url().includes(TOKEN), `the address bar keeps no token: ${fresh.url()}`);
      assert.deepEqual(asked.filter((u) => u.includes(TOKEN)), [], 'the token never travels in a URL');
    } finally {
      await fresh.close();
    }
  });

  it('shows a failover: the standby serving, the primary waiting for a manual failback, and fails back with its button', async () => {
    const [p1, d1] = await Promise.all(['p1', 'd1'].map((n) => startBackend(n)));
    const dcApp = await App.start(
      parseConfigObject({
        listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'shop' }],
        admin: { address: '127.0.0.1:0', token: TOKEN },
        services: [
          {
            name: 'shop',
            gslb: { mode: 'failover', failback: 'manual' },
            datacenters: [
              { name: 'primary', servers: [{ id: 'p1', url: p1!.url }] },
              { name: 'dr', standby: true, servers: [{ id: 'd1', url: d1!.url }] },
            ],
          },
        ],
      }),
      { logger: silentLogger },
    );
    const dcPage = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    dcPage.setDefaultTimeout(10_000);
    dcPage.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    try {
      await dcPage.goto(`http://127.0.0.1:${dcApp.admin!.port}/`);
      await dcPage.fill('#token', TOKEN);
      await dcPage.click('#login-form button[type=submit]');
      const row = (dc: string) => dcPage.locator(`#datacenters tr[data-datacenter="${dc}"]`);
      await row('primary').locator('.pill', { hasText: 'serving' }).waitFor();
      assert.match(await row('dr').innerText(), /dr\s+up\s+standby\s+idle/);
      assert.equal(await row('primary').locator('button[data-action="failback"]').isDisabled(), true);

      dcApp.services.get('shop')!.current.health.setAdmin('p1', 'disabled', 'test', Date.now());
      await row('dr').locator('.pill', { hasText: 'serving' }).waitFor();
      assert.equal((await get(dcApp.url())).body, 'd1');
      await dcPage.locator('#events li[data-type="failover"]', { hasText: 'shop@dr' }).waitFor();

      dcApp.services.get('shop')!.current.health.setAdmin('p1', 'enabled', 'test', Date.now());
      await row('primary').getByText('waiting for an operator').waitFor();
      await dcPage.click('#datacenters tr[data-datacenter="primary"] button[data-action="failback"]');
      await row('primary').locator('.pill', { hasText: 'serving' }).waitFor();
      assert.match(await row('primary').innerText(), /failback \d/);
      await dcPage.locator('#events li[data-type="failback"]', { hasText: 'shop@primary' }).waitFor();
      assert.equal((await get(dcApp.url())).body, 'p1');
      mkdirSync(ARTIFACTS, { recursive: true });
      await dcPage.screenshot({ path: new URL('dashboard-failover.png', ARTIFACTS).pathname, fullPage: true });
    } finally {
      await dcPage.close();
      await dcApp.stop(1000);
      await Promise.all([p1!.close(), d1!.close()]);
    }
  });

  it('keeps the token for the tab across a reload of the page, and logs no error', async () => {
    await page.reload();
    await page.locator('#servers tr[data-server="a"]').waitFor();
    assert.equal(await page.locator('#login[open]').count(), 0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname, fullPage: true });
    // The wrong token's 401 is the one expected error the browser reports.
    const unexpected = problems.filter((p) => !/status of 401/.test(p));
    assert.deepEqual(unexpected, []);
  });
});
