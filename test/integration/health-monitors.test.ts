// Active monitors against real backends whose health endpoints flip: down after `fall` failures,
// up after `rise` passes, no new request to a DOWN server, quorum of several monitors, a hanging
// probe cut by its timeout, and probes spread over the interval.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { get, startBackend, startMooring, waitFor, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

/** Backends whose /health, /ready and /live answer 200 or 503 as `failing` says. */
function flippable(failing: Set<string>) {
  return (req: IncomingMessage, res: ServerResponse, name: string) => {
    req.resume();
    const path = req.url ?? '/';
    if (path === '/health' || path === '/ready' || path === '/live') {
      const bad = failing.has(`${name}${path}`) || failing.has(name);
      res.writeHead(bad ? 503 : 200, { 'content-type': 'text/plain' });
      return res.end(bad ? 'failing' : 'ok');
    }
    res.end(name);
  };
}

const appPaths = (b: Backend) => b.seen.filter((r) => !['/health', '/ready', '/live'].includes(r.url ?? '')).length;
const events = (app: App, type: string, server: string) => app.events.recent().filter((e) => e.type === type && e.server === server);

describe('health: active monitors', () => {
  const failing = new Set<string>();
  let backends: Backend[];
  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n, flippable(failing))));
  });
  after(async () => Promise.all((backends ?? []).map((b) => b.close())));

  it('marks a server down after `fall` failures and up after `rise` passes; no request reaches it while down', async () => {
    failing.clear();
    const monitor = { path: '/health', interval: '100ms', timeout: '80ms', rise: 2, fall: 3, expect: { status: ['200-299'], body: 'ok' } };
    const app = await startMooring(backends, { service: { health: monitor } });
    try {
      await waitFor(() => ['a', 'b', 'c'].every((s) => events(app, 'up', s).length === 1), 3000, 'first verdicts');
      const probesBefore = backends[1]!.seen.filter((r) => r.url === '/health').length;
      failing.add('b');
      await waitFor(() => events(app, 'down', 'b').length === 1, 3000, 'b down');
      const probesAtDown = backends[1]!.seen.filter((r) => r.url === '/health').length;
      assert.ok(probesAtDown - probesBefore >= 3, `down after at least fall (3) failed probes, saw ${probesAtDown - probesBefore}`);
      assert.match(events(app, 'down', 'b')[0]!.reason, /http GET \/health: status 503/);
      const seenB = appPaths(backends[1]!);
      for (let i = 0; i < 30; i++) assert.notEqual((await get(app.url())).body, 'b');
      assert.equal(appPaths(backends[1]!), seenB, 'no request reached the down server');
      failing.delete('b');
      await waitFor(() => events(app, 'up', 'b').length === 2, 3000, 'b up again');
      const bodies = new Set<string>();
      for (let i = 0; i < 6; i++) bodies.add((await get(app.url())).body);
      assert.deepEqual([...bodies].sort(), ['a', 'b', 'c']);
    } finally {
      await app.stop();
    }
  });

  it('a body that does not match fails the check, even with status 200', async () => {
    failing.clear();
    const app = await startMooring(backends, { service: { health: { path: '/health', interval: '100ms', timeout: '80ms', rise: 1, fall: 1, expect: { body: '/^healthy$/' } } } });
    try {
      await waitFor(() => ['a', 'b', 'c'].every((s) => events(app, 'down', s).length === 1), 3000, 'all down: body "ok" is not /^healthy$/');
      assert.match(events(app, 'down', 'a')[0]!.reason, /body does not match/);
      const res = await get(app.url());
      assert.equal(res.status, 503);
      assert.equal(res.headers['mooring-error'], 'MOORING_NO_SERVER');
    } finally {
      await app.stop();
    }
  });

  it('probes send the configured method, Host and headers, never follow a redirect, and honour health: false', async () => {
    const probes: IncomingMessage[] = [];
    const redirecting = await startBackend('r', (req, res) => {
      if (req.url === '/health') {
        probes.push(req);
        res.writeHead(302, { location: '/elsewhere' });
        return res.end();
      }
      if (req.url === '/elsewhere') probes.push(req);
      res.end('r');
    });
    const monitor = { path: '/health', method: 'HEAD', host: 'app.example.com', headers: { 'X-Probe': 'mooring' }, expect: { status: [200] }, interval: '100ms', timeout: '80ms', rise: 1, fall: 1 };
    const servers = [
      { id: 'r', url: redirecting.url },
      { id: 'a', url: backends[0]!.url, health: false },
    ];
    failing.add('a'); // a's /health fails, but a is not checked
    const app = await startMooring([], { service: { servers, health: monitor } });
    try {
      await waitFor(() => events(app, 'down', 'r').length === 1, 3000, 'r down: a 302 is not 200');
      assert.match(events(app, 'down', 'r')[0]!.reason, /http HEAD \/health: status 302/);
      const probe = probes[0]!;
      assert.deepEqual([probe.method, probe.headers.host, probe.headers['x-probe']], ['HEAD', 'app.example.com', 'mooring']);
      assert.ok(probes.every((p) => p.url === '/health'), 'the redirect was not followed');
      assert.equal(app.services.get('app')!.current.health.health('a'), 'unknown');
      assert.equal((await get(app.url())).body, 'a');
    } finally {
      failing.clear();
      await app.stop();
      await redirecting.close();
    }
  });

  it('several monitors decide by monitorsRequired: one, most, all', async () => {
    // a fails one of three checks, b fails two of them, c none.
    failing.clear();
    for (const f of ['a/live', 'b/live', 'b/ready']) failing.add(f);
    const monitors = ['/health', '/ready', '/live'].map((path) => ({ path, interval: '100ms', timeout: '80ms', rise: 1, fall: 1 }));
    const expected: [string, string[]][] = [
      ['one', ['a', 'b']],
      ['most', ['b']],
      ['all', []],
      [2 as unknown as string, ['b']],
    ];
    for (const [required, down] of expected) {
      const app = await startMooring(backends, { service: { health: monitors, monitorsRequired: required } });
      try {
        // Every monitor has answered at least twice by now.
        await waitFor(() => backends.every((b) => b.seen.filter((r) => r.url === '/live').length >= 2), 3000, 'probes');
        await new Promise((r) => setTimeout(r, 250));
        const health = app.services.get('app')!.current.health;
        const got = ['a', 'b', 'c'].filter((s) => health.health(s) === 'down');
        assert.deepEqual(got, down, `monitorsRequired ${required}`);
      } finally {
        await app.stop();
        for (const b of backends) b.seen.length = 0;
      }
    }
  });

  it('a probe that hangs is cut by its timeout, and its connection closed', async () => {
    const hanging = await startBackend('h', (req, res) => {
      if (req.url === '/health') return; // never answers
      res.end('h');
    });
    const app = await startMooring([hanging, backends[0]!], { service: { health: { path: '/health', interval: '300ms', timeout: '150ms', rise: 1, fall: 1 } } });
    try {
      await waitFor(() => events(app, 'down', 'h').length === 1, 3000, 'h down');
      assert.match(events(app, 'down', 'h')[0]!.reason, /no answer within 150ms/);
      // Each probe's connection is closed when it is cut: at most the one under way stays open.
      await new Promise((r) => setTimeout(r, 700));
      assert.ok(hanging.sockets.size <= 1, `${hanging.sockets.size} probe connections left open`);
    } finally {
      await app.stop();
      await hanging.close();
    }
  });

  it('a tcp monitor sees a server that stops listening', async () => {
    const doomed = await startBackend('d');
    const app = await startMooring([doomed, backends[0]!], { service: { health: { type: 'tcp', interval: '100ms', timeout: '80ms', rise: 1, fall: 2 } } });
    try {
      await waitFor(() => events(app, 'up', 'd').length === 1, 3000, 'd up');
      await doomed.close();
      await waitFor(() => events(app, 'down', 'd').length === 1, 3000, 'd down');
      assert.match(events(app, 'down', 'd')[0]!.reason, /tcp: cannot connect: ECONNREFUSED/);
    } finally {
      await app.stop();
    }
  });

  it('200 servers probed every second: probes are spread over the interval, never bunched', async () => {
    const accepted: number[] = [];
    const listener = createServer((s: Socket) => {
      accepted.push(performance.now());
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const servers = Array.from({ length: 200 }, (_, i) => ({ name: `s${i}`, url }));
    const app = await startMooring(servers, { service: { health: { type: 'tcp', interval: '1s', timeout: '500ms' } } });
    try {
      await new Promise((r) => setTimeout(r, 2100));
    } finally {
      await app.stop();
      listener.close();
    }
    assert.ok(accepted.length >= 380, `only ${accepted.length} probes in 2.1 s`);
    let worst = 0;
    for (let i = 0, j = 0; i < accepted.length; i++) {
      while (accepted[i]! - accepted[j]! > 50) j++;
      worst = Math.max(worst, i - j + 1);
    }
    // Probes start on the scheduler's ticks (a tenth of the interval: 100 ms), 20 per tick for 200
    // a second; all at once would be 200.
    assert.ok(worst <= 30, `${worst} probes within one 50 ms window`);
  });
});
