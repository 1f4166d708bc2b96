// `mooring demo`: three small backends that answer with their own name, and Mooring in front of them.
import type { Server } from 'node:http';
import { http } from './core/node-http.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { AddressInfo } from 'node:net';
import { App } from './app.ts';
import { parseConfigObject } from './config/load.ts';
import type { Logger } from './log.ts';

export const DEMO_SERVERS = ['a', 'b', 'c'] as const;

function startDemoBackend(name: string): Promise<Server> {
  let visits = 0;
  const server = http.createServer((req, res) => {
    visits++;
    req.resume();
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`Hello from server ${name} (request ${visits} on this server, path ${req.url})\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export interface Demo {
  app: App;
  adminToken: string;
  backends: Server[];
  stop(): Promise<void>;
}

/** The demo's setup, also shipped for users to copy: examples/demo.yaml. */
const DEMO_CONFIG = new URL('../examples/demo.yaml', import.meta.url);

interface DemoRaw {
  listeners: { address: string }[];
  admin: { address: string };
  services: { servers: { url: string }[] }[];
}

export async function startDemo(port: number, logger: Logger): Promise<Demo> {
  const backends = await Promise.all(DEMO_SERVERS.map(startDemoBackend));
  // The example file as it is, but on the chosen port, in front of the servers just started, with
  // a fresh key each run (cookies from an earlier demo simply start new sessions).
  const raw = parse(readFileSync(DEMO_CONFIG, 'utf8')) as DemoRaw;
  raw.listeners[0]!.address = `127.0.0.1:${port}`;
  // A free port, so the demo starts wherever it runs; the banner prints where it is.
  raw.admin.address = '127.0.0.1:0';
  const adminToken = randomBytes(24).toString('base64url');
  raw.services[0]!.servers.forEach((server, i) => (server.url = `http://127.0.0.1:${(backends[i]!.address() as AddressInfo).port}`));
  const config = parseConfigObject(raw, { MOORING_COOKIE_KEY: randomBytes(32).toString('base64'), MOORING_ADMIN_TOKEN: adminToken }, fileURLToPath(DEMO_CONFIG));
  let app: App;
  try {
    app = await App.start(config, { logger });
  } catch (err) {
    for (const b of backends) b.close();
    throw err;
  }
  return {
    app,
    adminToken,
    backends,
    async stop() {
      await app.stop();
      await Promise.all(backends.map((b) => new Promise((r) => b.close(r))));
    },
  };
}

export function demoBanner(demo: Demo): string {
  const url = demo.app.url();
  return [
    `Mooring is listening on ${url}`,
    `in front of three demo servers (${DEMO_SERVERS.join(', ')}): round-robin, with cookie persistence.`,
    '',
    'Without a cookie, each request starts a new session on the next server:',
    `  for i in 1 2 3 4 5 6; do curl -s ${url}/; done`,
    'With a cookie jar, you stay on one server (the request count on it goes up):',
    `  for i in 1 2 3 4 5 6; do curl -s -b jar.txt -c jar.txt ${url}/; done`,
    'See the cookie and why each request went where it went (Mooring-Decision):',
    `  curl -si -b jar.txt -c jar.txt ${url}/ | grep -i -E 'set-cookie|mooring-decision'`,
    '',
    `The dashboard (servers, sessions, live charts, drain buttons): http://127.0.0.1:${demo.app.admin!.port}/`,
    `  admin token: ${demo.adminToken}`,
    '',
    'This is examples/demo.yaml; to run it in front of your own servers (ports 9001-9003):',
    `  MOORING_COOKIE_KEY=$(npx mooring keygen) MOORING_ADMIN_TOKEN=$(npx mooring keygen) npx mooring start --config ${fileURLToPath(DEMO_CONFIG)}`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}
