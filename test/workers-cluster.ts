// What the workers tests share: a real primary with two worker processes (mooring start with
// workers: 2) on a config file, fresh connections per request, the primary's children.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { CookieJar, waitFor, type Backend } from './helpers.ts';
import { runCli, type Running } from './cli-process.ts';

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A fresh connection per request (so the primary hands requests to both workers). */
export async function fresh(url: string, jar: CookieJar) {
  const res = await request(url, { headers: { ...jar.header(), connection: 'close' }, reset: true });
  jar.take(res.headers['set-cookie']);
  return res.body.text();
}

/** `mooring start` on `file` (workers: 2); resolves once both workers are ready, with the port. */
export async function startTwoWorkers(file: string): Promise<{ run: Running; port: string }> {
  const run = runCli(['start', '--config', file]);
  try {
    const [, port] = await run.waitFor(/"port":(\d+)/);
    await waitFor(() => (run.stdout().match(/worker ready/g) ?? []).length === 2, 15_000, 'two workers');
    return { run, port: port! };
  } catch (err) {
    run.child.kill('SIGKILL');
    throw err;
  }
}

/** Two workers on `file` for `body`, then a clean SIGTERM stop (exit 0); `cleanup` runs whatever happens. */
export async function withTwoWorkers(file: string, body: (port: string) => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
  let started: { run: Running; port: string } | undefined;
  try {
    started = await startTwoWorkers(file);
    await body(started.port);
    started.run.child.kill('SIGTERM');
    assert.equal(await started.run.exit, 0);
  } finally {
    started?.run.child.kill('SIGKILL');
    await cleanup();
  }
}

/** One service `app` over `servers` with `persistence`, two workers, and with `prefix` the machine's Redis as the store. */
export function groupConfig(persistence: string, servers: readonly Backend[], prefix?: string): string {
  return `listeners: [{ name: web, address: "127.0.0.1:0", service: app }]
services:
  - name: app
    persistence: ${persistence}
    servers: [${servers.map((b) => `{ id: ${b.name}, url: "${b.url}" }`).join(', ')}]
${prefix ? `store: { type: redis, url: "redis://127.0.0.1:6379", prefix: "${prefix}" }` : ''}
workers: 2
timeouts: { shutdown: 5s }
`;
}
