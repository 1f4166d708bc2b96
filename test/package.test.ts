// `npm ci` on a fresh clone prints no warning the project could avoid: every installed package with
// an install script has an explicit decision in package.json's allowScripts (npm 11 warns otherwise).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

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
});
