// Health keys of a service and its servers: active monitors (`health:`), how many must agree
// (`monitorsRequired`), passive ejection (`passive:`), slow start, and drain settings.
import { z } from 'zod';
import { duration } from '../core/duration.ts';
import { failureOutcomes } from './ejection.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** "200", "200-399" or 200 → an inclusive range of statuses. */
const statusRange = z.union([z.number(), z.string()]).transform((value, ctx): [number, number] => {
  const match = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(String(value).trim());
  const lo = Number(match?.[1]);
  const hi = match?.[2] === undefined ? lo : Number(match[2]);
  if (!match || hi < lo) {
    ctx.addIssue({ code: 'custom', message: `expected a status such as 200 or a range such as "200-399", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return [lo, hi];
});

/** A body expectation: a substring, or /regex/flags. */
const bodyMatch = z.string().transform((text, ctx): string | RegExp => {
  const regex = /^\/(.*)\/([dgimsuy]*)$/s.exec(text);
  if (!regex) return text;
  try {
    return new RegExp(regex[1]!, regex[2]!.replace('g', ''));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected a valid /regular expression/: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const HTTP_ONLY = ['path', 'method', 'host', 'headers', 'expect'] as const;

export const monitorSchema = z
  .strictObject({
    type: z.enum(['http', 'tcp'], { error: 'expected http or tcp' }).default('http'),
    path: z.string().startsWith('/', 'expected a path starting with /, such as /health').optional(),
    method: z.enum(['GET', 'HEAD'], { error: 'expected GET or HEAD' }).optional(),
    host: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected a host name such as app.example.com').optional(),
    headers: z.record(z.string().regex(TOKEN, 'expected a header name such as X-Probe'), z.string()).optional(),
    expect: z
      .strictObject({
        status: z.array(statusRange).min(1, 'expected at least one status or range').default([[200, 399]]),
        body: bodyMatch.optional(),
      })
      .optional(),
    interval: duration({ min: 100 }).default(2_000),
    timeout: duration({ min: 10 }).default(1_000),
    rise: z.number().int().min(1).max(100, 'expected a whole number from 1 to 100').default(2),
    fall: z.number().int().min(1).max(100, 'expected a whole number from 1 to 100').default(3),
    assume: z.enum(['up', 'down'], { error: 'expected up or down' }).default('up'),
  })
  .superRefine((m, ctx) => {
    if (m.timeout > m.interval) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: `must not exceed interval (${m.interval}ms): a probe must end before the next begins` });
    }
    if (m.type !== 'tcp') return;
    for (const key of HTTP_ONLY) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to type http (a tcp monitor only connects)' });
    }
  })
  .transform((m) => ({
    ...m,
    path: m.path ?? '/',
    method: m.method ?? 'GET',
    headers: m.headers ?? {},
    expect: m.expect ?? { status: [[200, 399]] as [number, number][], body: undefined },
  }));

export type MonitorConfig = z.output<typeof monitorSchema>;

export const monitorListSchema = z.array(monitorSchema).min(1, 'expected at least one monitor');

export const monitorsRequiredSchema = z.union(
  [z.enum(['one', 'most', 'all']), z.number().int().min(1, 'expected at least 1')],
  { error: 'expected one, most, all or a number of monitors' },
);

/** Several Mooring instances as vantage points: a server is down for all once `required` of them see it down. */
export const instanceQuorumSchema = z.strictObject({
  across: z.literal('instances', { error: 'expected across: instances (several monitors on one instance are counted by monitorsRequired)' }),
  required: monitorsRequiredSchema.default('most'),
});

export type InstanceQuorum = z.output<typeof instanceQuorumSchema>;

export const passiveSchema = z
    .strictObject({
      consecutiveFailures: z.number().int().min(1).max(1000).default(5),
      failOn: z.array(z.enum(failureOutcomes, { error: `expected one of ${failureOutcomes.join(', ')}` })).min(1).default(['connect', 'timeout']),
      ejectFor: duration().default(30_000),
      maxEjectFor: duration().default(300_000),
      maxEjectedPercent: z.number().int().min(0).max(100, 'expected a percentage from 0 to 100').default(50),
    })
    .refine((p) => p.maxEjectFor >= p.ejectFor, { path: ['maxEjectFor'], message: 'must be at least ejectFor' });

export type PassiveConfig = z.output<typeof passiveSchema>;

export const adminStates = ['enabled', 'draining', 'disabled'] as const;
