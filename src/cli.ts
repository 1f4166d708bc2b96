// The `mooring` command: start, validate, lint, simulate, demo, keygen, --version, --help (each command's too).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { App } from './app.ts';
import { ConfigError, configLines, configWarnings, loadConfigFile } from './config/load.ts';
import { nearest } from './config/suggest.ts';
import { formatFinding, lint } from './config/lint.ts';
import { watchConfigFile } from './config/watch.ts';
import { simulate, SimulationError } from './simulate/simulate.ts';
import { formatSimulation, plotSimulation } from './simulate/report.ts';
import { writeFileSync } from 'node:fs';
import { createLogger } from './log.ts';
import { demoBanner, startDemo } from './demo.ts';
import cluster from 'node:cluster';
import { runPrimary, type ReadyMessage } from './cluster/primary.ts';
import { ControlPlane } from './cluster/control-plane.ts';
import { handleHarmlessSignals } from './signals.ts';
import { version } from './version.ts';

/** Where the documentation is in this installation (the package's docs folder). */
const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));

const COMMANDS: Record<string, { usage: string; about: string; options: string[] }> = {
  start: {
    usage: 'mooring start --config FILE [--watch]',
    about: 'Runs Mooring with a YAML or JSON config file.\nSIGTERM or SIGINT stops gracefully: requests under way finish, up to timeouts.shutdown.\nSIGHUP reloads the config file: a valid one is applied without dropping a connection, an invalid one\nis refused with its errors and the running config stays. SIGUSR1 and SIGUSR2 are logged and ignored\n(never the inspector, never a sudden exit).',
    options: ['-c, --config FILE        the config file (required)', '-w, --watch              also reload whenever the config file changes'],
  },
  validate: {
    usage: 'mooring validate --config FILE',
    about: 'Checks a config file without starting anything: every problem as FILE:LINE: field: expected.\nExit code 0 when the file is valid, 1 when it has problems.',
    options: ['-c, --config FILE        the config file (required)'],
  },
  demo: {
    usage: 'mooring demo [--port N]',
    about: 'Starts three demo servers and Mooring in front of them, with cookie persistence\n(the setup of examples/demo.yaml), and prints what to try.',
    options: ['-p, --port N             the port Mooring listens on (default 8080; 0 picks a free one)'],
  },
  lint: {
    usage: 'mooring lint --config FILE',
    about: 'Checks a valid config for sticky-session pitfalls (client-ip behind a proxy, no health\nchecks, a Secure-less cookie on HTTPS, …): each with its severity, key, why and the fix.\nExit code 1 when an error is found (or the file is invalid), 0 otherwise.',
    options: ['-c, --config FILE        the config file (required)'],
  },
  simulate: {
    usage: 'mooring simulate --config FILE (--remove ID | --add ID | --drain ID) [--sessions N] [--service NAME] [--plot FILE.svg]',
    about: 'Shows, before you make it, what a change of servers does to N sessions (default 10000) of a\nservice (default the first): how many move and how sessions and new sessions spread over the\nservers, computed with the service\'s own algorithm and persistence. --plot draws it as an SVG.',
    options: [
      '-c, --config FILE        the config file (required)',
      '--remove ID | --add ID | --drain ID   the change (exactly one)',
      '--sessions N             how many sessions (default 10000)',
      '--service NAME           which service (default the first)',
      '--plot FILE.svg          also draw sessions per server before and after',
    ],
  },
  keygen: {
    usage: 'mooring keygen',
    about: 'Prints a fresh random secret (32 bytes, base64) for persistence.keys, e.g.\n  export MOORING_COOKIE_KEY=$(mooring keygen)',
    options: [],
  },
};

const FOOTER = `Exit codes: 0 success, 1 a config problem or a failed start, 2 a usage error.
Documentation: ${DOCS}config.md (every key), ${DOCS}persistence.md, ${DOCS}health.md`;

