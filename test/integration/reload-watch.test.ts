// `mooring start --watch`: saving the config file reloads it, both as editors do it (a new file
// renamed over the old) and in place; an invalid save is refused and the running config stays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type Running } from '../cli-process.ts';
import { get, startBackend, waitFor, type Backend } from '../helpers.ts';

describe('start --watch', () => {
  let backends: Backend[];
  let dir: string;
  let file: string;
  let run: Running;
  let url: string;

  const config = (ids: string[], extra = '') =>
    [
      'listeners: [{ name: web, address: "127.0.0.1:0", service: app }]',
      'services:',
      '  - name: app',
      '    servers:',
      ...ids.map((id) => `      - { id: ${id}, url: "${backends.find((b) => b.name === id)!.url}" }`),
      extra,
      '',
    ].join('\n');

  /** Which servers answer 6 requests in a row (round-robin covers each of up to 3 twice). */
  const answering = async () => new Set(await Promise.all(Array.from({ length: 6 }, async () => (await get(url)).body)));

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    dir = mkdtempSync(join(tmpdir(), 'mooring-watch-'));
    file = join(dir, 'mooring.yaml');
    writeFileSync(file, config(['a']));
    run = runCli(['start', '--config', file, '--watch']);
    const [line] = await run.waitFor(/^.*"msg":"listening".*$/m);
    url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  });
  after(async () => {
    run.child.kill('SIGKILL');
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('applies a file renamed over the old one, as editors save', async () => {
    assert.deepEqual([...(await answering())], ['a']);
    const next = join(dir, '.mooring.yaml.swp');
    writeFileSync(next, config(['a', 'b']));
    renameSync(next, file);
    await waitFor(() => /"msg":"mooring: reload/.test(run.stdout()), 5000, 'a reload logged');
    assert.deepEqual([...(await answering())].sort(), ['a', 'b']);
  });

  it('applies a file written in place', async () => {
    writeFileSync(file, config(['a', 'b', 'c']));
    const until = Date.now() + 5000;
    let seen = new Set<string>();
    while (Date.now() < until && !seen.has('c')) {
      seen = await answering();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });

  it('refuses an invalid save with its errors and keeps serving the running config', async () => {
    writeFileSync(file, config(['a'], '    retires: 2'));
    await waitFor(() => /reload-refused[^\n]*retires/.test(run.stdout()), 5000, 'the refusal logged with the key');
    assert.deepEqual([...(await answering())].sort(), ['a', 'b', 'c']);
    assert.equal(run.child.exitCode, null, 'still running');
  });

  it('refuses a file whose YAML alias contains itself, by --watch and by SIGHUP, and never dies of it', async () => {
    writeFileSync(file, `${config(['a'])}x: &loop [*loop]\n`);
    await waitFor(() => /reload-refused[^\n]*x\[0\]: this value contains itself/.test(run.stdout()), 5000, 'the refusal logged');
    const refusals = (run.stdout().match(/reload-refused/g) ?? []).length;
    run.child.kill('SIGHUP');
    await waitFor(() => (run.stdout().match(/reload-refused/g) ?? []).length > refusals, 5000, 'the SIGHUP reload refused too');
    assert.deepEqual([...(await answering())].sort(), ['a', 'b', 'c'], 'the running config still serves');
    assert.equal(run.child.exitCode, null, 'still running');
  });
});
