// The mooring command as users run it: validate, --version, --help, demo, and the installed bin.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, runToEnd } from '../cli-process.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mooring-cli-')), 'mooring.yaml');
  writeFileSync(file, text);
  return file;
}

describe('mooring CLI', () => {
  it('validate: a misspelled key is reported with its line number, exit 1', async () => {
    const file = configFile(`listeners:
  - { name: web, address: "127.0.0.1:8080", service: shop }
services:
  - name: shop
    servers:
      - { id: a, url: "http://127.0.0.1:9001" }
    retires: 2
`);
    const { code, stderr } = await runToEnd(['validate', '--config', file]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7: services\\[0\\]\\.retires: unknown key \\(did you mean "retries"\\?\\)$`, 'm'));
    assert.match(stderr, /1 problem$/m);
  });

  it('validate: a good file, exit 0; a missing file, exit 1', async () => {
    const file = configFile('listeners: [{ name: web, address: "127.0.0.1:8080", service: s }]\nservices: [{ name: s, servers: [{ id: a, url: "http://127.0.0.1:1" }] }]\n');
    const good = await runToEnd(['validate', '--config', file]);
    assert.equal(good.code, 0);
    assert.match(good.stdout, /ok \(1 listener\(s\), 1 service\(s\)\)/);
    const missing = await runToEnd(['validate', '--config', join(tmpdir(), 'no-such-mooring.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-mooring\.yaml: cannot read the config file: no such file/);
  });

  it('--version, --help, and usage errors', async () => {
    assert.equal((await runToEnd(['--version'])).stdout.trim(), pkg.version);
    const help = await runToEnd(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /start --config FILE/);
    const bad = await runToEnd(['launch']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command "launch"/);
    const noConfig = await runToEnd(['start']);
    assert.equal(noConfig.code, 2, 'a usage error, not a config problem');
    assert.match(noConfig.stderr, /--config FILE is required/);
    assert.match(noConfig.stderr, /Usage: mooring start --config FILE/);
    const typo = await runToEnd(['strat']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command "strat"; did you mean "start"\?/);
    const two = await runToEnd(['validate', 'a.yaml', 'b.yaml']);
    assert.match(two.stderr, /unexpected argument "a\.yaml"/, 'one file at most after the command');
  });

  it('the shipped examples pass their own lint: no pitfall found', async () => {
    const env = { ...process.env, MOORING_COOKIE_KEY: 'lint-test-key-0123456789abcdef0123', MOORING_ADMIN_TOKEN: 'lint-test-token-0123456789' };
    for (const example of ['examples/demo.yaml', 'deploy/mooring.yaml']) {
      const run = runCli(['lint', '--config', fileURLToPath(new URL(`../../${example}`, import.meta.url))], env);
      assert.equal(await run.exit, 0, run.stderr());
      assert.match(run.stdout() + run.stderr(), /no pitfall found/, `${example}: ${run.stdout()}${run.stderr()}`);
    }
  });

  it('validate FILE is taken as validate --config FILE', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mooring-cli-')), 'positional.yaml');
    writeFileSync(file, 'listeners: [{ name: web, address: "127.0.0.1:0", service: app }]\nservices: [{ name: app, servers: [{ id: a, url: "http://127.0.0.1:9001" }] }]\n');
    const result = await runToEnd(['validate', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /positional\.yaml: ok/);
  });

  it('start: a port already in use is a clear error, exit 1', async () => {
    const first = runCli(['demo', '--port', '0']);
    try {
      const [, port] = await first.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const file = configFile(`listeners: [{ name: web, address: "127.0.0.1:${port}", service: s }]\nservices: [{ name: s, servers: [{ id: a, url: "http://127.0.0.1:1" }] }]\n`);
      const second = await runToEnd(['start', '--config', file]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`listener web cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('start: log.format pretty writes readable lines, not JSON', async () => {
    const file = configFile('listeners: [{ name: web, address: "127.0.0.1:0", service: s }]\nservices: [{ name: s, servers: [{ id: a, url: "http://127.0.0.1:1" }] }]\nlog: { format: pretty }\n');
    const run = runCli(['start', '--config', file]);
    try {
      const [line] = await run.waitFor(/^.*listening.*$/m);
      assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: /, line);
      assert.doesNotMatch(run.stdout(), /^\{/m);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('demo: the curl commands it prints work as it says; clean exit on SIGINT', async () => {
    const run = runCli(['demo', '--port', '0']);
    try {
      await run.waitFor(/Press Ctrl\+C to stop/);
      const commands = run.stdout().split('\n').filter((l) => l.startsWith('  ') && l.includes('curl')).map((l) => l.trim());
      assert.equal(commands.length, 3, run.stdout());
      const cwd = mkdtempSync(join(tmpdir(), 'mooring-demo-'));
      const shell = (command: string) => execFileSync('bash', ['-c', command], { cwd, encoding: 'utf8', timeout: 10_000 });
      const servers = (out: string) => [...out.matchAll(/server (\w)/g)].map((m) => m[1]);
      assert.deepEqual(servers(shell(commands[0]!)), ['a', 'b', 'c', 'a', 'b', 'c'], 'without a cookie: round-robin');
      const sticky = servers(shell(commands[1]!));
      assert.equal(sticky.length, 6);
      assert.equal(new Set(sticky).size, 1, `with a cookie jar: one server, got ${sticky}`);
      const explained = shell(commands[2]!);
      assert.match(explained, new RegExp(`^mooring-decision: honored; server=${sticky[0]}`, 'im'));
      // The dashboard it points to answers, and the token it prints opens the API.
      const dashboard = /dashboard.*: (http:\/\/127\.0\.0\.1:\d+\/)\n\s+admin token: (\S+)/.exec(run.stdout());
      assert.ok(dashboard, run.stdout());
      assert.match(shell(`curl -s ${dashboard[1]}`), /<title>Mooring<\/title>/);
      const status = JSON.parse(shell(`curl -s -H 'Authorization: Bearer ${dashboard[2]}' ${dashboard[1]}api/v1/status`)) as { listeners: unknown[] };
      assert.equal(status.listeners.length, 1);
      run.child.kill('SIGINT');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('the installed bin runs the compiled CLI', { skip: !existsSync(join(root, 'dist/cli.js')) && 'dist/ not built (npm test builds it)' }, () => {
    const out = execFileSync(process.execPath, [join(root, 'bin/mooring.js'), '--version'], { encoding: 'utf8' });
    assert.equal(out.trim(), pkg.version);
    // Run as a program (as npm's bin link and `npm start` do), its shebang's node flags apply.
    const direct = execFileSync(join(root, 'bin/mooring.js'), ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(direct.trim(), pkg.version);
    const flags = execFileSync(join(root, 'bin/mooring.js'), ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: `--import ${JSON.stringify(join(root, 'test/print-exec-argv.mjs'))}` },
    });
    assert.match(flags, /--max-semi-space-size=4/);
  });
});
