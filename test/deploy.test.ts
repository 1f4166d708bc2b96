// The deployment files hold what docs/deploy.md says of them: the Dockerfile (multi-stage, a slim
// Node LTS image, an unprivileged user, SIGTERM, a health check that really answers) and the systemd
// unit (reload by SIGHUP, a stop timeout matching the shutdown grace, port 80 without root, enough
// descriptors; `systemd-analyze verify` where present), and the config they run validates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { runCli } from './cli-process.ts';
import { startBackend, startMooring } from './helpers.ts';
import { parseDuration } from '../src/core/duration.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const run = promisify(execFile);

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1).trim() }));
}

/** A systemd unit's settings, by name (the last value of each). */
function unitSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

const shutdownMs = () => parseDuration((parse(read('deploy/mooring.yaml')) as { timeouts: { shutdown: string } }).timeouts.shutdown)!;

describe('deployment files', () => {
  it('Dockerfile: multi-stage, a slim current Node LTS, non-root, SIGTERM, mooring start, and every file it copies exists', () => {
    const steps = instructions(read('deploy/Dockerfile'));
    const froms = steps.filter((s) => s.op === 'FROM');
    assert.ok(froms.length >= 2, 'a build stage and a run stage');
    assert.match(froms.at(-1)!.args, /^node:(24|26)-[a-z]+-slim$/, 'the run stage is a slim image of an LTS line users run');
    const user = steps.filter((s) => s.op === 'USER').at(-1);
    assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'runs as an unprivileged user');
    assert.equal(steps.find((s) => s.op === 'STOPSIGNAL')?.args, 'SIGTERM');
    const entry = JSON.parse(steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(steps.find((s) => s.op === 'CMD')!.args) as string[];
    assert.deepEqual(cmd.slice(0, 2), ['start', '--config']);
    assert.ok(entry.includes('bin/mooring.js'));
    for (const copy of steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) assert.ok(existsSync(join(root, source)), `COPY ${source}: exists in the repository`);
    }
  });

  it('Dockerfile: its health check answers 0 against a running Mooring and 1 when nothing listens', async () => {
    const healthcheck = instructions(read('deploy/Dockerfile')).find((s) => s.op === 'HEALTHCHECK')!.args;
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];
    assert.equal(command[0], 'node');
    const backend = await startBackend('a');
    const app = await startMooring([backend], { top: { admin: { address: '127.0.0.1:0', token: 'deploy-test-token-0123456789' } } });
    try {
      const against = (port: number) => command.slice(1).map((arg) => arg.replace('127.0.0.1:9901', `127.0.0.1:${port}`));
      await run(process.execPath, against(app.admin!.port), { timeout: 10_000 });
      await assert.rejects(run(process.execPath, against(1), { timeout: 10_000 }), (err: { code?: number }) => err.code === 1);
    } finally {
      await app.stop(0);
      await backend.close();
    }
  });

  it('systemd unit: reload by SIGHUP, stop timeout = shutdown grace + 5 s, port 80 without root, descriptors', () => {
    const unit = unitSettings(read('deploy/mooring.service'));
    assert.equal(unit.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(Number(unit.get('TimeoutStopSec')) * 1000, shutdownMs() + 5000);
    assert.match(unit.get('AmbientCapabilities') ?? '', /\bCAP_NET_BIND_SERVICE\b/);
    assert.ok(Number(unit.get('LimitNOFILE')) >= 65536);
    assert.match(unit.get('ExecStart') ?? '', /mooring start --config \/etc\/mooring\/mooring\.yaml$/);
    assert.notEqual(unit.get('User'), 'root');
  });

  it('systemd unit: systemd-analyze verify finds nothing (where systemd-analyze is installed)', (t) => {
    let present = true;
    try {
      execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    } catch {
      present = false;
    }
    if (!present) return t.skip('systemd-analyze is not installed here');
    const verified = spawnSync('systemd-analyze', ['verify', join(root, 'deploy/mooring.service')], { encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal(`${verified.stdout}${verified.stderr}`.trim(), '', 'no warning either (an unknown key is only a warning)');
  });

  it('the config they run validates, with its secrets from the environment', async () => {
    const env = { ...process.env, MOORING_COOKIE_KEY: 'deploy-cookie-key-0123456789abcdef', MOORING_ADMIN_TOKEN: 'deploy-admin-token-0123456789' };
    const check = runCli(['validate', '--config', join(root, 'deploy/mooring.yaml')], env);
    assert.equal(await check.exit, 0, check.stderr());
    assert.match(check.stdout(), /ok \(1 listener\(s\), 1 service\(s\)\)/);
  });

  it('the Grafana dashboard is valid JSON whose every query names a metric Mooring exports', async () => {
    const dashboard = JSON.parse(read('deploy/grafana-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const backend = await startBackend('a');
    const app = await startMooring([backend], { top: { admin: { address: '127.0.0.1:0', token: 'grafana-test-token-0123456789', metricsToken: false } } });
    try {
      const text = await (await fetch(`http://127.0.0.1:${app.admin!.port}/metrics`)).text();
      const exported = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
      // Families with no series in this small setup (an HTTPS listener's certificates) are checked against the documented list.
      for (const m of read('docs/metrics.md').matchAll(/^\| `(mooring_[a-z_]+)`/gm)) exported.add(m[1]!);
      assert.ok(dashboard.panels.length >= 10);
      for (const panel of dashboard.panels) {
        assert.ok(panel.targets.length > 0, panel.title);
        for (const { expr } of panel.targets) {
          for (const [name] of expr.matchAll(/\b(?:mooring|process|nodejs)_[a-z0-9_]+/g)) {
            const family = name.replace(/_(bucket|sum|count)$/, '');
            assert.ok(exported.has(family), `${panel.title}: ${name} is not exported`);
          }
        }
      }
    } finally {
      await app.stop(0);
      await backend.close();
    }
  });
});
