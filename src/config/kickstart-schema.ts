// `kickstart:` on a standby data center: the URL Mooring calls to wake it when it fails over to it.
import { z } from 'zod';
import { duration } from '../core/duration.ts';

const kickstartUrl = z.string({ error: 'expected the URL to call, e.g. url: "https://ops.example.com/wake"' }).refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL without credentials in it (use username: and password:)' },
);

export const kickstartSchema = z
  .strictObject({
    url: kickstartUrl,
    method: z.enum(['GET', 'POST', 'PUT'], { error: 'expected GET, POST or PUT' }).default('POST'),
    /** HTTP Basic credentials; the password may come from the environment ("${KICK_PASSWORD}"). */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    headers: z.record(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a header name'), z.string().regex(/^[^\r\n]*$/, 'expected a header value without line breaks')).default({}),
    timeout: duration().default(5_000),
    retries: z.number().int().min(0).max(10).default(3),
  })
  .refine((k) => (k.username === undefined) === (k.password === undefined), { message: 'expected both username and password, or neither', path: ['password'] });

export type KickstartConfig = z.output<typeof kickstartSchema>;
