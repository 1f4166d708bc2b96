// Memory footprint: the running proxy loads only undici's Pool, not the rest of undici (fetch,
// WebSocket, caches) nor node's own bundled copy of it, ~8 MiB of resident memory it would never use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBackend } from '../helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('footprint', () => {
  it('a proxied request loads neither undici\'s index nor node\'s bundled undici', async () => {
    const backend = await startBackend('a');
    try {
      // A separate process: this test runner has loaded undici for its own clients.
      const script = `
        const { App } = await import('./src/app.ts');
        const { parseConfigObject } = await import('./src/config/load.ts');
        const http = require('node:http'); // not import(): on Node 24+ that alone loads the bundled undici
        const app = await App.start(parseConfigObject({
          listeners: [{ name: 'l', address: '127.0.0.1:0', service: 's' }],
          services: [{ name: 's', servers: [{ id: 'a', url: ${JSON.stringify(backend.url)} }] }],
          log: { level: 'silent' },
        }));
        const body = await new Promise((resolve, reject) => http.get(app.url() + '/', (res) => {
          let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => resolve(text));
        }).on('error', reject));
        await app.stop(0);
        const loaded = Object.keys(require.cache ?? {}).concat(process.moduleLoadList);
        console.log(JSON.stringify({ body, index: loaded.some((m) => m.endsWith('undici/index.js')), bundled: loaded.some((m) => m.includes('deps/undici')) }));`;
      // Asynchronous: the backend answers from this process.
      const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { createRequire } = await import('node:module'); globalThis.require = createRequire(import.meta.url); ${script}`], {
        cwd: root,
        timeout: 30_000,
      });
      const result = JSON.parse(out.trim().split('\n').pop()!) as { body: string; index: boolean; bundled: boolean };
      assert.equal(result.body, 'a', 'the request went through');
      assert.equal(result.index, false, "undici's index was loaded");
      assert.equal(result.bundled, false, "node's bundled undici was loaded");
    } finally {
      await backend.close();
    }
  });
});
