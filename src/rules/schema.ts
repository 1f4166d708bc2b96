// `rules:` on a listener (first match wins) and `geoip:` (the database country rules read).
import { z } from 'zod';
import { PrefixTrie } from './cidr.ts';
import { linearRegexProblem } from './linear-regex.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NO_LINE_BREAK = /^[^\r\n\0]*$/;
/** One value or a list of them; a list either way, each value checked with its own message. */
const oneOrMany = <T extends z.ZodType>(item: T) => z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item).min(1, 'expected at least one value'));

const hostPattern = z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'expected a host name such as shop.example.com or *.example.com (no port)').transform((h) => h.toLowerCase());
const regex = z.string().superRefine((text, ctx) => {
  const problem = linearRegexProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `expected a regular expression without backreferences or lookaround (matched in linear time, as RE2 does): ${problem}` });
});
const cidrText = z.string().refine((text) => new PrefixTrie().add(text, 0), { message: 'expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32' });
const code = (what: string, length: number) => z.string().regex(new RegExp(`^[A-Za-z]{${length}}$`), `expected a ${what} code such as ${length === 2 ? 'GB' : 'EU'}`).transform((c) => c.toUpperCase());

const matchSchema = z
  .strictObject({
    host: oneOrMany(hostPattern).optional(),
    /** Path prefixes ("/api/" matches /api/ and below). */
    path: oneOrMany(z.string().startsWith('/', 'expected a path prefix starting with /')).optional(),
    pathRegex: regex.optional(),
    method: oneOrMany(z.string().regex(TOKEN, 'expected a method such as GET').transform((m) => m.toUpperCase())).optional(),
    header: z
      .strictObject({
        name: z.string().regex(TOKEN, 'expected a header name').transform((n) => n.toLowerCase()),
        /** Equal to this (absent: the header is present). */
        value: z.string().optional(),
        regex: regex.optional(),
      })
      .optional(),
    cidr: oneOrMany(cidrText).optional(),
    country: oneOrMany(code('country', 2)).optional(),
    continent: oneOrMany(code('continent', 2)).optional(),
  })
  .prefault({});

const headerValue = z.string().regex(NO_LINE_BREAK, 'expected a value without line breaks');

export const ruleSchema = z
  .strictObject({
    /** What a request must have for the rule to apply (all of it); absent: every request. */
    match: matchSchema,
    service: z.string().optional(),
    /** With service: new sessions go to this data center of it while it is UP. */
    datacenter: z.string().optional(),
    /** With service: request headers set (replacing any the client sent). */
    setHeaders: z.record(z.string().regex(TOKEN, 'expected a header name'), headerValue).optional(),
    deny: z.union([z.literal(true), z.strictObject({ status: z.number().int().min(400).max(599).default(403) })]).optional(),
    redirect: z
      .strictObject({
        status: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)], { error: 'expected 301, 302, 307 or 308' }).default(302),
        /** {scheme}, {host} and {path} (path and query as received) are filled in. */
        location: z.string().min(1).regex(NO_LINE_BREAK, 'expected a location without line breaks'),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    const actions = [r.service !== undefined, r.deny !== undefined, r.redirect !== undefined].filter(Boolean).length;
    if (actions !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'expected exactly one action: service: NAME, deny: true (or { status }), or redirect: { location }' });
    if (r.service === undefined && (r.datacenter !== undefined || r.setHeaders !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [r.datacenter !== undefined ? 'datacenter' : 'setHeaders'], message: 'applies only with service:' });
    }
  });

export type RuleConfig = z.output<typeof ruleSchema>;
export type MatchConfig = RuleConfig['match'];

export const geoipSchema = z.strictObject({
  /** A MaxMind DB file (GeoLite2 / GeoIP2 Country or City, or compatible). */
  database: z.string().min(1, 'expected the path of a .mmdb file'),
});

export type GeoipConfig = z.output<typeof geoipSchema>;
