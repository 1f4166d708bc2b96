// Config files (YAML or JSON) → a validated, frozen Config; every problem reported as FILE:LINE: path: expected.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument, LineCounter, isAlias, isMap, isSeq, isPair, isScalar, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';
import { substituteEnv, type EnvProblem, type EnvUse } from './env.ts';
import { hide, secretsIn } from './secrets.ts';
import { crossCheck } from './cross-check.ts';
import { unknownKeyMessage } from './suggest.ts';
import { issueMessage } from './messages.ts';
import { checkCaFile, checkTls } from './tls-check.ts';
import { GeoDatabase } from '../rules/geoip.ts';

export interface ConfigProblem {
  file: string;
  line: number;
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');
}

/**
 * Config files larger than this are refused. A real one is a few kilobytes; 1 MiB holds about
 * 12,000 servers. Reading one takes ~1.5 s per MiB (the YAML parse, measured 2026-12-03: 1 MiB
 * 1.7 s, 4 MiB 5.0 s, 9 MB 7.9 s) and ~100 MiB of memory per MiB; a reload does it on a worker
 * thread (load-off-thread.ts), so the bound keeps that thread's time and memory small.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Alias expansions allowed in one file: plenty for shared blocks, far too few for a "billion laughs". */
export const MAX_ALIASES = 1000;

/** Reads and validates a config file; throws ConfigError listing every problem found. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfigText(readConfigText(file), file, env);
}

/**
 * The line of `path` (as findings write it: `services[0].persistence.method`) in config file
 * `file`, or of the nearest key above it the file has (a default it does not write); 0 when the
 * file cannot be read again.
 */
