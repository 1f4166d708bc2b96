// Data-center settings are checked with everything else: every problem of a file in one answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigObject } from './load.ts';

const problemsOf = (raw: unknown): string[] => {
  try {
    parseConfigObject(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
};

const listeners = [{ name: 'web', address: '127.0.0.1:0', service: 'shop' }];

describe('data-center checks', () => {
  it('lists minServersUp over the server count and a kickstart on an active data center with the other errors, at once', () => {
    const problems = problemsOf({
      listeners,
      services: [
        {
          name: 'shop',
          retries: 'many',
          datacenters: [
            { name: 'a', minServersUp: 3, kickstart: { url: 'http://127.0.0.1:1/wake' }, servers: [{ id: 'a1', url: 'http://127.0.0.1:1' }] },
            { name: 'b', standby: true, servers: [{ id: 'b1', url: 'http://127.0.0.1:2' }] },
          ],
        },
      ],
    }).join('\n');
    assert.match(problems, /services\[0\]\.retries/);
    assert.match(problems, /services\[0\]\.datacenters\[0\]\.minServersUp: expected at most 1 \(the servers of data center a\), got 3/);
    assert.match(problems, /services\[0\]\.datacenters\[0\]\.kickstart: only a standby data center is kickstarted/);
  });

  it('says minServersUp: 0 is below 1 in those words', () => {
    const problems = problemsOf({ listeners, services: [{ name: 'shop', datacenters: [{ name: 'a', minServersUp: 0, servers: [{ id: 'a1', url: 'http://127.0.0.1:1' }] }] }] }).join('\n');
    assert.match(problems, /minServersUp: got 0; expected at least 1$/m);
    assert.doesNotMatch(problems, /9007199254740991/);
  });

  it('refuses monitorsRequired above the number of monitors', () => {
    const health = [{ path: '/a' }, { path: '/b' }];
    const problems = problemsOf({ listeners, services: [{ name: 'shop', health, monitorsRequired: 3, servers: [{ id: 'a1', url: 'http://127.0.0.1:1' }] }] }).join('\n');
    assert.match(problems, /services\[0\]\.monitorsRequired: expected at most 2 \(the monitors of service shop\), got 3/);
    assert.deepEqual(problemsOf({ listeners, services: [{ name: 'shop', health, monitorsRequired: 2, servers: [{ id: 'a1', url: 'http://127.0.0.1:1' }] }] }), []);
  });
});
