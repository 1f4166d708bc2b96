// Hostile config input: a "billion laughs" file, many harmless aliases, a huge file, /dev/zero, a
// directory. Each gets one FILE:LINE (or FILE) message and exit code 1, never a stack trace, a
// hang, or unbounded memory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToEnd } from '../cli-process.ts';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';

const BASE = 'listeners:\n  - { name: web, address: "127.0.0.1:8080", service: shop }\n';

describe('security: config input', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mooring-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const validate = async (file: string) => {
    const result = await runToEnd(['validate', '--config', file], 30_000);
    assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at /, 'no stack trace');
    return result;
  };

  it('a "billion laughs" file: a config error at the first alias', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = join(dir, 'laughs.yaml');
    writeFileSync(file, `${BASE}${levels.join('\n')}\n`);
    const { code, stderr } = await validate(file);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`${file}:4: too many alias expansions \\(YAML \\*references, more than 1000\\)`));
  });

  it('a harmless file with 101 aliases is read like any other', async () => {
    const file = join(dir, 'aliases.yaml');
    const servers = Array.from({ length: 101 }, (_, i) => `      - { id: s${i}, url: "http://127.0.0.1:${9000 + i}", weight: *w }`).join('\n');
    writeFileSync(file, `${BASE}x-weight: &w 2\nservices:\n  - name: shop\n    servers:\n${servers}\n`);
    const { code, stderr } = await validate(file);
    assert.equal(code, 1, 'x-weight is not a key of the config');
    assert.match(stderr, /aliases\.yaml:3: x-weight: unknown key/);
    assert.doesNotMatch(stderr, /too many alias/);
  });

  it('a file over 1 MiB is refused before it is read', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `${BASE}# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const { code, stderr } = await validate(file);
    assert.equal(code, 1);
    assert.match(stderr, /huge\.yaml: is 2\.0 MiB; a config file may be at most 1 MiB/);
  });

  it('a key that is a list or a map is a config error at its line, not a warning', () => {
    const text = `${BASE}? [a, b]\n: 1\n`;
    assert.throws(() => parseConfigText(text, 'k.yaml', {}), (err: Error) => err instanceof ConfigError && err.message === 'k.yaml:3: a key must be a plain word, not a list or a map (YAML "? [a, b]: value")');
  });

  it('/dev/zero and a directory are refused as not config files', async () => {
    const zero = await validate('/dev/zero');
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /\/dev\/zero: is not a regular file \(a device, pipe or socket\)/);
    const folder = await validate(dir);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /: is a directory; expected a YAML or JSON file/);
    assert.doesNotMatch(folder.stderr, /EISDIR/);
  });
});