const HELP = `Usage: mooring <command> [options]

Commands:
  start --config FILE      run Mooring with a YAML or JSON config file (--watch: reload on change)
  validate --config FILE   check a config file; lists every problem as FILE:LINE: field: expected
  lint --config FILE       sticky-session pitfalls in a valid config, with the fix for each
  simulate --config FILE --remove ID | --add ID | --drain ID [--sessions N] [--plot FILE.svg]
                           how many sessions a change of servers would move, and the new spread
  demo [--port N]          three demo servers behind Mooring on 127.0.0.1:8080 (or port N)
  keygen                   print a fresh secret for persistence.keys

Options:
  -v, --version            print the version
  -h, --help               print this help; "mooring COMMAND --help" for one command's

${FOOTER}`;

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  const options = [...c.options, '-h, --help               print this help'].map((o) => `  ${o}`).join('\n');
  return `Usage: ${c.usage}\n\n${c.about}\n\nOptions:\n${options}\n\n${FOOTER}`;
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
        watch: { type: 'boolean', short: 'w' },
        sessions: { type: 'string' },
        remove: { type: 'string' },
        add: { type: 'string' },
        drain: { type: 'string' },
        service: { type: 'string' },
        plot: { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError((err as Error).message, io);
  }
  const { values, positionals } = parsed;
  if (values.version) return io.out(version()), 0;
  const command = positionals[0];
  if (command === undefined || command === 'help') {
    const topic = positionals[1];
    if (topic !== undefined && COMMANDS[topic]) return io.out(commandHelp(topic)), 0;
    return io.out(HELP), command === undefined && !values.help ? 2 : 0;
  }
  if (!COMMANDS[command]) {
    const guess = nearest(command, Object.keys(COMMANDS));
    return usageError(`unknown command "${command}"${guess ? `; did you mean "${guess}"?` : ''}`, io);
  }
  if (values.help) return io.out(commandHelp(command)), 0;
  // `mooring validate FILE`: a lone file after a command that reads one is its --config.
  if (positionals.length === 2 && values.config === undefined && TAKES_CONFIG.has(command)) values.config = positionals.pop();
  if (positionals.length > 1) return usageError(`unexpected argument "${positionals[1]}"`, io, command);
  if (values.port !== undefined && command !== 'demo') return usageError(`--port applies to demo only`, io, command);
  const simulateOnly = (['sessions', 'remove', 'add', 'drain', 'service', 'plot'] as const).find((k) => values[k] !== undefined);
  if (simulateOnly && command !== 'simulate') return usageError(`--${simulateOnly} applies to simulate only`, io, command);
  if (values.watch && command !== 'start') return usageError(`--watch applies to start only`, io, command);
  if (values.config !== undefined && command === 'demo') return usageError(`--config does not apply to demo`, io, command);
  if (values.config !== undefined && command === 'keygen') return usageError(`--config does not apply to keygen`, io, command);
  switch (command) {
    case 'validate':
      return values.config === undefined ? usageError('--config FILE is required', io, command) : validate(values.config, io);
    case 'start':
      return values.config === undefined ? usageError('--config FILE is required', io, command) : start(values.config, values.watch === true, io);
    case 'lint':
      return values.config === undefined ? usageError('--config FILE is required', io, command) : lintCommand(values.config, io);
    case 'simulate':
      return values.config === undefined ? usageError('--config FILE is required', io, command) : simulateCommand(values.config, values, io);
    case 'demo':
      return demo(values.port, io);
    default:
      return io.out(randomBytes(32).toString('base64')), 0;
  }
}

/** A usage mistake: what was wrong, then the usage it breaks; exit code 2. */
/** The commands that read a config file (FILE may follow the command instead of --config FILE). */
const TAKES_CONFIG = new Set(['validate', 'start', 'lint', 'simulate']);

function usageError(message: string, io: Out, command?: string): number {
  io.err(`mooring: ${message}\n\n${command ? commandHelp(command) : HELP}`);
  return 2;
}