export function configLines(file: string): (path: string) => number {
  let text: string;
  try {
    text = readConfigText(file);
  } catch {
    return () => 0;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  return (path) => lineAt(doc, lines, path.split(/\.|(?=\[)/).map((seg) => (/^\[\d+\]$/.test(seg) ? Number(seg.slice(1, -1)) : seg)));
}

/** The file's text: a regular file of at most MAX_CONFIG_BYTES, read through one descriptor so it cannot grow between check and read. */
function readConfigText(file: string): string {
  const refuse = (message: string): never => {
    throw new ConfigError([{ file, line: 0, path: '', message }]);
  };
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (stat.isDirectory()) refuse('is a directory; expected a YAML or JSON file, e.g. --config mooring.yaml');
    if (!stat.isFile()) refuse('is not a regular file (a device, pipe or socket); expected a YAML or JSON file');
    if (stat.size > MAX_CONFIG_BYTES) refuse(`is ${(stat.size / 1048576).toFixed(1)} MiB; a config file may be at most ${MAX_CONFIG_BYTES / 1048576} MiB`);
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_CONFIG_BYTES) + 1);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    if (read > MAX_CONFIG_BYTES) refuse(`is larger than ${MAX_CONFIG_BYTES / 1048576} MiB, the most a config file may be`);
    return buffer.subarray(0, read).toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    return refuse(`cannot read the config file: ${reason}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Validates config text (YAML, of which JSON is a subset); file names it in messages and anchors relative paths. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file, line: lines.linePos(e.pos[0]).line, path: '', message: `not valid YAML or JSON: ${e.message.split('\n')[0]}` })),
    );
  }
  const complexKey = firstComplexKey(doc);
  if (complexKey !== undefined) {
    throw new ConfigError([{ file, line: lines.linePos(complexKey).line, path: '', message: 'a key must be a plain word, not a list or a map (YAML "? [a, b]: value")' }]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch {
    // yaml throws once alias expansions pass the limit (a "billion laughs" file).
    throw new ConfigError([{ file, line: firstAliasLine(doc, lines), path: '', message: `too many alias expansions (YAML *references, more than ${MAX_ALIASES}); write the values out or nest fewer anchors` }]);
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError([{ file, line: 1, path: '', message: 'the file is empty; expected listeners and services' }]);
  }
  const lineOf = (path: readonly PropertyKey[]) => lineAt(doc, lines, path);
  return validate(raw, file, env, lineOf);
}

/** Validates an already-parsed config object (tests, programmatic use); line numbers are 0. */
export function parseConfigObject(raw: unknown, env: NodeJS.ProcessEnv = process.env, file = '<object>'): Config {
  return validate(raw, file, env, () => 0);
}

/**
 * The path of the first value that contains itself (YAML `x: &a [*a]`, or an object built so), or
 * undefined. Values shared by several aliases are fine: only a value inside itself never ends.
 */
function selfContaining(value: unknown, inside = new Set<object>(), path: (string | number)[] = []): (string | number)[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (inside.has(value)) return path;
  inside.add(value);
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    const found = selfContaining(item, inside, [...path, key]);
    if (found) return found;
  }
  inside.delete(value);
  return undefined;
}

function validate(raw: unknown, file: string, env: NodeJS.ProcessEnv, lineOf: (path: readonly PropertyKey[]) => number): Config {
  const loop = selfContaining(raw);
  if (loop) {
    const message = 'this value contains itself (a YAML alias such as *a inside its own anchor &a), so it would never end: write the value out, or point the alias at another anchor';
    throw new ConfigError([{ file, line: lineOf(loop), path: formatPath(loop), message }]);
  }
  const envProblems: EnvProblem[] = [];
  const used: EnvUse[] = [];
  const substituted = substituteEnv(raw, env, envProblems, [], used);
  const problems: ConfigProblem[] = [...envProblems, ...crossCheck(substituted)].map((p) => ({
    file,
    line: lineOf(p.path),
    path: formatPath(p.path),
    message: p.message,
  }));
  const result = configSchema.safeParse(substituted, { reportInput: true });
  // A value whose ${NAME} is unset was reported as such: one problem, one message.
  const unset = new Set(envProblems.map((p) => formatPath(p.path)));
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (!unset.has(formatPath(issue.path))) problems.push(...problemsOf(issue, file, lineOf));
    }
  }
  // Files are checked even when other fields are wrong: every problem in one pass.
  const files = (result.success ? [...fileProblems(result.data, file, lineOf), ...caProblems(result.data, file, lineOf)] : fileProblems(filesOf(substituted), file, lineOf)).filter(
    (p) => !unset.has(p.path),
  );
  problems.push(...files);
  if (problems.length > 0) {
    // Secrets and values from the environment are never quoted back (the log, events, the API).
    const hidden = secretsIn(substituted, used);
    const shown = problems.map((p) => ({ ...p, message: hide(p.message, hidden) }));
    throw new ConfigError(shown.sort((a, b) => a.line - b.line || a.path.localeCompare(b.path)));
  }
  const config = result.data!;
  resolveFiles(config, file);
  return deepFreeze(config);
}

function problemsOf(issue: z.core.$ZodIssue, file: string, lineOf: (path: readonly PropertyKey[]) => number): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { file, line: lineOf(path), path: formatPath(path), message: unknownKeyMessage(configSchema, issue.path, key) };
    });
  }
  const message = issueMessage(issue, configSchema);
  return [{ file, line: lineOf(issue.path), path: formatPath(issue.path), message }];
}

/** The files a config names: what fileProblems checks. */
interface NamedFiles {
  readonly listeners: readonly { readonly name: string; readonly tls?: { readonly cert: string; readonly key: string; readonly sni?: readonly { readonly cert: string; readonly key: string }[] } | undefined }[];
  readonly geoip?: { readonly database: string } | undefined;
}

/** The files named in a config the schema refused, where their fields are at least strings. */
function filesOf(raw: unknown): NamedFiles {
  const root = (raw ?? {}) as { listeners?: unknown; geoip?: { database?: unknown } };
  const listeners = (Array.isArray(root.listeners) ? root.listeners : []).map((l: unknown, i) => {
    const { name, tls } = (l ?? {}) as { name?: unknown; tls?: { cert?: unknown; key?: unknown } };
    const named = typeof name === 'string' ? name : `#${i}`;
    return tls && typeof tls.cert === 'string' && typeof tls.key === 'string' ? { name: named, tls: { cert: tls.cert, key: tls.key } } : { name: named };
  });
  const database = root.geoip?.database;
  return { listeners, geoip: typeof database === 'string' ? { database } : undefined };
}

