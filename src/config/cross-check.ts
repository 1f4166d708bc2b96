// Checks that span fields (unique names and ids, listener → service references, options of another
// persistence method). They read the raw input defensively, so they report alongside field errors
// instead of after them are fixed.
import { availableParallelism } from 'node:os';
import { foreignOptions } from '../persistence/schema.ts';

export interface CrossProblem {
  path: (string | number)[];
  message: string;
}

type Rec = Record<string, unknown>;
const records = (value: unknown): Rec[] =>
  Array.isArray(value) ? value.map((v) => (v !== null && typeof v === 'object' ? (v as Rec) : {})) : [];

/** A service's raw servers with their paths, from `servers:` and from each of `datacenters:`. */
function serversOf(service: Rec, si: number): { server: Rec; path: (string | number)[] }[] {
  return [
    ...records(service['servers']).map((server, i) => ({ server, path: ['services', si, 'servers', i] })),
    ...records(service['datacenters']).flatMap((dc, d) => records(dc['servers']).map((server, i) => ({ server, path: ['services', si, 'datacenters', d, 'servers', i] }))),
  ];
}

/** Reports each repeat of `field` among `items` after its first use. */
function duplicates(
  items: Rec[],
  field: string,
  at: (i: number) => (string | number)[],
  what: string,
  problems: CrossProblem[],
  where = '',
): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const value = item[field];
    if (typeof value !== 'string') return;
    if (seen.has(value)) problems.push({ path: [...at(i), field], message: `duplicate ${what} "${value}"${where}` });
    seen.add(value);
  });
  return seen;
}

export function crossCheck(raw: unknown): CrossProblem[] {
  const problems: CrossProblem[] = [];
  const root = raw !== null && typeof raw === 'object' ? (raw as Rec) : {};
  const services = records(root['services']);
  const listeners = records(root['listeners']);
  const serviceNames = duplicates(services, 'name', (i) => ['services', i], 'service name', problems);
  services.forEach((service, si) => {
    // Server ids are unique in a service, across its data centers too (cookies and the API name them alone).
    const dcs = records(service['datacenters']);
    duplicates(dcs, 'name', (i) => ['services', si, 'datacenters', i], 'data center name', problems, ` in service ${String(service['name'])}`);
    const gslb = service['gslb'];
    const mode = gslb !== null && typeof gslb === 'object' ? (gslb as Rec)['mode'] : undefined;
    if ((mode === 'geo-preferred' || mode === 'geo-required') && root['geoip'] === undefined) {
      problems.push({ path: ['services', si, 'gslb', 'mode'], message: `mode ${mode} needs a geo-IP database: add geoip: { database: FILE.mmdb }` });
    }
    const servers = serversOf(service, si);
    duplicates(servers.map((x) => x.server), 'id', (i) => servers[i]!.path, 'server id', problems, ` in service ${String(service['name'])}`);
    for (const { key, message } of foreignOptions(service['persistence'])) problems.push({ path: ['services', si, 'persistence', ...key], message });
    const timeouts = root['timeouts'];
    const perTry = timeouts !== null && typeof timeouts === 'object' ? (timeouts as Rec)['perTry'] : undefined;
    if (Array.isArray(service['retryOn']) && service['retryOn'].includes('timeout') && perTry === undefined) {
      problems.push({ path: ['services', si, 'retryOn'], message: 'retryOn: [timeout] needs timeouts.perTry: how long one try waits for an answer before the request moves to another server (e.g. perTry: 2s)' });
    }
  });
  duplicates(listeners, 'name', (i) => ['listeners', i], 'listener name', problems);
  // Port 0 takes a free port each time: several such listeners never clash.
  const fixed = listeners.map((l) => (typeof l['address'] === 'string' && l['address'].endsWith(':0') ? {} : l));
  duplicates(fixed, 'address', (i) => ['listeners', i], 'listener address', problems);
  services.forEach((service, si) => checkDatacenters(service, si, problems));
  checkWorkers(root, services, problems);
  checkQuorum(root, services, problems);
  checkAdmin(root, listeners, problems);
  listeners.forEach((listener, li) => {
    const target = listener['service'];
    if (typeof target === 'string' && services.length > 0 && !serviceNames.has(target)) {
      problems.push({ path: ['listeners', li, 'service'], message: `no service named "${target}" (services: ${[...serviceNames].join(', ')})` });
    }
    checkRules(root, records(listener['rules']), li, services, problems);
  });
  return problems;
}

