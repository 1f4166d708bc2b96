// An access line is always one line of valid JSON that gives back the record's values, whatever a
// client put in its Host or path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from './access-log.ts';
import type { RequestRecord } from './record.ts';

const record = (over: Partial<RequestRecord>): RequestRecord => ({
  kind: 'request',
  time: 1_764_000_000_123.4567,
  listener: 'web.main',
  clientIp: 'fe80::1%eth0',
  method: 'GET',
  host: 'example.com',
  path: '/',
  status: 200,
  bytesIn: 0,
  bytesOut: 12,
  service: 'app_1',
  datacenter: undefined,
  server: 'a-1',
  decision: 'cookie',
  attempts: 1,
  queueMs: 0,
  firstByteMs: 1.5,
  totalMs: 2.5,
  ended: 'complete',
  ...over,
});

describe('access line', () => {
  it('escapes what clients control and gives every value back', () => {
    for (const [host, path] of [
      ['a"b\\c', '/x"y\\z'],
      ['line\nbreak', '/tab\there\r\n{"injected":true}'],
      ['ünïcödé.example', '/😀/\u2028/\u0000'],
      [undefined, '*'],
    ] as const) {
      const line = accessLine(record({ host, path }));
      assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'exactly one line');
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.equal(parsed['host'], host ?? null);
      assert.equal(parsed['path'], path);
      assert.equal(parsed['clientIp'], 'fe80::1%eth0');
      assert.equal(parsed['datacenter'], null);
      assert.equal(parsed['time'], '2025-11-24T16:00:00.123Z');
      assert.equal(parsed['firstByteMs'], 1.5);
    }
  });
});