/** TLS files must be readable, PEM, and a matching pair now, not at first connection. */
function fileProblems(config: NamedFiles, file: string, lineOf: (path: readonly PropertyKey[]) => number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.listeners.forEach((listener, i) => {
    if (!listener.tls) return;
    const pairs: [(string | number)[], { cert: string; key: string }][] = [[['listeners', i, 'tls'], listener.tls], ...(listener.tls.sni ?? []).map((p, j): [(string | number)[], { cert: string; key: string }] => [['listeners', i, 'tls', 'sni', j], p])];
    for (const [at, pair] of pairs) {
      const checked = checkTls(resolveFrom(file, pair.cert), resolveFrom(file, pair.key));
      for (const field of ['cert', 'key'] as const) {
        const message = checked[field];
        if (message === undefined) continue;
        const path = [...at, field];
        problems.push({ file, line: lineOf(path), path: formatPath(path), message: `listener ${listener.name}: ${message}` });
      }
    }
  });
  if (config.geoip) {
    try {
      GeoDatabase.open(resolveFrom(file, config.geoip.database));
    } catch (err) {
      const path = ['geoip', 'database'];
      problems.push({ file, line: lineOf(path), path: formatPath(path), message: (err as Error).message.replace(/^geoip\.database /, '') });
    }
  }
  return problems;
}

/** Each CA file a server's (or service's) tls.ca names must hold certificates, now rather than at first connection. */
function caProblems(config: Config, file: string, lineOf: (path: readonly PropertyKey[]) => number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (path: (string | number)[], ca: string | undefined) => {
    const message = ca === undefined ? undefined : checkCaFile(resolveFrom(file, ca));
    if (message) problems.push({ file, line: lineOf(path), path: formatPath(path), message });
  };
  config.services.forEach((service, s) => {
    check(['services', s, 'tls', 'ca'], service.tls?.ca);
    // Servers are written under servers: or under their data center; the line found is the service's for the latter.
    service.servers.forEach((server, i) => {
      if (server.tls && server.tls !== service.tls) check(['services', s, 'servers', i, 'tls', 'ca'], server.tls.ca);
    });
  });
  return problems;
}

/** What is not wrong enough to refuse the file but should be said (an expired certificate). */
export function configWarnings(config: Config, file: string): string[] {
  const warnings: string[] = [];
  config.listeners.forEach((listener, i) => {
    if (!listener.tls) return;
    const pairs: [string, { cert: string; key: string }][] = [[`listeners[${i}].tls`, listener.tls], ...listener.tls.sni.map((p, j): [string, { cert: string; key: string }] => [`listeners[${i}].tls.sni[${j}]`, p])];
    for (const [at, p] of pairs) {
      const warning = checkTls(p.cert, p.key).warning;
      if (warning) warnings.push(`${file}: ${at}.cert: warning: listener ${listener.name}: ${warning}`);
    }
  });
  return warnings;
}

function resolveFrom(configFile: string, path: string): string {
  return configFile.startsWith('<') ? resolve(path) : resolve(dirname(configFile), path);
}

function resolveFiles(config: Config, file: string): void {
  for (const listener of config.listeners) {
    if (!listener.tls) continue;
    const pair = ({ cert, key }: { cert: string; key: string }) => ({ cert: resolveFrom(file, cert), key: resolveFrom(file, key) });
    listener.tls = { ...pair(listener.tls), sni: listener.tls.sni.map(pair) };
  }
  if (config.log.file !== undefined) config.log.file = resolveFrom(file, config.log.file);
  for (const service of config.services) {
    const shared = service.tls;
    if (shared?.ca !== undefined) service.tls = { ...shared, ca: resolveFrom(file, shared.ca) };
    for (const server of service.servers) {
      if (server.tls === shared) server.tls = service.tls;
      else if (server.tls?.ca !== undefined) server.tls = { ...server.tls, ca: resolveFrom(file, server.tls.ca) };
    }
  }
  if (config.geoip) config.geoip = { database: resolveFrom(file, config.geoip.database) };
}

/** The line of the deepest node on `path` that exists (the key's line for map entries). */
function lineAt(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return lines.linePos(offset).line;
}

/** The offset of the first mapping key that is itself a list or a map, if any. */
function firstComplexKey(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Pair(_key, pair) {
      if (pair.key === null || isScalar(pair.key) || isAlias(pair.key)) return undefined;
      offset = (pair.key as Node).range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function firstAliasLine(doc: Document, lines: LineCounter): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return lines.linePos(offset).line;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
