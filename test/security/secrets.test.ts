// Secrets never appear in what Mooring says: cookie keys not in its log (at start, per request, in
// events or errors), and a mistyped secret (a value from the environment, a secret field) not in
// validate's output, the reload-refused event and log line, /api/v1/status or the reload's 422.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { App } from '../../src/app.ts';
import { ConfigError, loadConfigFile } from '../../src/config/load.ts';
import { capturingLogger, get, startBackend, startMooring, TEST_KEY } from '../helpers.ts';

describe('security: secrets', () => {
  it('the cookie key is in no log line', async () => {
    const backend = await startBackend('a');
    const doomed = await startBackend('d');
    const { logger, lines } = capturingLogger();
    const app = await startMooring([backend, doomed], {
      logger,
      service: { persistence: { method: 'cookie', keys: [TEST_KEY] }, passive: { consecutiveFailures: 1 }, health: { path: '/', interval: '100ms', timeout: '80ms' } },
    });
    try {
      await doomed.close();
      for (let i = 0; i < 10; i++) await get(app.url(), { cookie: `mooring=${'x'.repeat(40)}` });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await app.stop();
      await backend.close();
    }
    assert.ok(lines.length > 3, 'something was logged (listening, failures, events, stop)');
    const text = JSON.stringify(lines);
    assert.ok(!text.includes(TEST_KEY), 'the key was logged');
  });

  it('a mistyped secret is never echoed: validate, the reload-refused event and log line, /api/v1/status, the 422', async () => {
    const secret = 'cookie-key-from-the-environment-0123456789';
    const password = 'kick-password-from-the-environment';
    const literal = 'x-secret-header-value-in-the-file';
    const env = { ...process.env, MOORING_COOKIE_KEY: secret, KICK_PASSWORD: password };
    const backend = await startBackend('a');
    const dir = mkdtempSync(join(tmpdir(), 'mooring-secrets-'));
    const file = join(dir, 'mooring.yaml');
    const good = `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    persistence: { method: cookie, keys: ["\${MOORING_COOKIE_KEY}"] }
    servers: [{ id: a, url: "${backend.url}" }]
admin: { address: "127.0.0.1:0", token: "admin-token-for-the-secrets-test" }
`;
    // keys as a string instead of a list; a password where the method goes; a header value that is not one.
    const bad = good
      .replace('keys: ["${MOORING_COOKIE_KEY}"]', 'keys: "${MOORING_COOKIE_KEY}"')
      .replace('    servers:', `    datacenters:\n      - { name: main, servers: [{ id: a, url: "${backend.url}" }] }\n      - { name: spare, standby: true, servers: [{ id: b, url: "${backend.url}" }], kickstart: { url: "${backend.url}/wake", method: "\${KICK_PASSWORD}", headers: { x-token: [${JSON.stringify(literal)}] } } }\n    unused:`);
    writeFileSync(file, bad);
    let message = '';
    try {
      loadConfigFile(file, env);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      message = err.message;
    }
    assert.match(message, /keys: expected array; got the text "\$\{MOORING_COOKIE_KEY\}"/, message);
    for (const hidden of [secret, password, literal]) assert.ok(!message.includes(hidden), `validate shows ${hidden}:\n${message}`);

    writeFileSync(file, good);
    const { logger, lines } = capturingLogger();
    const app = await App.start(loadConfigFile(file, env), { logger, configFile: file });
    const saved = { ...process.env };
    Object.assign(process.env, { MOORING_COOKIE_KEY: secret, KICK_PASSWORD: password });
    try {
      writeFileSync(file, bad);
      const admin = `http://127.0.0.1:${app.admin!.port}`;
      const auth = { authorization: 'Bearer admin-token-for-the-secrets-test' };
      const refused = await request(`${admin}/api/v1/reload`, { method: 'POST', headers: auth });
      const answer = await refused.body.text();
      assert.equal(refused.statusCode, 422);
      const status = await (await request(`${admin}/api/v1/status`, { headers: auth })).body.text();
      assert.match(status, /"applied": ?false/);
      const said = [answer, status, JSON.stringify(app.events.recent()), JSON.stringify(lines)];
      for (const text of said) for (const hidden of [secret, password, literal]) assert.ok(!text.includes(hidden), `shown: ${hidden} in ${text.slice(0, 300)}`);
      assert.match(answer, /\$\{MOORING_COOKIE_KEY\}/, 'the answer names the variable instead');
    } finally {
      process.env = saved;
      await app.stop(0);
      await backend.close();
    }
  });
});