/** The admin listener shares no address with a proxy listener. */
function checkAdmin(root: Rec, listeners: Rec[], problems: CrossProblem[]): void {
  const admin = root['admin'];
  if (admin === null || typeof admin !== 'object') return;
  const address = (admin as Rec)['address'] ?? '127.0.0.1:9901';
  // Port 0 asks the OS for a free port each time, so two of them never clash.
  const fixedPort = typeof address === 'string' && !address.endsWith(':0');
  if (fixedPort && listeners.some((l) => l['address'] === address)) problems.push({ path: ['admin', 'address'], message: `address ${String(address)} is already used by a listener` });
}

/** The workers the file asks for (`auto`: this machine's cores); 1 when the field is not valid. */
function workersOf(root: Rec): number {
  const workers = root['workers'];
  if (workers === 'auto') return availableParallelism();
  return typeof workers === 'number' ? workers : 1;
}

/**
 * With several workers, each may use its share of a server's maxConnections (the first ones one
 * more), so the group never exceeds it: a limit below the number of workers would leave a worker
 * without any. Sessions are shared between workers, so maxSessions counts the group's.
 */
function checkWorkers(root: Rec, services: Rec[], problems: CrossProblem[]): void {
  const workers = workersOf(root);
  if (workers <= 1) return;
  services.forEach((service, si) => {
    serversOf(service, si).forEach(({ server, path }) => {
      const limit = server['maxConnections'];
      if (typeof limit === 'number' && limit < workers) {
        problems.push({ path: [...path, 'maxConnections'], message: `expected at least ${workers} (one per worker: each worker holds a share of the limit), got ${limit}` });
      }
    });
  });
}

/**
 * A data center's settings against its own servers, a service's monitorsRequired against its
 * monitors: read from the raw input, so they are reported with every other problem of the file.
 */
function checkDatacenters(service: Rec, si: number, problems: CrossProblem[]): void {
  records(service['datacenters']).forEach((dc, d) => {
    const at = ['services', si, 'datacenters', d];
    if (dc['kickstart'] !== undefined && dc['standby'] !== true) problems.push({ path: [...at, 'kickstart'], message: 'only a standby data center is kickstarted (add standby: true, or remove kickstart)' });
    const servers = Array.isArray(dc['servers']) ? dc['servers'].length : 0;
    const min = dc['minServersUp'];
    if (typeof min === 'number' && servers > 0 && min > servers) problems.push({ path: [...at, 'minServersUp'], message: `expected at most ${servers} (the servers of data center ${String(dc['name'])}), got ${min}` });
  });
  const required = service['monitorsRequired'];
  const health = service['health'];
  const monitors = Array.isArray(health) ? health.length : health !== null && typeof health === 'object' ? 1 : 0;
  if (typeof required === 'number' && monitors > 0 && required > monitors) {
    problems.push({ path: ['services', si, 'monitorsRequired'], message: `expected at most ${monitors} (the monitors of service ${String(service['name'])}), got ${required}` });
  }
}

/** Instances vote on health through the shared store: without one there is no one to vote with. */
function checkQuorum(root: Rec, services: Rec[], problems: CrossProblem[]): void {
  const store = root['store'];
  if (store !== null && typeof store === 'object' && (store as Rec)['type'] === 'redis') return;
  services.forEach((service, si) => {
    if (service['quorum'] !== undefined) problems.push({ path: ['services', si, 'quorum'], message: 'instances vote through the shared store: add store: { type: redis, url: ... } (or remove quorum to let each instance decide alone)' });
  });
}

/** A rule routes to a service (and data center) that exists; country rules need a geo-IP database. */
function checkRules(root: Rec, rules: Rec[], li: number, services: Rec[], problems: CrossProblem[]): void {
  const names = services.map((s) => s['name']).filter((n): n is string => typeof n === 'string');
  rules.forEach((rule, ri) => {
    const at = ['listeners', li, 'rules', ri];
    const target = rule['service'];
    const service = services.find((s) => s['name'] === target);
    if (typeof target === 'string' && names.length > 0 && !service) problems.push({ path: [...at, 'service'], message: `no service named "${target}" (services: ${names.join(', ')})` });
    const dc = rule['datacenter'];
    if (typeof dc === 'string' && service) {
      const dcs = records(service['datacenters']).map((d) => d['name']);
      if (!dcs.includes(dc)) problems.push({ path: [...at, 'datacenter'], message: `service ${String(target)} has no data center "${dc}"${dcs.length ? ` (data centers: ${dcs.join(', ')})` : ' (it is configured with servers:, one data center named default)'}` });
    }
    const match = rule['match'];
    for (const key of ['country', 'continent']) {
      if (match !== null && typeof match === 'object' && (match as Rec)[key] !== undefined && root['geoip'] === undefined) {
        problems.push({ path: [...at, 'match', key], message: `${key} rules need a geo-IP database: add geoip: { database: FILE.mmdb }` });
      }
    }
  });
}
