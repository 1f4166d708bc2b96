// Cookie keys never appear in Mooring's log: not at start, not per request, not in events or errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
});
