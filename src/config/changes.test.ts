import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configChanges } from './changes.ts';
import { parseConfigObject } from './load.ts';

const base = () => ({
  listeners: [{ name: 'web', address: '127.0.0.1:0', service: 'shop' }],
  services: [
    {
      name: 'shop',
      servers: [
        { id: 's1', url: 'http://10.0.0.1:80' },
        { id: 's2', url: 'http://10.0.0.2:80', weight: 1 },
      ],
      persistence: { method: 'cookie', keys: ['a-very-secret-cookie-key-0123456789'] },
    },
  ],
});

describe('config changes, as a reload reports them', () => {
  it('says nothing changed for the same file', () => {
    assert.deepEqual(configChanges(parseConfigObject(base()), parseConfigObject(base())), []);
  });

  it('names servers added and removed by id, numbers with their values, other values without', () => {
    const next = base();
    next.services[0]!.servers = [
      { id: 's2', url: 'http://10.0.0.9:80', weight: 3 },
      { id: 's3', url: 'http://10.0.0.3:80' },
    ];
    const changes = configChanges(parseConfigObject(base()), parseConfigObject(next));
    assert.deepEqual(changes, [
      'services[shop].servers: removed s1',
      'services[shop].servers: added s3',
      'services[shop].servers[s2].url: changed',
      'services[shop].servers[s2].weight: 1 → 3',
    ]);
  });

  it('never shows a secret, and names a changed key list without its values', () => {
    const next = base();
    next.services[0]!.persistence.keys = ['another-very-secret-key-0123456789abc'];
    const changes = configChanges(parseConfigObject(base()), parseConfigObject(next));
    assert.deepEqual(changes, ['services[shop].persistence.keys: changed']);
    assert.doesNotMatch(changes.join('\n'), /secret/);
  });

  it('shows durations in milliseconds, and listeners by name', () => {
    const next = { ...base(), timeouts: { response: '10s' }, listeners: [...base().listeners, { name: 'api', address: '127.0.0.1:0', service: 'shop' }] };
    const changes = configChanges(parseConfigObject(base()), parseConfigObject(next));
    assert.deepEqual(changes, ['listeners: added api', 'timeouts.response: 30000 → 10000']);
  });
});
