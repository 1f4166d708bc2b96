// The access log: one JSON line per request and tunnel, matching what was sent one to one, with
// status, server, decision, attempts, timings and how it ended; never a cookie's value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { parseConfigObject } from '../../src/config/load.ts';
import { capturingLogger, get, portOf, rawExchange, runConcurrent, startBackend, startMooring, waitFor } from '../helpers.ts';

describe('access log', () => {
  it('one line per request under load, one per tunnel and per refusal, each with its facts', async () => {
    const backends = await Promise.all(
      ['a', 'b'].map((n) =>
        startBackend(n, (req, res, name) => {
          req.resume();
          res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
          res.end(name);
        }),
      ),
    );
    const wss = new WebSocketServer({ noServer: true });
    for (const b of backends) b.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(String(m)))));
    const file = join(mkdtempSync(join(tmpdir(), 'mooring-access-')), 'logs', 'access.log');
    const app = await startMooring(backends, { top: { log: { level: 'silent', access: true, file } } });
    const sent = new Map<string, number>();
    try {
      await runConcurrent(200, 20, async (i) => {
        const path = i % 10 === 0 ? `/missing/${i}` : `/r/${i}`;
        const res = await get(`${app.url()}${path}`, { cookie: 'session=secret-cookie-value' });
        sent.set(path, res.status);
      });
      assert.match(await rawExchange(portOf(app), 'GET /dup HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'), /^HTTP\/1\.1 400 /);
      const ws = new WebSocket(`${app.url().replace('http', 'ws')}/chat`);
      await once(ws, 'open');
      ws.send('hello');
      await once(ws, 'message');
      ws.close();
      await once(ws, 'close');
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await app.stop();
      await Promise.all(backends.map((b) => b.close()));
    }
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('secret-cookie-value'), 'no cookie value in the log');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l['kind'] === 'request' && String(l['path']).match(/^\/(r|missing)\//));
    assert.equal(requests.length, 200, 'one line per request');
    assert.equal(new Set(requests.map((l) => l['path'])).size, 200, 'each request exactly once');
    for (const l of requests) {
      assert.equal(l['status'], sent.get(String(l['path'])), `status of ${l['path']}`);
      assert.ok(l['server'] === 'a' || l['server'] === 'b');
      assert.equal(l['service'], 'app');
      assert.equal(l['attempts'], 1);
      assert.equal(l['ended'], 'complete');
      assert.equal(l['clientIp'], '127.0.0.1');
      assert.equal(l['method'], 'GET');
      assert.ok(typeof l['totalMs'] === 'number' && (l['firstByteMs'] as number) <= (l['totalMs'] as number));
      assert.match(String(l['time']), /^\d{4}-\d\d-\d\dT/);
    }
    const refused = lines.filter((l) => l['path'] === '/dup');
    assert.equal(refused.length, 1);
    assert.deepEqual([refused[0]!['status'], refused[0]!['ended']], [400, 'mooring-answer']);
    const tunnels = lines.filter((l) => l['kind'] === 'tunnel');
    assert.equal(tunnels.length, 1);
    assert.deepEqual([tunnels[0]!['status'], tunnels[0]!['ended']], [101, 'tunnel-closed']);
    assert.ok(tunnels[0]!['server'] === 'a' || tunnels[0]!['server'] === 'b');
    assert.ok((tunnels[0]!['bytesIn'] as number) > 0 && (tunnels[0]!['bytesOut'] as number) > 0);
    assert.equal(lines.length, 202, 'nothing else');
  });

  it('a file that cannot be opened is refused at start and at reload; each reload opens the file again (a new name, or a rotated one) and closes the old, no line lost', async () => {
    const backend = await startBackend('a');
    const dir = mkdtempSync(join(tmpdir(), 'mooring-access-'));
    const [first, second] = [join(dir, 'first.log'), join(dir, 'ünïcode', 'second.log')];
    const unwritable = '/proc/no-such-folder/access.log';
    const raw = (file: string) => ({
      listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
      services: [{ name: 'app', servers: [{ id: 'a', url: backend.url }] }],
      log: { level: 'silent', access: true, file },
    });
    const openFiles = () => readdirSync('/proc/self/fd').flatMap((fd) => { try { return [readlinkSync(`/proc/self/fd/${fd}`)]; } catch { return []; } });
    try {
      await assert.rejects(startMooring([backend], { top: { log: { level: 'silent', access: true, file: unwritable } } }), /log\.file: cannot open "\/proc\/no-such-folder\/access\.log" for the access log \(ENOENT\)/);
      const app = await startMooring([backend], { top: { log: { level: 'silent', access: true, file: first } } });
      try {
        for (let i = 0; i < 5; i++) assert.equal((await get(`${app.url()}/before/${i}`)).status, 200);
        const refused = app.reload(parseConfigObject(raw(unwritable)));
        assert.equal(refused.applied, false);
        assert.match(refused.errors.join('\n'), /log\.file: cannot open/);
        for (let i = 0; i < 5; i++) assert.equal((await get(`${app.url()}/still/${i}`)).status, 200);
        assert.equal(app.reload(parseConfigObject(raw(second))).applied, true);
        for (let i = 0; i < 5; i++) assert.equal((await get(`${app.url()}/after/${i}`)).status, 200);
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(!openFiles().includes(first), 'the replaced file is closed');
        assert.ok(openFiles().includes(second));
        // Log rotation: the file is renamed, a reload of the same config starts it anew.
        renameSync(second, `${second}.1`);
        assert.equal(app.reload(parseConfigObject(raw(second))).applied, true);
        for (let i = 0; i < 5; i++) assert.equal((await get(`${app.url()}/rotated/${i}`)).status, 200);
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(!openFiles().includes(`${second}.1`), 'the rotated file is closed');
      } finally {
        await app.stop();
      }
      assert.ok(!openFiles().includes(second), 'closed at stop');
    } finally {
      await backend.close();
    }
    const paths = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { path: string }).path);
    assert.deepEqual(paths(first), [...[0, 1, 2, 3, 4].map((i) => `/before/${i}`), ...[0, 1, 2, 3, 4].map((i) => `/still/${i}`)]);
    assert.deepEqual(paths(`${second}.1`), [0, 1, 2, 3, 4].map((i) => `/after/${i}`));
    assert.deepEqual(paths(second), [0, 1, 2, 3, 4].map((i) => `/rotated/${i}`));
  });

  it('ten reloads under load, each opening a new file: every request has exactly one line, across the files', async () => {
    const backend = await startBackend('a');
    const dir = mkdtempSync(join(tmpdir(), 'mooring-access-'));
    const fileOf = (i: number) => join(dir, `access-${i}.log`);
    const raw = (i: number) => ({
      listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'app' }],
      services: [{ name: 'app', servers: [{ id: 'a', url: backend.url }] }],
      log: { level: 'silent', access: true, file: fileOf(i) },
    });
    const sent: string[] = [];
    try {
      const app = await startMooring([backend], { top: { log: { level: 'silent', access: true, file: fileOf(0) } } });
      try {
        // Reloads happen as an answer arrives, among other requests' I/O (as an admin API call or a
        // signal would), not from a timer.
        let reloads = 0;
        const load = Array.from({ length: 30 }, (_, client) => client).map(async (client) => {
          for (let n = 0; reloads < 10 && n < 2000; n++) {
            const path = `/c${client}/${n}`;
            assert.equal((await get(`${app.url()}${path}`)).status, 200);
            sent.push(path);
            if (client === 0 && n % 5 === 4) assert.equal(app.reload(parseConfigObject(raw(++reloads))).applied, true);
          }
        });
        await Promise.all(load);
      } finally {
        await app.stop();
      }
    } finally {
      await backend.close();
    }
    const logged = readdirSync(dir).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { path: string }).path));
    assert.ok(sent.length > 60, `requests ran during the reloads (${sent.length})`);
    assert.deepEqual(logged.sort(), sent.sort());
  });

  it('a file that fails every write (disk full: /dev/full) is reported in the process log, and requests go on', async () => {
    const backend = await startBackend('a');
    const { logger, lines } = capturingLogger();
    const app = await startMooring([backend], { logger, top: { log: { level: 'info', access: true, file: '/dev/full' } } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(`${app.url()}/r/${i}`)).status, 200);
      await waitFor(() => lines.some((l) => String(l['msg']).startsWith('access log: cannot write')), 3000, 'the write error reported');
      const reports = lines.filter((l) => String(l['msg']).startsWith('access log: cannot write'));
      assert.match(String(reports[0]!['msg']), /ENOSPC/);
      for (let i = 0; i < 3; i++) assert.equal((await get(`${app.url()}/more/${i}`)).status, 200);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(lines.filter((l) => String(l['msg']).startsWith('access log: cannot write')).length, 1, 'reported once, not once per batch');
    } finally {
      await app.stop();
      await backend.close();
    }
  });
});
