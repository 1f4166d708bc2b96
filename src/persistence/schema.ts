// `persistence:` in a service: which method keeps users on one server, and its options.
import { z } from 'zod';
import { duration } from '../core/duration.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const cookieName = z.string().regex(TOKEN, 'expected a cookie name (letters, digits and !#$%&\'*+-.^_`|~)');
const headerName = z.string().regex(TOKEN, 'expected a header name such as X-Session-Id');

export const persistenceMethods = ['none', 'cookie', 'app-cookie', 'client-ip', 'header', 'query'] as const;

export const persistenceSchema = z
  .strictObject({
    method: z.enum(persistenceMethods, { error: `expected one of ${persistenceMethods.join(', ')}` }).default('none'),
    cookie: z
      .strictObject({
        name: cookieName.default('mooring'),
        path: z.string().startsWith('/', 'expected a path starting with /').default('/'),
        domain: z.string().regex(/^\.?[A-Za-z0-9.-]+$/, 'expected a domain such as example.com').optional(),
        secure: z.union([z.literal('auto'), z.boolean()], { error: 'expected auto, true or false' }).default('auto'),
        httpOnly: z.boolean().default(true),
        // Browsers and HAProxy write it "Lax", "None": any case is accepted.
        sameSite: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['lax', 'strict', 'none'])).default('lax'),
        maxAge: duration({ long: true }).optional(),
        idleTimeout: duration({ min: 1000, long: true }).optional(),
        passToServer: z.boolean().default(false),
        cacheControl: z.enum(['private', 'no-cache-set-cookie']).default('private'),
      })
      .prefault({}),
    keys: z.array(z.string().min(16, 'expected a secret of at least 16 characters (32 random bytes recommended)')).default([]),
    appCookie: cookieName.optional(),
    clientIp: z
      .strictObject({
        ipv4Prefix: z.number().int().min(0).max(32).default(32),
        ipv6Prefix: z.number().int().min(0).max(128).default(64),
        idleTimeout: duration({ min: 1000, long: true }).default(1_800_000),
        maxEntries: z.number().int().min(1).max(100_000_000).default(1_000_000),
      })
      .prefault({}),
    header: headerName.optional(),
    query: z.string().regex(/^[^&=#\s]+$/, 'expected a query parameter name').optional(),
    table: z
      .strictObject({
        idleTimeout: duration({ min: 1000, long: true }).default(1_800_000),
        maxEntries: z.number().int().min(1).max(100_000_000).default(1_000_000),
        /** Methods header and query: new sessions one client address may start per minute with keys it brings. */
        newKeysPerMinute: z.number().int().min(1).max(100_000_000).default(1000),
      })
      .prefault({}),
    learnFromResponse: z.boolean().default(false),
    onOverload: z.enum(['queue', 'redispatch', 'reject']).default('redispatch'),
    strict: z.boolean().default(false),
    debugHeader: z.boolean().default(false),
    firstBurstWindow: duration({ allowZero: true }).default(2000),
    /** A new session whose client has not come back with its identity is provisional (uncounted) and ends after this long unseen. */
    provisionalTimeout: duration({ min: 1000, long: true }).default(60_000),
  })
  .superRefine((p, ctx) => {
    const need = (ok: boolean, path: string, message: string) => ok || ctx.addIssue({ code: 'custom', path: [path], message });
    const signs = p.method === 'cookie' || p.method === 'app-cookie';
    need(!signs || p.keys.length > 0, 'keys', `required for method ${p.method}: at least one secret, e.g. "\${MOORING_COOKIE_KEY}" set to the output of: mooring keygen (or openssl rand -base64 32)`);
    need(p.method !== 'app-cookie' || p.appCookie !== undefined, 'appCookie', "required for method app-cookie: the application's session cookie name, e.g. JSESSIONID");
    need(p.method !== 'header' || p.header !== undefined, 'header', 'required for method header: the header carrying the session key, e.g. X-Session-Id');
    need(p.method !== 'query' || p.query !== undefined, 'query', 'required for method query: the query parameter carrying the session key, e.g. sid');
    need(!p.learnFromResponse || p.method === 'header', 'learnFromResponse', 'only applies to method header');
    need(p.appCookie === undefined || p.appCookie !== p.cookie.name, 'appCookie', "must differ from cookie.name (Mooring's own cookie)");
    if (p.cookie.sameSite === 'none' && p.cookie.secure !== true) {
      ctx.addIssue({ code: 'custom', path: ['cookie', 'secure'], message: 'must be true when sameSite is none (browsers drop SameSite=None cookies without Secure)' });
    }
  });

export type PersistenceConfig = z.output<typeof persistenceSchema>;

type Method = (typeof persistenceMethods)[number];

/** Keys of `persistence:` that only some methods read (the others apply to every method). */
const OWN_KEYS: Record<string, readonly Method[]> = {
  keys: ['cookie', 'app-cookie'],
  cookie: ['cookie', 'app-cookie'],
  appCookie: ['app-cookie'],
  firstBurstWindow: ['cookie'],
  clientIp: ['client-ip'],
  header: ['header'],
  learnFromResponse: ['header'],
  query: ['query'],
  table: ['cookie', 'app-cookie', 'header', 'query'],
};

/**
 * Options written for another method than the one chosen (`method: cookie` with `appCookie:`):
 * an error, since the user surely meant something the method will not do. Reads the raw input,
 * where defaults are not filled in yet.
 */
export function foreignOptions(raw: unknown): { key: string[]; message: string }[] {
  if (raw === null || typeof raw !== 'object') return [];
  const given = raw as Record<string, unknown>;
  const method = (given['method'] ?? 'none') as Method;
  if (!persistenceMethods.includes(method)) return [];
  const problems: { key: string[]; message: string }[] = [];
  const foreign = (key: string[], owners: readonly Method[]) =>
    problems.push({ key, message: `applies to method ${owners.join(' or ')}, not ${method}: remove it, or set method: ${owners[0]}` });
  for (const [key, owners] of Object.entries(OWN_KEYS)) {
    if (given[key] !== undefined && !owners.includes(method)) foreign([key], owners);
  }
  const cookie = given['cookie'];
  if (method === 'app-cookie' && cookie !== null && typeof cookie === 'object' && 'maxAge' in cookie) {
    problems.push({ key: ['cookie', 'maxAge'], message: "does not apply to method app-cookie: its sessions last as long as the application's own cookie" });
  }
  return problems;
}
