// Memory footprint: a proxy on its own upstream client, with sessions in memory and no geo-IP
// database, loads no part of undici (nor node's own bundled copy), nor node-redis, nor maxmind:
// ~40 MiB of resident memory it would never use (measured: 75 against 92 MiB after loading the CLI).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBackend } from '../helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('footprint', () => {
  it('a proxied request loads neither undici (its own or node\'s bundled copy), nor node-redis, nor maxmind', async () => {
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
        const any = (part) => loaded.some((m) => m.includes(part));
        console.log(JSON.stringify({ body, undici: any('node_modules/undici/'), bundled: any('deps/undici'), redis: any('node_modules/@redis/') || any('node_modules/redis/'), maxmind: any('node_modules/maxmind/') }));`;
      // Asynchronous: the backend answers from this process.
      const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { createRequire } = await import('node:module'); globalThis.require = createRequire(import.meta.url); ${script}`], {
        cwd: root,
        timeout: 30_000,
      });
      const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
      assert.deepEqual(result, { body: 'a', undici: false, bundled: false, redis: false, maxmind: false });
    } finally {
      await backend.close();
    }
  });
});
