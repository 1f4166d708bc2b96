// Clients that never come back (uptime monitors, bots, `curl`) throw Mooring's cookie away: their
// sessions stay provisional, so they neither fill a server's maxSessions nor hold a drain open,
// while a real browser's session (it comes back with its cookie) counts at once. Real Chromium.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { request } from 'undici';
import { portOf, startBackend, startMooring, TEST_KEY, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

const TOKEN = 'provisional-test-token-0123456789';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

interface ServerRow {
  readonly id: string;
  readonly sessions: number;
  readonly acceptsNewSessions: boolean;
  readonly drain: { remaining: number; done: boolean } | null;
}

describe('provisional sessions: one-shot clients do not count', () => {
  let backend: Backend;
  let app: App;
  let browser: Browser;
  let admin: string;

  const api = async (path: string, method: 'GET' | 'PATCH' = 'GET', body?: unknown) => {
    const res = await request(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.equal(res.statusCode, 200, `${method} ${path}`);
    return (await res.body.json()) as { servers?: ServerRow[] } & ServerRow;
  };
  const server = async () => (await api('/api/v1/servers')).servers!.find((s) => s.id === 'a')!;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    backend = await startBackend('a', (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>shop</title><p>hello</p>');
    });
    try {
      app = await startMooring([backend], {
        service: {
          servers: [{ id: 'a', url: backend.url, maxSessions: 5 }],
          persistence: { method: 'cookie', keys: [TEST_KEY], cookie: { idleTimeout: '2s' } },
        },
        top: { admin: { address: '127.0.0.1:0', token: TOKEN } },
      });
      admin = `http://127.0.0.1:${app.admin!.port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30_000 });
    } catch (err) {
      await app?.stop();
      await backend.close();
      throw err;
    }
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await backend?.close();
  });

  it('50 one-shot requests are all answered, a browser still gets in, and a drain ends with the browser session', async () => {
    const url = `http://127.0.0.1:${portOf(app)}/`;
    for (let i = 0; i < 50; i++) {
      const res = await request(url);
      await res.body.text();
      assert.equal(res.statusCode, 200, `one-shot request ${i + 1} of 50`);
      assert.match(String(res.headers['set-cookie']), /^mooring=/, 'each is offered a cookie it throws away');
    }
    const full = await server();
    assert.equal(full.sessions, 0, 'none of the 50 counts');
    assert.equal(full.acceptsNewSessions, true, 'the server still takes new sessions');

    // A browser keeps its cookie: its second page counts the session.
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await page.goto(url);
    assert.equal(first?.status(), 200);
    const second = await page.goto(url);
    assert.equal(second?.status(), 200);
    assert.equal(await page.textContent('p'), 'hello');
    assert.equal((await context.cookies()).filter((c) => c.name === 'mooring').length, 1);
    assert.equal((await server()).sessions, 1, "the browser's session counts once it came back with its cookie");

    // A drain waits for the browser's session only; it ends when that session idles out (2 s).
    const drained = await api('/api/v1/servers/a', 'PATCH', { state: 'draining' });
    assert.deepEqual([drained.drain?.remaining, drained.drain?.done], [1, false]);
    await context.close();
    let last = drained;
    for (let i = 0; i < 40 && last.drain?.done !== true; i++) {
      await new Promise((r) => setTimeout(r, 200));
      last = await server();
    }
    assert.deepEqual([last.drain?.done, last.sessions], [true, 0], 'the drain completed within 8 s, the one-shot sessions notwithstanding');
  });
});
