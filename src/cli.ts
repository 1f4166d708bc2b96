// The `mooring` command: start, validate, demo, --version, --help.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { App } from './app.ts';
import { ConfigError, loadConfigFile } from './config/load.ts';
import { createLogger } from './log.ts';
import { demoBanner, startDemo } from './demo.ts';
import cluster from 'node:cluster';
import { runPrimary, type ReadyMessage } from './cluster.ts';

const HELP = `Usage: mooring <command> [options]

Commands:
  start --config FILE      run Mooring with a YAML or JSON config file
  validate --config FILE   check a config file; lists every problem as FILE:LINE: field: expected
  demo [--port N]          three demo servers behind Mooring on 127.0.0.1:8080 (or port N)

Options:
  -c, --config FILE        the config file
  -p, --port N             (demo) the port Mooring listens on
  -v, --version            print the version
  -h, --help               print this help

Signals: SIGTERM or SIGINT stops gracefully (requests under way finish, up to timeouts.shutdown).
Documentation: docs/config.md`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

/** Runs a command; resolves with the exit code for commands that end, or never for servers. */
export async function main(argv: string[], io: Out = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`mooring: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) return io.out(version()), 0;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') return io.out(HELP), command === undefined && !values.help ? 2 : 0;
  if (positionals.length > 1) return io.err(`mooring: unexpected argument "${positionals[1]}"\n\n${HELP}`), 2;
  switch (command) {
    case 'validate':
      return validate(values.config, io);
    case 'start':
      return start(values.config, io);
    case 'demo':
      return demo(values.port, io);
    default:
      io.err(`mooring: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

function loadOrReport(file: string | undefined, io: Out) {
  if (!file) {
    io.err('mooring: --config FILE is required');
    return undefined;
  }
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    io.err(`${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
    return undefined;
  }
}

function validate(file: string | undefined, io: Out): number {
  const config = loadOrReport(file, io);
  if (!config) return 1;
  io.out(`${file}: ok (${config.listeners.length} listener(s), ${config.services.length} service(s))`);
  return 0;
}

/** Stops `stop` on the first SIGTERM/SIGINT and exits 0; a second signal exits at once. */
function onSignals(stop: () => Promise<void>, io: Out): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: string) => {
      if (stopping) {
        io.err(`mooring: ${signal} again, exiting now`);
        process.exit(1);
      }
      stopping = true;
      stop().then(
        () => resolve(0),
        (err: unknown) => {
          io.err(`mooring: error while stopping: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

async function start(file: string | undefined, io: Out): Promise<number> {
  const config = loadOrReport(file, io);
  if (!config) return 1;
  const log = createLogger(config.log.level);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config.workers, log.child({ role: 'primary' }));
  let app: App;
  try {
    app = await App.start(config, { logger: cluster.isWorker ? log.child({ worker: process.pid }) : log });
  } catch (err) {
    io.err(`mooring: ${(err as Error).message}`);
    return 1;
  }
  if (cluster.isWorker) process.send?.({ mooring: 'ready' } satisfies ReadyMessage);
  return onSignals(() => app.stop(), io);
}

async function demo(portText: string | undefined, io: Out): Promise<number> {
  const port = portText === undefined ? 8080 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`mooring: --port expects a port number from 0 to 65535, got "${portText}"`);
    return 2;
  }
  let running;
  try {
    running = await startDemo(port, createLogger('warn', process.stderr));
  } catch (err) {
    io.err(`mooring: ${(err as Error).message}`);
    return 1;
  }
  io.out(demoBanner(running));
  return onSignals(() => running.stop(), io);
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
