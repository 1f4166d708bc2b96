// An access line is always one line of valid JSON, byte for byte what JSON.stringify makes of the
// record's values, whatever a client put in its Host or path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessLine, createAccessLog } from './access-log.ts';
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
  degraded: false,
  attempts: 1,
  queueMs: 0,
  firstByteMs: 1.5,
  totalMs: 2.5,
  ended: 'complete',
  ...over,
});

/** The line as JSON.stringify writes it: the reference the hand-written bytes must equal. */
const reference = (r: RequestRecord): string =>
  JSON.stringify({
    kind: r.kind,
    time: new Date(Math.floor(r.time)).toISOString(),
    listener: r.listener,
    clientIp: r.clientIp,
    method: r.method,
    host: r.host ?? null,
    path: r.path,
    status: r.status,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    service: r.service,
    datacenter: r.datacenter ?? null,
    server: r.server ?? null,
    decision: r.decision,
    ...(r.degraded ? { degraded: true } : {}),
    attempts: r.attempts,
    queueMs: Math.round(r.queueMs * 10) / 10,
    firstByteMs: Math.round(r.firstByteMs * 10) / 10,
    totalMs: Math.round(r.totalMs * 10) / 10,
    ended: r.ended,
  }) + '\n';

describe('access line', () => {
  it('marks a decision made while the shared session store was unreachable, and only such a one', () => {
    assert.equal(accessLine(record({ degraded: true })), reference(record({ degraded: true })));
    assert.match(accessLine(record({ degraded: true })), /"decision":"cookie","degraded":true,"attempts"/);
    assert.doesNotMatch(accessLine(record({})), /degraded/);
  });

  it('escapes what clients control and gives every value back', () => {
    for (const [host, path] of [
      ['a"b\\c', '/x"y\\z'],
      ['line\nbreak', '/tab\there\r\n{"injected":true}'],
      ['ünïcödé.example', '/😀/\u2028/\u0000'],
      ['lone\ud800surrogate', '/\udfff\u007f\u0080\u00ff'],
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
      assert.equal(line, reference(record({ host, path })));
    }
  });

  it('writes numbers and times exactly as JSON.stringify does', () => {
    const cases: Partial<RequestRecord>[] = [
      { status: 0, bytesIn: 0, bytesOut: 0, attempts: 0, queueMs: -1, firstByteMs: -1, totalMs: 0 },
      { status: 599, bytesIn: 9_007_199_254_740_991, bytesOut: 1e21, queueMs: 0.1, firstByteMs: 10.9, totalMs: 123_456.7 },
      { queueMs: -0.04, firstByteMs: 0.05, totalMs: 99.95, bytesIn: 10, bytesOut: 100 },
      { time: 0, totalMs: 1e-7 },
      { time: 1_764_000_000_999.999, datacenter: 'eu-west', server: undefined, kind: 'tunnel', ended: 'tunnel-closed' },
      { time: 1_764_000_001_000, method: 'PROPFIND', clientIp: '203.0.113.9' },
    ];
    for (const over of cases) assert.equal(accessLine(record(over)), reference(record(over)), JSON.stringify(over));
  });

  it('writes every line, in order, across batches and lines longer than a batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-access-'));
    try {
      const file = join(dir, 'access.log');
      const log = createAccessLog(file, (err) => assert.fail(err));
      // Short lines fill several 64 KiB batches; a 20,000-character path (up to 6 bytes each once
      // escaped) cannot fit one and goes alone between them.
      const paths = Array.from({ length: 1500 }, (_, i) => (i === 700 ? `/${'\u0001'.repeat(10_000)}${'x'.repeat(10_000)}` : `/p/${i}`));
      for (let i = 0; i < paths.length; i += 100) log.sink(paths.slice(i, i + 100).map((path) => record({ path })));
      await log.close();
      const lines = readFileSync(file, 'utf8').split('\n');
      assert.equal(lines.pop(), '', 'ends with a newline');
      assert.deepEqual(lines.map((line) => (JSON.parse(line) as { path: string }).path), paths);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
