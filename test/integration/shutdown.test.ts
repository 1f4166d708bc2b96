// SIGTERM on a real `mooring start` process: requests under way complete, new connections are
// refused, and the process exits 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startBackend, waitFor, type Backend } from '../helpers.ts';
import { runCli } from '../cli-process.ts';

describe('graceful stop', () => {
  let backend: Backend;
  before(async () => {
    backend = await startBackend('slow', (req, res) => {
      req.resume();
      void sleep(700).then(() => res.end('done'));
    });
  });
  after(async () => backend.close());

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: in-flight requests complete, new connections are refused, exit 0`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mooring-stop-'));
      const file = join(dir, 'mooring.yaml');
      writeFileSync(file, `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services: [{ name: app, servers: [{ id: slow, url: "${backend.url}" }] }]
timeouts: { shutdown: 10s }
`);
      const run = runCli(['start', '--config', file]);
      try {
        const [, port] = await run.waitFor(/"port":(\d+)/);
        const url = `http://127.0.0.1:${port}`;
        const arrived = backend.seen.length;
        const inflight = Array.from({ length: 5 }, (_, i) => request(`${url}/r${i}`).then(async (r) => [r.statusCode, await r.body.text()]));
        await waitFor(() => backend.seen.length === arrived + 5, 5000, 'requests to reach the server');
        run.child.kill(signal);
        await run.waitFor(/"msg":"stopping"/);
        await assert.rejects(request(url, { headersTimeout: 2000 }), /ECONNREFUSED/);
        assert.deepEqual(await Promise.all(inflight), Array(5).fill([200, 'done']));
        assert.equal(await run.exit, 0);
        assert.match(run.stdout(), /"msg":"stopped"/);
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  }
});
