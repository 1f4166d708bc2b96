// `store:` settings: a Redis URL is checked, and its password never appears in a message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigObject } from '../config/load.ts';
import { unchangeable } from '../config/unchangeable.ts';
import { describeStore, redactUrl } from './schema.ts';

const base = { listeners: [{ name: 'w', address: '127.0.0.1:0', service: 's' }], services: [{ name: 's', servers: [{ id: 'a', url: 'http://127.0.0.1:9001' }] }] };

describe('store settings', () => {
  it('hides the password of a Redis URL', () => {
    assert.equal(redactUrl('redis://:s3cret@10.0.0.9:6379/0'), 'redis://:****@10.0.0.9:6379/0');
    assert.equal(redactUrl('rediss://user:s3cret@redis.internal:6380'), 'rediss://user:****@redis.internal:6380');
    assert.equal(redactUrl('redis://10.0.0.9:6379'), 'redis://10.0.0.9:6379');
    assert.equal(redactUrl('redis://s3cret@10.0.0.9:6379'), 'redis://****@10.0.0.9:6379', 'a lone user info may be the password');
    assert.equal(redactUrl('http://:s3cret@10.0.0.9'), 'http://:****@10.0.0.9', 'a mistyped scheme too');
  });

  it('refuses a URL that is not redis:// or rediss://, without echoing its password', () => {
    for (const url of ['http://:s3cret@10.0.0.9:6379', 'redis://:s3cret@10.0.0.9:6379/?x=1', 'not a url s3cret']) {
      try {
        parseConfigObject({ ...base, store: { type: 'redis', url } });
        assert.fail(`accepted ${url}`);
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /store\.url: expected redis:\/\//);
        if (url.includes('@')) assert.doesNotMatch(err.message, /s3cret/, err.message);
      }
    }
    assert.equal(parseConfigObject({ ...base, store: { type: 'redis', url: 'rediss://:pw@10.0.0.9:6380/2' } }).store.type, 'redis');
  });

  const refusal = (store: unknown): string => {
    try {
      parseConfigObject({ ...base, store });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    return assert.fail(`accepted ${JSON.stringify(store)}`);
  };

  it('takes Redis through Sentinel: a master name and sentinels, instead of a URL', () => {
    const config = parseConfigObject({ ...base, store: { type: 'redis', sentinel: { name: 'shop', nodes: ['10.0.0.7:26379', '[::1]:26380'], password: 's3cret', sentinelPassword: 'm0re' }, prefix: 'shop:' } });
    assert.ok(config.store.type === 'redis' && config.store.sentinel);
    assert.deepEqual(config.store.sentinel.nodes, [{ host: '10.0.0.7', port: 26379 }, { host: '::1', port: 26380 }]);
    assert.equal(describeStore(config.store), 'redis sentinel shop via 10.0.0.7:26379,[::1]:26380 prefix shop: timeout 250ms');
    assert.match(refusal({ type: 'redis' }), /store\.url: expected url: "redis:\/\/HOST:6379" \(one Redis\) or sentinel: \{ name, nodes \}/);
    assert.match(refusal({ type: 'redis', url: 'redis://10.0.0.9', sentinel: { name: 'shop', nodes: ['10.0.0.7:26379'] } }), /store\.sentinel: expected url or sentinel, not both/);
    assert.match(refusal({ type: 'redis', sentinel: { name: 'shop', nodes: ['10.0.0.7'] } }), /store\.sentinel\.nodes\[0\]: expected a sentinel's HOST:PORT such as 10\.0\.0\.7:26379, got "10\.0\.0\.7"/);
    assert.match(refusal({ type: 'redis', sentinel: { name: 'shop', nodes: [] } }), /store\.sentinel\.nodes: expected at least one sentinel/);
  });

  it('names a store change that needs a restart without its password', () => {
    const at = (password: string) => parseConfigObject({ ...base, store: { type: 'redis', sentinel: { name: 'shop', nodes: ['10.0.0.7:26379'], password } } });
    const [problem] = unchangeable(at('s3cret'), at('n3wer'));
    assert.match(problem!, /^store cannot change without a restart \(running: redis sentinel shop via 10\.0\.0\.7:26379 .*, with another password\)$/);
    assert.doesNotMatch(problem!, /s3cret|n3wer/);
  });
});
