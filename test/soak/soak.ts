// The soak: a real Mooring process in front of real backend processes, a steady load of clients
// that keep their cookies, and a schedule of faults (kill -9 and restart, SIGSTOP hang, reloads
// that add and remove servers and change weights, drain, disable, a health flap). It counts what
// every request got, which clients were moved and why, and Mooring's memory and descriptors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { CookieJar } from '../helpers.ts';
import { BackendProcess, footprint, freePort, startMooringProcess, type MooringProcess } from './processes.ts';

export interface SoakOptions {
  /** How long the load runs; the fault steps repeat over it, one every 4.5 s (40 s: each step once). */
  readonly seconds: number;
  /** Requests per second, over all clients. */
  readonly rate: number;
  /** Clients, each with its own cookies, one request at a time; each starts a new session every 40 requests. */
  readonly clients: number;
  /** Progress, a line at a time. */
  readonly say?: (line: string) => void;
}

export interface Sample {
  /** Seconds since the load began. */
  readonly at: number;
  readonly requestsPerSecond: number;
  readonly rssMiB: number;
  readonly fds: number;
}

export interface SoakReport {
  readonly sent: number;
  /** Requests not sent because every client was waiting for an answer (the load was behind). */
  readonly notSent: number;
  /** Failed requests by cause (`GET 502 MOORING_UPSTREAM_RESET`, `POST UND_ERR_SOCKET`). */
  readonly failed: Record<string, number>;
  readonly failedIdempotent: number;
  /** The first failures, each with when it came (seconds since the load began). */
  readonly firstFailures: readonly string[];
  /** Clients moved to another server, by the reason Mooring gave the server it moved to. */
  readonly moved: Record<string, number>;
  /** A client with a session answered by another server with no reason given. */
  readonly movedSilently: number;
  readonly samples: readonly Sample[];
  /** Mooring's open descriptors at rest before the load and after it. */
  readonly fdsBefore: number;
  readonly fdsAfter: number;
  readonly faults: readonly string[];
  /** Why the soak failed; empty when it passed. */
  readonly problems: readonly string[];
}

const KEY = 'soak-key-0123456789abcdef0123456789';
const TOKEN = 'soak-admin-token-0123456789abcdef';
const NEW_SESSION_EVERY = 40;
/** A fault step every this often: the longest (a restart after 3 s) done, and a second for things to settle. */
const STEP_MS = 4_500;
/** Descriptors Mooring may hold after the load beyond those before it (a health probe reconnecting). */
const FD_SLACK = 3;

interface ServerSpec {
  readonly id: string;
  readonly weight: number;
}

