// The one definition of Mooring's configuration. Every key here is documented in docs/config.md.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { duration } from '../core/duration.ts';
import { cidr, listenAddress, name, upstreamUrl } from './fields.ts';
import { balancerFactory, balancerNames } from '../balancer/registry.ts';
import type { BalancerFactory } from '../balancer/types.ts';
import { knownKeys, unknownKeyMessage } from './suggest.ts';
import { persistenceSchema } from '../persistence/schema.ts';
import { storeSchema } from '../state/schema.ts';
import { adminStates, instanceQuorumSchema, monitorListSchema, monitorSchema, monitorsRequiredSchema, passiveSchema, type MonitorConfig, type PassiveConfig } from '../health/schema.ts';
import { variants } from './variants.ts';
import { adminSchema } from './admin-schema.ts';
import { fallbackModeNames, geoModeNames, gslbModeNames } from '../gslb/registry.ts';
import { DEFAULT_DATACENTER } from '../core/server.ts';
import { kickstartSchema } from './kickstart-schema.ts';
import { geoipSchema, ruleSchema } from '../rules/schema.ts';


const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
const oneMonitor = monitorSchema.transform((m) => [m]);
const off = z.literal(false) as z.ZodType<false>;
const MONITORS = 'expected a monitor such as { path: /health } or a list of them';

/** `health:` on a service: one monitor or a list of them. */
const monitorsSchema = variants<MonitorConfig[]>((v) => (Array.isArray(v) ? monitorListSchema : isObject(v) ? oneMonitor : undefined), MONITORS);
/** `health:` on a server: its own monitors, or false for none. */
const serverMonitorsSchema = variants<MonitorConfig[] | false>((v) => (v === false ? off : Array.isArray(v) ? monitorListSchema : isObject(v) ? oneMonitor : undefined), `${MONITORS}, or false`);
/** `passive:` — ejection settings, or false to turn it off. */
const passiveOrOff = variants<PassiveConfig | false>((v) => (v === false ? off : isObject(v) ? passiveSchema : undefined), 'expected false or ejection settings such as { consecutiveFailures: 5 }');

const certificateSchema = z.strictObject({
  cert: z.string().min(1, 'expected the path of a PEM certificate file'),
  key: z.string().min(1, 'expected the path of a PEM private key file'),
});

/** A listener's certificate, and more chosen by the name a client asks for (SNI) against each one's own names. */
const tlsSchema = certificateSchema.extend({
  sni: z.array(certificateSchema).default([]),
});

const listenerSchema = z
  .strictObject({
    name: name('listener name'),
    address: listenAddress,
    /** Where requests go when no rule matches (without rules: every request). */
    service: z.string().optional(),
    /** Checked in order, first match wins, before `service`. */
    rules: z.array(ruleSchema).default([]),
    tls: tlsSchema.optional(),
    /** Connections from trustedProxies start with a PROXY protocol header (v1 or v2) naming the client. */
    proxyProtocol: z.boolean().default(false),
  })
  .refine((l) => l.service !== undefined || l.rules.length > 0, { message: 'expected service: NAME, or rules: (a list), or both', path: ['service'] });

/** `tls:` on a server (or its service, for all its https:// servers): how the server's certificate is checked. */
const upstreamTlsSchema = z.strictObject({
  /** A PEM file of the CAs to trust for the server instead of the system's: a private CA. */
  ca: z.string().min(1, 'expected the path of a PEM file of CA certificates').optional(),
  /** The name asked for (SNI) and checked in the certificate, when the URL holds an address or another name. */
  servername: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'expected a host name such as app.internal').optional(),
  /** false accepts any certificate: for a test setup, never in production (lint warns). */
  verify: z.boolean().default(true),
});