function loadOrReport(file: string, io: Out) {
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      // Never a stack trace for a file: whatever went wrong is said in a line.
      io.err(`${file}: cannot be read as a config: ${(err as Error).message}`);
      return undefined;
    }
    io.err(err.message);
    io.err(`${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
    return undefined;
  }
}

function validate(file: string, io: Out): number {
  const config = loadOrReport(file, io);
  if (!config) return 1;
  for (const warning of configWarnings(config, file)) io.err(warning);
  io.out(`${file}: ok (${config.listeners.length} listener(s), ${config.services.length} service(s))`);
  return 0;
}

function lintCommand(file: string, io: Out): number {
  const config = loadOrReport(file, io);
  if (!config) return 1;
  const findings = lint(config);
  const lineOf = configLines(file);
  for (const finding of findings) io.out(formatFinding(file, finding, lineOf(finding.path)));
  if (findings.length === 0) io.out(`${file}: no pitfall found`);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

interface SimulateOptions {
  sessions?: string;
  remove?: string;
  add?: string;
  drain?: string;
  service?: string;
  plot?: string;
}

function simulateCommand(file: string, o: SimulateOptions, io: Out): number {
  const changes = (['remove', 'add', 'drain'] as const).filter((k) => o[k] !== undefined);
  if (changes.length !== 1) return usageError(`expected exactly one of --remove ID, --add ID, --drain ID${changes.length ? `, got ${changes.map((c) => `--${c}`).join(' and ')}` : ''}`, io, 'simulate');
  const sessions = o.sessions === undefined ? 10_000 : Number(o.sessions);
  if (!/^\d+$/.test(o.sessions ?? '1') || !Number.isInteger(sessions) || sessions < 1 || sessions > 10_000_000) {
    return usageError(`--sessions expects a whole number from 1 to 10000000, got "${o.sessions}"`, io, 'simulate');
  }
  if (o.plot !== undefined && !/\.svg$/i.test(o.plot)) {
    return usageError(`--plot writes an SVG drawing: expected FILE.svg, got "${o.plot}" (convert it afterwards if you need another format, e.g. rsvg-convert -o moves.png moves.svg)`, io, 'simulate');
  }
  const config = loadOrReport(file, io);
  if (!config) return 1;
  const service = o.service === undefined ? config.services[0]! : config.services.find((s) => s.name === o.service);
  if (!service) {
    io.err(`mooring: --service ${o.service}: no such service in ${file} (services: ${config.services.map((s) => s.name).join(', ')})`);
    return 1;
  }
  const kind = changes[0]!;
  let result;
  try {
    result = simulate(service, sessions, { kind, server: o[kind]! });
  } catch (err) {
    if (!(err instanceof SimulationError)) throw err;
    io.err(`mooring: ${err.message}`);
    return 1;
  }
  io.out(formatSimulation(result));
  if (o.plot !== undefined) {
    try {
      writeFileSync(o.plot, plotSimulation(result));
    } catch (err) {
      io.err(`mooring: --plot ${o.plot}: cannot write the file: ${(err as Error).message}`);
      return 1;
    }
    io.out(`plot written to ${o.plot}`);
  }
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

async function start(file: string, watchFile: boolean, io: Out): Promise<number> {
  // Before anything else runs: a SIGUSR1 during start must not open the inspector either.
  const signals = handleHarmlessSignals((m) => io.err(`mooring: ${m}`));
  const config = loadOrReport(file, io);
  if (!config) return 1;
  const log = createLogger(config.log.level, process.stdout, config.log.format);
  for (const warning of configWarnings(config, file)) log.warn(warning);
  if (config.workers > 1 && cluster.isPrimary) {
    const primaryLog = log.child({ role: 'primary' });
    const control = new ControlPlane(config, primaryLog, file, () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined));
    try {
      await control.start();
    } catch (err) {
      io.err(`mooring: ${(err as Error).message}`);
      await control.stop();
      return 1;
    }
    // Every worker reads the file again and reloads itself, then the control plane follows.
    const reloadAll = () => void control.reload();
    signals.onReload(reloadAll);
    if (watchFile) watchConfigFile(file, reloadAll);
    return runPrimary(config.workers, primaryLog, control);
  }
  // Stop signals are heard from before the listeners open: one that comes while Mooring starts
  // (after it logged "listening", say) stops it gracefully once started, never kills it outright.
  const starting = App.start(config, { logger: cluster.isWorker ? log.child({ worker: process.pid }) : log, configFile: file }).catch((err: unknown) => err as Error);
  const stopped = onSignals(async () => {
    const started = await starting;
    if (started instanceof App) await started.stop();
  }, io);
  const app = await starting;
  if (!(app instanceof App)) {
    io.err(`mooring: ${app.message}`);
    return 1;
  }
  signals.onReload(() => void app.reloadFile());
  // Workers are reloaded by the primary's watch, not each by its own.
  if (watchFile && !cluster.isWorker) watchConfigFile(file, () => void app.reloadFile());
  if (cluster.isWorker) process.send?.({ mooring: 'ready' } satisfies ReadyMessage);
  return stopped;
}

async function demo(portText: string | undefined, io: Out): Promise<number> {
  const port = portText === undefined ? 8080 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return usageError(`--port expects a port number from 0 to 65535, got "${portText}"`, io, 'demo');
  }
  const signals = handleHarmlessSignals((m) => io.err(`mooring: ${m}`));
  signals.onReload(() => io.err('mooring: SIGHUP received and ignored: the demo has no config file to reload'));
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
