// A reload reads its file on another thread: requests keep being answered while a large file is
// parsed (about a second for 1 MiB), and a file that takes too long or too much memory is refused
// without harm to the running process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src/app.ts';
import { ConfigError, loadConfigFile } from '../../src/config/load.ts';
import { loadConfigFileOffThread } from '../../src/config/load-off-thread.ts';
import { silentLogger } from '../../src/log.ts';
import { get, startBackend, type Backend } from '../helpers.ts';

/** A valid config of about 1 MiB (the most allowed): the bulk is 53,000 trusted proxy addresses, cheap to apply and slow to parse. */
function largeConfig(backend: string): string {
  const lines = ['listeners: [{ name: web, address: "127.0.0.1:0", service: app }]', 'services:', '  - name: app', '    servers:', `      - { id: a, url: "${backend}" }`, 'trustedProxies:'];
  for (let i = 0; i < 53_000; i++) lines.push(`  - 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`);
  return lines.join('\n') + '\n';
}

describe('reloads read the file off the request path', () => {
  let backend: Backend;
  let dir: string;
  let file: string;
  let app: App;

  before(async () => {
    backend = await startBackend('a');
    dir = mkdtempSync(join(tmpdir(), 'mooring-reload-thread-'));
    file = join(dir, 'mooring.yaml');
    writeFileSync(file, ['listeners: [{ name: web, address: "127.0.0.1:0", service: app }]', 'services:', '  - name: app', '    servers:', `      - { id: a, url: "${backend.url}" }`, ''].join('\n'));
    app = await App.start(loadConfigFile(file), { logger: silentLogger, configFile: file });
  });
  after(async () => {
    await app?.stop(0);
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers requests while a 1 MiB file is read, then applies it', async () => {
    writeFileSync(file, largeConfig(backend.url));
    let settled = false;
    const reloading = app.reloadFile().finally(() => (settled = true));
    let answeredWhileReading = 0;
    for (let i = 0; i < 1000 && !settled; i++) {
      const res = await get(app.url());
      assert.equal(res.status, 200);
      if (!settled) answeredWhileReading++;
      await new Promise((r) => setTimeout(r, 5));
    }
    const result = await reloading;
    assert.ok(result.applied, `the large file applies: ${JSON.stringify(result)}`);
    assert.equal(app.config.trustedProxies.length, 53_000);
    // Parsed on the event loop, not one request would be answered until the reload was over.
    assert.ok(answeredWhileReading >= 5, `requests answered while the file was read: ${answeredWhileReading}`);
  });

  it('refuses a file that takes longer than the limit, and the next read works', async () => {
    await assert.rejects(loadConfigFileOffThread(file, process.env, { timeoutMs: 20, heapMiB: 512, idleMs: 1000 }), (err: ConfigError) => {
      assert.match(err.message, /took longer than 0\.02 s to read; the file was not applied/);
      assert.equal(err.problems[0]!.file, file);
      return true;
    });
    const config = await loadConfigFileOffThread(file, process.env, { timeoutMs: 30_000, heapMiB: 512, idleMs: 1000 });
    assert.equal(config.trustedProxies.length, 53_000);
    assert.ok(Object.isFrozen(config.services[0]), 'a config read on the thread is frozen like one read here');
  });

  it('refuses a file that needs more memory than the reading thread has, and Mooring serves on', async () => {
    await assert.rejects(loadConfigFileOffThread(file, process.env, { timeoutMs: 30_000, heapMiB: 4, idleMs: 1000 }), /needs more than 4 MiB of memory to read; the file was not applied/);
    assert.equal((await get(app.url())).status, 200);
  });

  it('names every problem of an invalid file, as validate does', async () => {
    writeFileSync(file, 'listeners: [{ name: web, address: "127.0.0.1:0", service: nowhere }]\nservices: []\nbogus: 1\n');
    const result = await app.reloadFile();
    assert.equal(result.applied, false);
    const errors = result.applied ? [] : result.errors;
    assert.ok(errors.some((e) => e.startsWith(`${file}:3: bogus`)), errors.join('\n'));
    assert.equal((await get(app.url())).status, 200, 'the running config still serves');
  });
});
