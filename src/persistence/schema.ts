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
        sameSite: z.enum(['lax', 'strict', 'none']).default('lax'),
        maxAge: duration().optional(),
        idleTimeout: duration({ min: 1000 }).optional(),
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
        idleTimeout: duration({ min: 1000 }).default(1_800_000),
        maxEntries: z.number().int().min(1).max(100_000_000).default(1_000_000),
      })
      .prefault({}),
    header: headerName.optional(),
    query: z.string().regex(/^[^&=#\s]+$/, 'expected a query parameter name').optional(),
    table: z
      .strictObject({
        idleTimeout: duration({ min: 1000 }).default(1_800_000),
        maxEntries: z.number().int().min(1).max(100_000_000).default(1_000_000),
      })
      .prefault({}),
    learnFromResponse: z.boolean().default(false),
    onOverload: z.enum(['queue', 'redispatch', 'reject']).default('redispatch'),
    strict: z.boolean().default(false),
    debugHeader: z.boolean().default(false),
    firstBurstWindow: duration({ allowZero: true }).default(2000),
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
