// SIGHUP, SIGUSR1 and SIGUSR2 sent to a running `mooring start` while a request is under way: the
// request completes (200), the process lives on, and no inspector opens on 127.0.0.1:9229. SIGHUP
// reloads the file: a valid one applies, an invalid one is refused and the running config stays.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runCli } from '../cli-process.ts';
import { startBackend } from '../helpers.ts';

/** Whether a Node inspector answers on 127.0.0.1:9229. */
async function inspectorOpen(): Promise<boolean> {
  try {
    const res = await request('http://127.0.0.1:9229/json/version', { headersTimeout: 1000, bodyTimeout: 1000 });
    return /node/i.test(await res.body.text());
  } catch {
    return false;
  }
}

describe('signals', () => {
  it('SIGHUP, SIGUSR1, SIGUSR2 under a request in flight: it completes, Mooring stays, no inspector', async () => {
    const backend = await startBackend('slow', (req, res) => {
      req.resume();
      setTimeout(() => res.end('done'), 800);
    });
    const file = join(mkdtempSync(join(tmpdir(), 'mooring-signals-')), 'm.yaml');
    writeFileSync(file, `listeners: [{ name: web, address: "127.0.0.1:0", service: s }]\nservices: [{ name: s, servers: [{ id: a, url: "${backend.url}" }] }]\n`);
    const run = runCli(['start', '--config', file]);
    try {
      const port = Number((await run.waitFor(/"port":(\d+)/))[1]);
      assert.equal(await inspectorOpen(), false, 'no inspector before the test');
      const pending = request(`http://127.0.0.1:${port}/`, { headersTimeout: 5000, bodyTimeout: 5000 });
      await new Promise((r) => setTimeout(r, 200));
      for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
        run.child.kill(signal);
        await new Promise((r) => setTimeout(r, 50));
      }
      const res = await pending;
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'done');
      assert.equal(run.child.exitCode, null, 'still running');
      assert.equal(await inspectorOpen(), false, 'SIGUSR1 opened no inspector');
      await run.waitFor(/SIGUSR1 received and ignored/);
      // The same file again: the reload says so.
      await run.waitFor(/reload \(no change\)/);
      const again = await request(`http://127.0.0.1:${port}/`, { headersTimeout: 5000, bodyTimeout: 5000 });
      assert.equal(again.statusCode, 200);
      await again.body.text();
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
      await backend.close();
    }
  });

  it('SIGHUP reloads the file; an invalid file is refused with its error and traffic goes on', async () => {
    const [one, two] = await Promise.all([startBackend('one'), startBackend('two')]);
    const file = join(mkdtempSync(join(tmpdir(), 'mooring-reload-')), 'm.yaml');
    const configFor = (url: string) => `listeners: [{ name: web, address: "127.0.0.1:0", service: s }]\nservices: [{ name: s, servers: [{ id: a, url: "${url}" }] }]\n`;
    writeFileSync(file, configFor(one.url));
    const run = runCli(['start', '--config', file]);
    const body = async (port: number) => (await (await request(`http://127.0.0.1:${port}/`, { headersTimeout: 5000, bodyTimeout: 5000 })).body.text());
    try {
      const port = Number((await run.waitFor(/"port":(\d+)/))[1]);
      assert.equal(await body(port), 'one');
      writeFileSync(file, configFor(two.url));
      run.child.kill('SIGHUP');
      await run.waitFor(/reload \(services\[s\]\.servers\[a\]\.url: changed\)/);
      assert.equal(await body(port), 'two', 'the new server answers');
      writeFileSync(file, configFor(two.url).replace('servers:', 'serverz:'));
      run.child.kill('SIGHUP');
      await run.waitFor(/reload-refused \(.*serverz/);
      assert.equal(await body(port), 'two', 'the running config stays');
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
      await Promise.all([one.close(), two.close()]);
    }
  });
});
