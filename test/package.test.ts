// `npm ci` on a fresh clone prints no warning the project could avoid: every installed package with
// an install script has an explicit decision in package.json's allowScripts (npm 11 warns otherwise).
// And a clone stands on its own: no file reaches for a path outside the repository.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Every file under dir, skipping dependencies, build output and binaries. */
function textFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.git', 'test-artifacts', '.bench'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...textFiles(path));
    else if (/\.(ts|js|mjs|json|md|yaml|yml|sh|html|css)$|^run$/.test(entry.name)) out.push(path);
  }
  return out;
}

function installedPackages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) out.push(...readdirSync(join(dir, name)).map((n) => `${name}/${n}`));
    else out.push(name);
  }
  return out;
}

describe('package', () => {
  it('every installed package with an install script is decided in allowScripts', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const modules = join(root, 'node_modules');
    const withScripts = installedPackages(modules).filter((name) => {
      const file = join(modules, name, 'package.json');
      if (!existsSync(file)) return false;
      const scripts = (JSON.parse(readFileSync(file, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
      return ['preinstall', 'install', 'postinstall'].some((s) => s in scripts);
    });
    assert.ok(withScripts.length > 0, 'esbuild (through tsx) has a postinstall: the check sees it');
    for (const name of withScripts) assert.ok(pkg.allowScripts && name in pkg.allowScripts, `${name} has an install script and no allowScripts entry`);
  });

  it('no file of the project names a path outside the repository (a user\'s clone has only itself)', () => {
    const files = textFiles(root);
    assert.ok(files.some((f) => f.endsWith('package.test.ts')), 'the walk sees the test files');
    const outside = /\.\.\/(?:\.\.\/)*(?:shared|\.library)\//;
    const offenders = files.filter((f) => outside.test(readFileSync(f, 'utf8')) && !f.endsWith('package.test.ts'));
    assert.deepEqual(offenders, []);
  });

  it('the published package holds the licence, the built CLI, the dashboard and deploy files, and no source map pointing at unshipped sources', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [{ files: { path: string }[] }];
    const files = packed.files.map((f) => f.path);
    for (const needed of ['LICENSE', 'bin/mooring.js', 'dist/cli.js', 'src/admin/dashboard/index.html', 'deploy/Dockerfile', 'deploy/mooring.service']) assert.ok(files.includes(needed), `${needed} is in the package`);
    assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
    assert.deepEqual(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript source');
  });
});
