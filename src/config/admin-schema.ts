// `admin:` — the admin listener (API, dashboard, metrics): its address, the token every route but
// /healthz needs, the extra Host names it answers to, and whether /metrics needs the token.
import { z } from 'zod';
import { listenAddress } from './fields.ts';

/** Shorter tokens can be guessed by anyone who can reach the port. */
export const MIN_TOKEN_LENGTH = 16;

export const adminSchema = z.strictObject({
  address: listenAddress.prefault('127.0.0.1:9901'),
  token: z
    .string({ error: 'expected a token of at least 16 characters, e.g. token: "${MOORING_ADMIN_TOKEN}" (make one with `mooring keygen`)' })
    .min(MIN_TOKEN_LENGTH, `expected a token of at least ${MIN_TOKEN_LENGTH} characters (make one with \`mooring keygen\`)`),
  /** Host names (besides the listen address, localhost and loopback addresses) the admin listener answers to. */
  hosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, 'expected a host name such as lb1.internal, without a port')).default([]),
  /** Whether GET /metrics needs the token too (false lets a scraper in without it). */
  metricsToken: z.boolean().default(true),
});

export type AdminConfig = z.output<typeof adminSchema>;
