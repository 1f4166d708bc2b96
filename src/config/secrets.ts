// What a config message must never show: a value that came from the environment (kept out of the
// file for a reason) and the value of a secret field (cookie keys, tokens, passwords, kickstart
// headers), wherever a message would quote it. A value from the environment is shown as the file
// wrote it (`${NAME}`); a secret written in the file, as "(hidden)".
import type { EnvUse } from './env.ts';

const SECRET_FIELDS = new Set(['keys', 'token', 'password', 'sentinelPassword', 'headers']);
/** Shorter values would hide ordinary words of messages, and keep nothing secret anyway. */
const SHORTEST = 4;

/** Texts to hide, longest first, each with what to show instead. */
export type Hidden = readonly (readonly [text: string, instead: string])[];

function stringsIn(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
}

function secretValues(value: unknown, out: string[]): void {
  if (Array.isArray(value)) for (const v of value) secretValues(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_FIELDS.has(key)) stringsIn(v, out);
      else secretValues(v, out);
    }
  }
}

/** What messages about `config` (after substitution) must not show. */
export function secretsIn(config: unknown, used: readonly EnvUse[]): Hidden {
  const hidden = new Map<string, string>();
  const secrets: string[] = [];
  secretValues(config, secrets);
  for (const { template, value } of used) if (value.length >= SHORTEST) hidden.set(value, template);
  for (const text of secrets) if (text.length >= SHORTEST && !hidden.has(text)) hidden.set(text, '(hidden)');
  return [...hidden].sort((a, b) => b[0].length - a[0].length);
}

/** `message` with every hidden text replaced. */
export function hide(message: string, hidden: Hidden): string {
  let out = message;
  for (const [text, instead] of hidden) if (out.includes(text)) out = out.split(text).join(instead);
  return out;
}