const serverSchema = z.strictObject({
  id: name('server id'),
  url: upstreamUrl,
  weight: z
    .number({ error: 'expected a whole number from 1 to 10000' })
    .int('expected a whole number from 1 to 10000')
    .min(1, 'expected a whole number from 1 to 10000 (a weight must be positive)')
    .max(10000, 'expected a whole number from 1 to 10000')
    .default(1),
  /** Most requests this server handles at once; more wait, move or are refused (persistence.onOverload). */
  maxConnections: z.number().int().min(1).optional(),
  /** Most live sessions bound to this server; new sessions go elsewhere while another server has room. */
  maxSessions: z.number().int().min(1).optional(),
  /** An operator's choice: draining takes no new sessions, disabled moves its sessions away. */
  state: z.enum(adminStates, { error: `expected one of ${adminStates.join(', ')}` }).default('enabled'),
  /** Used only while no primary server of its data center takes new sessions. */
  backup: z.boolean().default(false),
  /** This server's own monitors instead of the service's; false: none. */
  health: serverMonitorsSchema.optional(),
  /** For an https:// server: how its certificate is checked (instead of the service's tls:). */
  tls: upstreamTlsSchema.optional(),
});

function algorithmKeyMessage(factory: BalancerFactory<object>, key: string): string {
  const known = knownKeys(factory.options, []) ?? [];
  if (known.length === 0) return `unknown key: ${factory.name} takes no options besides algorithm`;
  return `${unknownKeyMessage(factory.options, [], key)} for algorithm ${factory.name}`;
}

/** `balance:` — the algorithm's name, then that algorithm's own options, checked by its factory. */
const balanceSchema = z
  .looseObject({
    algorithm: z.enum(balancerNames, { error: `expected one of ${balancerNames.join(', ')}` }),
  })
  .transform((value, ctx) => {
    const { algorithm, ...rest } = value;
    const factory = balancerFactory(algorithm)!;
    const parsed = factory.options.safeParse(rest);
    if (parsed.success) return { algorithm, options: parsed.data };
    for (const issue of parsed.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      for (const key of keys) {
        ctx.addIssue({
          code: 'custom',
          path: key === undefined ? issue.path : [...issue.path, key],
          message: key === undefined ? issue.message : algorithmKeyMessage(factory, String(key)),
        });
      }
    }
    return z.NEVER;
  });

const datacenterSchema = z.strictObject({
  name: name('data center name'),
  /** Takes new sessions only while no active data center is UP. */
  standby: z.boolean().default(false),
  /** UP while at least this many of its servers take new sessions. */
  minServersUp: z.number().int().min(1).default(1),
  /** Its share of new sessions with gslb.mode weighted. */
  weight: z.number().int().min(1).max(10000).default(1),
  /** Called once per failover to wake a standby. */
  kickstart: kickstartSchema.optional(),
  servers: z.array(serverSchema).min(1, 'expected at least one server'),
});

/** `gslb:` — how new sessions choose among a service's data centers. */
const gslbSchema = z.strictObject({
  mode: z.enum(gslbModeNames, { error: `expected one of ${gslbModeNames.join(', ')}` }).default('best-connection-time'),
  /** Sessions stay in their data center while it is UP, and move within it first. */
  persistence: z.boolean().default(true),
  /** After a failover, back to an active data center by itself (auto) or when an operator says so. */
  failback: z.enum(['auto', 'manual'], { error: 'expected auto or manual' }).default('auto'),
  /** How long an active data center must be UP without a break before new sessions return to it. */
  failbackAfter: duration({ allowZero: true }).default(60_000),
  /** On failback, whether sessions on the standby move back (move) or stay until they end (stay). */
  failbackSessions: z.enum(['stay', 'move'], { error: 'expected stay or move' }).default('stay'),
  /** Geo modes: country (ISO 3166, e.g. GB) → data center, and continent (EU, NA, …) → data center. */
  countries: z.record(z.string().regex(/^[A-Z]{2}$/, 'expected a country code such as GB'), z.string()).default({}),
  continents: z.record(z.string().regex(/^(AF|AN|AS|EU|NA|OC|SA)$/, 'expected a continent code: AF, AN, AS, EU, NA, OC or SA'), z.string()).default({}),
  /** geo-preferred: how the other data centers (and clients no mapping names) are ordered. */
  fallback: z.enum(fallbackModeNames, { error: `expected one of ${fallbackModeNames.join(', ')}` }).default('best-connection-time'),
  /** best-connection-time: the light probe that measures each data center's time to answer. */
  probe: z
    .strictObject({
      path: z.string().startsWith('/', 'expected a path starting with /, such as /health').default('/'),
      interval: duration({ min: 500 }).default(2_000),
      timeout: duration({ min: 10 }).default(1_000),
    })
    .refine((p) => p.timeout <= p.interval, { path: ['timeout'], message: 'must not exceed interval: a probe must end before the next begins' })
    .prefault({}),
});

