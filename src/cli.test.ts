// The command line without a process: each command's --help, keygen, and exit codes for usage
// mistakes (2) versus config problems (1).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe('cli', () => {
  for (const [command, usage, option] of [
    ['start', 'mooring start --config FILE [--watch]', '--watch'],
    ['validate', 'mooring validate --config FILE', '--config FILE'],
    ['demo', 'mooring demo [--port N]', '--port N'],
    ['lint', 'mooring lint --config FILE', '--config FILE'],
    ['simulate', 'mooring simulate --config FILE (--remove ID | --add ID | --drain ID) [--sessions N] [--service NAME] [--plot FILE.svg]', '--plot FILE.svg'],
    ['keygen', 'mooring keygen', '--help'],
  ] as const) {
    it(`${command} --help prints that command's usage and options, exit 0`, async () => {
      for (const args of [[command, '--help'], ['help', command]]) {
        const { code, out } = await run(args);
        assert.equal(code, 0);
        assert.ok(out.startsWith(`Usage: ${usage}\n`), out);
        assert.ok(out.includes(option));
      }
    });
  }

  it('the help ends with where the docs are in this installation', async () => {
    const { out } = await run(['--help']);
    const docs = /Documentation: (\S+config\.md)/.exec(out)?.[1];
    assert.ok(docs && docs.startsWith('/') && existsSync(docs), `docs at ${docs}`);
  });

  it('keygen prints a fresh 32-byte secret each time', async () => {
    const a = (await run(['keygen'])).out.trim();
    const b = (await run(['keygen'])).out.trim();
    assert.equal(Buffer.from(a, 'base64').length, 32);
    assert.notEqual(a, b);
  });

  it('usage mistakes exit 2 with the usage; config problems exit 1', async () => {
    for (const args of [['launch'], ['start'], ['validate', 'one.yaml', 'two.yaml'], ['validate', '--config', 'one.yaml', 'two.yaml'], ['validate', '--nope'], ['keygen', '--port', '1'], ['demo', '--port', 'x'], []]) {
      const { code, err, out } = await run(args);
      assert.equal(code, 2, `${args.join(' ')}`);
      assert.match(err + out, /Usage: mooring/);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'mooring-cli-')), 'bad.yaml');
    writeFileSync(file, 'listeners: []\n');
    assert.equal((await run(['validate', '--config', file])).code, 1);
  });

  it('validate names a YAML alias inside its own anchor in one line: no stack trace, exit 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mooring-cli-')), 'loop.yaml');
    writeFileSync(file, 'listeners: [{ name: w, address: "127.0.0.1:0", service: s }]\nservices: [{ name: s, servers: [{ id: a, url: "http://127.0.0.1:9" }] }]\nx: &a [*a]\n');
    const { code, err } = await run(['validate', '--config', file]);
    assert.equal(code, 1);
    assert.match(err, /loop\.yaml:3: x\[0\]: this value contains itself/);
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
  });
});
