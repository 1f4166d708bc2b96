// `mooring lint`: sticky-session pitfalls in a valid config, each with its severity, key path, why
// it hurts and how to fix it. Validation refuses what cannot work; lint warns of what works badly.
import type { Config } from './schema.ts';

export interface Finding {
  readonly severity: 'error' | 'warning';
  readonly path: string;
  readonly why: string;
  readonly fix: string;
}

type Rule = (config: Config) => Finding[];

const perService = (check: (service: Config['services'][number], at: string, config: Config) => Finding | undefined): Rule => (config) =>
  config.services.flatMap((service, i) => check(service, `services[${i}]`, config) ?? []);

const rules: Rule[] = [
  perService((s, at, config) =>
    s.persistence.method === 'client-ip' && config.trustedProxies.length === 0
      ? { severity: 'warning', path: `${at}.persistence.method`, why: 'client-ip persistence without trustedProxies: behind a proxy, load balancer or CDN every client has its address, so all users share one session and one server', fix: 'list the proxies in trustedProxies (their X-Forwarded-For then names the client), or use method cookie' }
      : undefined,
  ),
  perService((s, at) => {
    const unchecked = s.servers.filter((server) => server.health === false || (server.health === undefined && s.health === undefined));
    return s.servers.length > 1 && unchecked.length > 0
      ? { severity: 'warning', path: `${at}.health`, why: `no active health check on ${unchecked.map((x) => x.id).join(', ')}: a dead server is found only when users' requests fail on it`, fix: 'add health: { path: /health } (see docs/health.md)' }
      : undefined;
  }),
  perService((s, at) =>
    s.passive === false && s.servers.every((server) => server.health === false || (server.health === undefined && s.health === undefined))
      ? { severity: 'error', path: `${at}.passive`, why: 'passive ejection is off and no server has an active check: a server that fails is never taken out', fix: 'remove passive: false, or add health monitors' }
      : undefined,
  ),
  perService((s, at) =>
    s.persistence.method === 'cookie' && s.persistence.firstBurstWindow > 5000
      ? { severity: 'warning', path: `${at}.persistence.firstBurstWindow`, why: 'a long first-burst window lets more of a slow first page load join one session, and more users behind one address overlap', fix: 'keep it at 2s or less' }
      : undefined,
  ),
  (config) =>
    config.listeners.flatMap((listener, i) => {
      const service = config.services.find((s) => s.name === listener.service);
      return listener.tls && service?.persistence.cookie.secure === false && (service.persistence.method === 'cookie' || service.persistence.method === 'app-cookie')
        ? [{ severity: 'warning' as const, path: `listeners[${i}].tls`, why: `service ${service.name} sends its cookie without Secure on an HTTPS listener: a plain-HTTP request would leak it`, fix: 'set persistence.cookie.secure: auto (or true)' }]
        : [];
    }),
  perService((s, at) =>
    s.servers.every((x) => x.state === 'disabled')
      ? { severity: 'error', path: `${at}.servers`, why: 'every server is disabled: the service answers 503 to everyone', fix: 'set state: enabled on at least one server' }
      : undefined,
  ),
  perService((s, at) => {
    const limited = s.servers.filter((x) => x.maxSessions !== undefined);
    if (limited.length === 0) return undefined;
    const path = `${at}.servers[${s.servers.indexOf(limited[0]!)}].maxSessions`;
    if (s.persistence.method === 'none') {
      return { severity: 'warning', path, why: 'maxSessions has no effect with persistence method none: there are no sessions to count', fix: 'choose a persistence method, or use maxConnections to cap a server' };
    }
    // The sessions the servers are set to hold must fit in the table that remembers them.
    if (limited.length < s.servers.length) return undefined;
    const total = limited.reduce((n, x) => n + x.maxSessions!, 0);
    const table = s.persistence.method === 'client-ip' ? { key: 'clientIp.maxEntries', size: s.persistence.clientIp.maxEntries } : { key: 'table.maxEntries', size: s.persistence.table.maxEntries };
    return total > table.size
      ? { severity: 'warning', path: `${at}.persistence.${table.key}`, why: `the servers' maxSessions add up to ${total}, but the session table holds ${table.size}: before the servers fill up, the oldest sessions are forgotten (their users are placed anew and the counts run low)`, fix: `raise persistence.${table.key} to at least ${total}, or lower maxSessions` }
      : undefined;
  }),
  (config) =>
    config.services.flatMap((s, si) =>
      s.datacenters.flatMap((dc, di): Finding[] => {
        const at = `services[${si}].datacenters[${di}]`;
        if (!dc.standby) return [];
        if (!dc.kickstart) return [{ severity: 'warning', path: at, why: `standby data center ${dc.name} has no kickstart: on failover nothing wakes it, so if it is asleep (scaled down, powered off) clients get 503 until someone notices`, fix: 'add kickstart: { url, username, password } that starts it, or leave it running and ignore this' }];
        if (dc.kickstart.username !== undefined && dc.kickstart.url.startsWith('http://')) {
          return [{ severity: 'warning', path: `${at}.kickstart.url`, why: 'the kickstart credentials go over plain http: anyone on the path can read them and wake (or keep waking) the standby', fix: 'use an https:// kickstart URL' }];
        }
        return [];
      }),
    ),
  (config) =>
    config.services.flatMap((s, si): Finding[] => {
      const unchecked = s.servers.filter((x) => x.tls?.verify === false).map((x) => x.id);
      if (unchecked.length === 0) return [];
      const path = s.tls?.verify === false ? `services[${si}].tls.verify` : `services[${si}].servers`;
      return [{ severity: 'warning', path, why: `tls.verify is false for ${unchecked.join(', ')}: any certificate is accepted, so whoever can reach the path between Mooring and the server can read and change the traffic`, fix: 'trust the server\'s CA with tls.ca (and tls.servername if its certificate holds another name than the URL)' }];
    }),
  monitorPathsKeepSessions,
];

/** Paths uptime monitors and orchestrators probe. */
const MONITOR_PATH = /^\/(health|healthz|healthcheck|health-check|ping|status|ready|readyz|live|livez|alive|metrics)(\/|$)/i;

/**
 * Monitors that keep cookies come back on every probe: each holds a counted session on one server
 * for as long as it runs (provisional sessions spare only those that never come back).
 */
function monitorPathsKeepSessions(config: Config): Finding[] {
  return config.listeners.flatMap((listener, li) =>
    listener.rules.flatMap((rule, ri): Finding[] => {
      const service = config.services.find((s) => s.name === rule.service);
      const path = rule.match.path?.find((p) => MONITOR_PATH.test(p));
      if (!service || service.persistence.method === 'none' || path === undefined) return [];
      return [{
        severity: 'warning',
        path: `listeners[${li}].rules[${ri}].match.path`,
        why: `${path} looks like a monitor's path, and service ${service.name} keeps sessions (${service.persistence.method}): a monitor that keeps cookies or comes from one address is a returning client, so it holds a counted session on one server for as long as it probes (toward maxSessions, and a drain of that server waits for it)`,
        fix: `send ${path} to a service over the same servers with persistence: { method: none }`,
      }];
    }),
  );
}

export function lint(config: Config): Finding[] {
  return rules.flatMap((rule) => rule(config));
}

/** `line`: where in the file the finding points (0: unknown). */
export function formatFinding(file: string, f: Finding, line = 0): string {
  return `${file}${line > 0 ? `:${line}` : ''}: ${f.severity}: ${f.path}: ${f.why}. Fix: ${f.fix}.`;
}