const serviceFields = z.strictObject({
  name: name('service name'),
  balance: balanceSchema.prefault({ algorithm: 'round-robin' }),
  /** The servers of a service with one data center (shorthand for datacenters: [{ name: default, servers }]). */
  servers: z.array(serverSchema).min(1, 'expected at least one server').optional(),
  datacenters: z.array(datacenterSchema).min(1, 'expected at least one data center').optional(),
  gslb: gslbSchema.prefault({}),
  retries: z.number().int().min(0).max(10, 'expected a whole number from 0 to 10').default(2),
  /** Failures retried beyond those always retried: `timeout` moves an idempotent request without a body after timeouts.perTry. */
  retryOn: z.array(z.enum(['timeout'], { error: 'expected timeout (connection failures and resets before an answer are always retried)' })).default([]),
  /** For its https:// servers: how their certificates are checked (a server's own tls: wins). */
  tls: upstreamTlsSchema.optional(),
  persistence: persistenceSchema.prefault({}),
  health: monitorsSchema.optional(),
  monitorsRequired: monitorsRequiredSchema.default('most'),
  /** Instances sharing a Redis store decide a server's health together. */
  quorum: instanceQuorumSchema.optional(),
  passive: passiveOrOff.prefault({}),
  slowStart: duration({ allowZero: true }).default(0),
  drainDeadline: duration({ allowZero: true }).default(0),
  drainRate: z.number().int().min(1).max(100_000).default(100),
  pool: z
    .strictObject({
      connections: z.number().int().min(1).max(10000).default(256),
      keepAlive: duration().default(30_000),
      /** Share of `connections` that slow clients (streaming uploads, answers they are behind on) can never hold. */
      reserved: z.number().min(0).max(0.9, 'expected a share from 0 to 0.9').default(0.25),
    })
    .prefault({}),
});

/**
 * A service's servers, each tagged with its data center, and its data centers without their server
 * lists: one shape whether the file used `servers:` or `datacenters:`.
 */
const serviceSchema = serviceFields
  .superRefine((s, ctx) => {
    if ((s.servers === undefined) === (s.datacenters === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['servers'], message: 'expected either servers: (one data center) or datacenters: (several), not both and not neither' });
    }
    const listed = s.datacenters ? s.datacenters.flatMap((dc, d) => dc.servers.map((server, i) => ({ server, path: ['datacenters', d, 'servers', i] }))) : (s.servers ?? []).map((server, i) => ({ server, path: ['servers', i] }));
    for (const { server, path } of listed) {
      if (server.tls && !server.url.startsWith('https:')) ctx.addIssue({ code: 'custom', path: [...path, 'tls'], message: `applies to https:// servers only (server ${server.id} is ${server.url})` });
    }
    if (s.datacenters && s.datacenters.every((dc) => dc.standby)) ctx.addIssue({ code: 'custom', path: ['datacenters'], message: 'expected at least one data center that is not standby' });
    const dcNames = (s.datacenters ?? [{ name: DEFAULT_DATACENTER }]).map((dc) => dc.name);
    for (const key of ['countries', 'continents'] as const) {
      for (const [code, dc] of Object.entries(s.gslb[key])) {
        if (!dcNames.includes(dc)) ctx.addIssue({ code: 'custom', path: ['gslb', key, code], message: `no data center named "${dc}" (data centers: ${dcNames.join(', ')})` });
      }
    }
    if (geoModeNames.includes(s.gslb.mode) && Object.keys(s.gslb.countries).length + Object.keys(s.gslb.continents).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['gslb', 'countries'], message: `mode ${s.gslb.mode} needs countries: { GB: NAME } and/or continents: { EU: NAME }` });
    }
  })
  .transform(({ servers, datacenters, ...rest }) => {
    const dcs = datacenters ?? [{ name: DEFAULT_DATACENTER, standby: false, minServersUp: 1, weight: 1, kickstart: undefined, servers: servers! }];
    return {
      ...rest,
      // A server's tls: is its own, else its service's for an https:// server.
      servers: dcs.flatMap((dc) => dc.servers.map((server) => ({ ...server, tls: server.tls ?? (server.url.startsWith('https:') ? rest.tls : undefined), datacenter: dc.name }))),
      datacenters: dcs.map(({ servers: _servers, ...dc }) => dc),
    };
  });

