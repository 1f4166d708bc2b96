// `store:` settings: a Redis URL is checked, and its password never appears in a message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigObject } from '../config/load.ts';
import { redactUrl } from './schema.ts';

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
});