interface Client {
  readonly jar: CookieJar;
  server: string | undefined;
  requests: number;
  busy: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const say = options.say ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'mooring-soak-'));
  const configFile = join(dir, 'mooring.yaml');
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const backends = new Map<string, BackendProcess>();
  for (const id of ['s1', 's2', 's3', 's4', 's5']) backends.set(id, new BackendProcess(id, await freePort()));
  const base: ServerSpec[] = ['s1', 's2', 's3', 's4'].map((id) => ({ id, weight: 1 }));

  const writeConfig = (servers: readonly ServerSpec[]) =>
    writeFileSync(
      configFile,
      [
        `listeners: [{ name: web, address: "127.0.0.1:${listenPort}", service: app }]`,
        'services:',
        '  - name: app',
        '    servers:',
        ...servers.map((s) => `      - { id: ${s.id}, url: "${backends.get(s.id)!.url}", weight: ${s.weight} }`),
        '    health: { path: /health, interval: 500ms, timeout: 400ms, rise: 2, fall: 2 }',
        '    passive: { consecutiveFailures: 3, ejectFor: 2s }',
        '    retries: 2',
        '    retryOn: [timeout]',
        '    pool: { keepAlive: 2s }',
        `    persistence: { method: cookie, keys: ["${KEY}"], cookie: { idleTimeout: 10m } }`,
        `admin: { address: "127.0.0.1:${adminPort}", token: "${TOKEN}" }`,
        'timeouts: { perTry: 1s, response: 10s, shutdown: 2s }',
        'log: { level: info }',
        '',
      ].join('\n'),
    );

  const agent = new Agent({ connections: 256, keepAliveTimeout: 5_000 });
  const adminAgent = new Agent({ connections: 4 });
  let mooring: MooringProcess | undefined;
  const faults: string[] = [];
  const failed: Record<string, number> = {};
  const moved: Record<string, number> = {};
  const samples: Sample[] = [];
  const problems: string[] = [];
  let sent = 0;
  let notSent = 0;
  let failedIdempotent = 0;
  const firstFailures: string[] = [];
  let loadStart = 0;
  let movedSilently = 0;
  let answeredInSecond = 0;

  try {
    for (const id of ['s1', 's2', 's3', 's4']) await backends.get(id)!.start();
    writeConfig(base);
    mooring = await startMooringProcess(configFile);
    const pid = mooring.pid;
    const url = `http://127.0.0.1:${listenPort}`;
    // At rest: monitors have made their connections, nothing else is open.
    await sleep(1500);
    const fdsBefore = footprint(pid).fds;
    say(`mooring pid ${pid} on ${url}; ${fdsBefore} descriptors at rest; ${options.rate} requests/s from ${options.clients} clients for ${options.seconds} s`);

    const admin = async (method: 'PATCH' | 'POST', path: string, body?: unknown) => {
      const res = await request(`http://127.0.0.1:${adminPort}${path}`, {
        method,
        dispatcher: adminAgent,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) problems.push(`admin ${method} ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
      return text;
    };
    const reload = async (servers: readonly ServerSpec[], what: string) => {
      writeConfig(servers);
      const answer = JSON.parse(await admin('POST', '/api/v1/reload')) as { applied?: boolean };
      if (answer.applied !== true) problems.push(`reload (${what}) was not applied: ${JSON.stringify(answer)}`);
    };

    const clients: Client[] = Array.from({ length: options.clients }, () => ({ jar: new CookieJar(), server: undefined, requests: 0, busy: false }));
    let nextClient = 0;
    const fire = async (client: Client, n: number) => {
      client.busy = true;
      const method = n % 10 === 9 ? 'POST' : 'GET';
      const idempotent = method === 'GET';
      const note = (cause: string) => {
        failed[`${method} ${cause}`] = (failed[`${method} ${cause}`] ?? 0) + 1;
        if (firstFailures.length < 20) firstFailures.push(`${((Date.now() - loadStart) / 1000).toFixed(1)} s: ${method} ${cause} (client's server: ${client.server ?? 'none yet'})`);
        if (idempotent) failedIdempotent++;
      };
      try {
        const res = await request(url, {
          method,
          dispatcher: agent,
          headers: client.jar.header(),
          body: method === 'POST' ? 'x'.repeat(512) : undefined,
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
        });
        const body = await res.body.text();
        if (res.statusCode !== 200) return note(`${res.statusCode} ${/MOORING_[A-Z_]+/.exec(body)?.[0] ?? body.trim().slice(0, 60)}`);
        answeredInSecond++;
        const servedBy = String(res.headers['x-served-by']);
        const from = res.headers['x-migrated-from'];
        if (typeof from === 'string') {
          const reason = /reason=([a-z-]+)/.exec(from)?.[1] ?? 'unknown';
          moved[reason] = (moved[reason] ?? 0) + 1;
        } else if (client.server !== undefined && client.server !== servedBy) {
          movedSilently++;
        }
        client.jar.take(res.headers['set-cookie']);
        client.server = servedBy;
      } catch (err) {
        note((err as { code?: string }).code ?? (err as Error).name);
      } finally {
        client.busy = false;
        if (++client.requests % NEW_SESSION_EVERY === 0) {
          client.jar.cookies.clear();
          client.server = undefined;
        }
      }
    };

    // The load: `rate` requests a second, each to the next client not waiting for an answer.
    const start = (loadStart = Date.now());
    const endAt = start + options.seconds * 1000;
    const inFlight = new Set<Promise<void>>();
    const load = setInterval(() => {
      const due = Math.min(Math.floor(((Date.now() - start) / 1000) * options.rate), options.seconds * options.rate) - sent - notSent;
      for (let i = 0; i < due; i++) {
        let client: Client | undefined;
        for (let tries = 0; tries < clients.length && !client; tries++) {
          const candidate = clients[nextClient++ % clients.length]!;
          if (!candidate.busy) client = candidate;
        }
        if (!client) {
          notSent++;
          continue;
        }
        const p = fire(client, sent++);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    }, 10);
    const sampler = setInterval(() => {
      const { rssMiB, fds } = footprint(pid);
      samples.push({ at: Math.round((Date.now() - start) / 1000), requestsPerSecond: answeredInSecond, rssMiB, fds });
      answeredInSecond = 0;
    }, 1000);

    // The faults, spread evenly over the load, each undone before the next.
    const steps: [string, () => Promise<void>][] = [
      ['kill -9 s1, restarted 3 s later', async () => { await backends.get('s1')!.kill(); await sleep(3000); await backends.get('s1')!.start(); }],
      ['SIGSTOP s2 (hung) for 3 s', async () => { backends.get('s2')!.hang(); await sleep(3000); backends.get('s2')!.resume(); }],
      ['reload: add s5', async () => { await backends.get('s5')!.start(); await reload([...base, { id: 's5', weight: 1 }], 'add s5'); }],
      ['drain s3 for 3 s, then enable', async () => { await admin('PATCH', '/api/v1/servers/s3', { state: 'draining' }); await sleep(3000); await admin('PATCH', '/api/v1/servers/s3', { state: 'enabled' }); }],
      ['reload: weights s1 3, s5 2', async () => { await reload([{ id: 's1', weight: 3 }, ...base.slice(1), { id: 's5', weight: 2 }], 'weights'); }],
      ['disable s4 for 3 s, then enable', async () => { await admin('PATCH', '/api/v1/servers/s4', { state: 'disabled' }); await sleep(3000); await admin('PATCH', '/api/v1/servers/s4', { state: 'enabled' }); }],
      ['health flap: s2 fails /health for 3 s', async () => { await backends.get('s2')!.health(false); await sleep(3000); await backends.get('s2')!.health(true); }],
      ['reload: remove s5 (stopped 3 s later), weights back', async () => { await reload(base, 'remove s5'); await sleep(3000); await backends.get('s5')!.kill(); }],
    ];
    // Round after round of the steps, one every STEP_MS, the last ending before the load does.
    for (let i = 0; start + 1000 + i * STEP_MS + STEP_MS <= endAt; i++) {
      const [what, act] = steps[i % steps.length]!;
      const at = start + 1000 + i * STEP_MS;
      if (Date.now() < at) await sleep(at - Date.now());
      faults.push(`${((Date.now() - start) / 1000).toFixed(1)} s: ${what}`);
      say(faults.at(-1)!);
      await act();
    }
    if (Date.now() < endAt) await sleep(endAt - Date.now());
    clearInterval(load);
    await Promise.race([Promise.allSettled([...inFlight]), sleep(20_000)]);
    clearInterval(sampler);
    await agent.close();
    await adminAgent.close();

    // At rest again: client connections closed, idle pool connections past their keep-alive.
    let fdsAfter = footprint(pid).fds;
    for (let i = 0; i < 40 && fdsAfter > fdsBefore + FD_SLACK; i++) {
      await sleep(250);
      fdsAfter = footprint(pid).fds;
    }
    if (failedIdempotent > 0) problems.push(`${failedIdempotent} idempotent request(s) failed`);
    if (fdsAfter > fdsBefore + FD_SLACK) problems.push(`open descriptors grew from ${fdsBefore} to ${fdsAfter}`);
    if (movedSilently > 0) problems.push(`${movedSilently} client(s) with a session were answered by another server with no Mooring-Migrated-From`);
    if (mooring.child.exitCode !== null) problems.push(`mooring exited (${mooring.child.exitCode}) during the soak`);
    return { sent, notSent, failed, failedIdempotent, firstFailures, moved, movedSilently, samples, fdsBefore, fdsAfter, faults, problems };
  } finally {
    await mooring?.stop();
    await Promise.all([...backends.values()].map((b) => b.kill()));
    await agent.destroy().catch(() => {});
    await adminAgent.destroy().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as an operator reads it. */
export function formatReport(r: SoakReport): string {
  const lines = [
    `requests sent: ${r.sent} (not sent, every client waiting: ${r.notSent})`,
    `failed: ${Object.keys(r.failed).length === 0 ? 'none' : Object.entries(r.failed).map(([cause, n]) => `${n} × ${cause}`).join(', ')}`,
    ...r.firstFailures.map((f) => `  ${f}`),
    `clients moved: ${Object.keys(r.moved).length === 0 ? 'none' : Object.entries(r.moved).map(([reason, n]) => `${n} × ${reason}`).join(', ')}; moved with no reason given: ${r.movedSilently}`,
    `descriptors at rest: ${r.fdsBefore} before, ${r.fdsAfter} after`,
    'faults:',
    ...r.faults.map((f) => `  ${f}`),
    'time  answered/s  RSS MiB  fds',
    ...r.samples.map((s) => `${String(s.at).padStart(4)}  ${String(s.requestsPerSecond).padStart(10)}  ${s.rssMiB.toFixed(1).padStart(7)}  ${String(s.fds).padStart(4)}`),
    r.problems.length === 0 ? 'PASS' : `FAIL:\n${r.problems.map((p) => `  ${p}`).join('\n')}`,
  ];
  return lines.join('\n');
}