const timeoutsSchema = z
  .strictObject({
  connect: duration().default(3_000),
  header: duration({ min: 100 }).default(10_000),
  response: duration().default(30_000),
  /** One try's wait for an answer, for services with retryOn: [timeout] (idempotent requests without a body). */
  perTry: duration().optional(),
  idle: duration({ min: 100 }).default(60_000),
  tunnel: duration().default(3_600_000),
  shutdown: duration({ allowZero: true }).default(30_000),
  queue: duration().default(5_000),
})
  .superRefine((t, ctx) => {
    if (t.perTry !== undefined && t.perTry >= t.response) {
      ctx.addIssue({ code: 'custom', path: ['perTry'], message: `expected less than timeouts.response (${t.response} ms): a try may not wait longer than the whole request` });
    }
  });

const limitsSchema = z.strictObject({
  maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
  maxUrlBytes: z.number().int().min(64).max(1_048_576).default(8_192),
  maxBodyBytes: z.number().int().min(0).default(10_485_760),
  /** Request body bytes read before an upstream connection is taken (0: stream at once). */
  bufferBodyBytes: z.number().int().min(0).max(16_777_216, 'expected at most 16777216 (16 MiB)').default(65_536),
  /** Answer bytes read ahead of a client that reads slowly, so a short answer frees its upstream connection at once. */
  bufferResponseBytes: z.number().int().min(0).max(16_777_216, 'expected at most 16777216 (16 MiB)').default(65_536),
});

const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The process log's lines: JSON for machines, pretty for a person at a terminal. */
  format: z.enum(['json', 'pretty']).default('json'),
  /** One JSON line per request and tunnel. */
  access: z.boolean().default(false),
  /** Where access lines go (appended; the folder is made if missing); stdout when absent. */
  file: z.string().min(1, 'expected a file path').optional(),
});

/** `auto`: one worker per core this machine offers (node's availableParallelism). */
const workersSchema = z.preprocess((w) => (w === 'auto' ? Math.min(64, availableParallelism()) : w), z.number({ error: 'expected a whole number from 1 to 64, or auto (one per core)' }).int().min(1).max(64)).default(1);

export const configSchema = z.strictObject({
  listeners: z.array(listenerSchema).min(1, 'expected at least one listener'),
  services: z.array(serviceSchema).min(1, 'expected at least one service'),
  trustedProxies: z.array(cidr).default([]),
  timeouts: timeoutsSchema.prefault({}),
  limits: limitsSchema.prefault({}),
  log: logSchema.prefault({}),
  /** Processes serving the listeners (node:cluster); 1 runs everything in one process. */
  workers: workersSchema,
  /** The geo-IP database that country and continent rules read. */
  geoip: geoipSchema.optional(),
  /** The admin listener (API, dashboard, metrics); absent: none. */
  admin: adminSchema.optional(),
  /** Where sessions of table methods live: memory, or Redis shared by several instances. */
  store: storeSchema.prefault({ type: 'memory' }),
});

export type Config = z.output<typeof configSchema>;
export type ServiceConfig = Config['services'][number];
export type ServerConfig = ServiceConfig['servers'][number];
export type ListenerConfig = Config['listeners'][number];
export type Timeouts = Config['timeouts'];
export type Limits = Config['limits'];
