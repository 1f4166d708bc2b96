// What a user reads for each problem zod finds: what was expected, what was given, and a guess at
// what was meant; never zod's own wording ("Invalid option", "Too big: expected number to be <=32").
import type { z } from 'zod';
import { nearest, schemaAt } from './suggest.ts';

/** A value as a message names it: "roundrobin" in quotes, numbers and the rest as written. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** "the number 300", "a list": what kind of thing was given where another was expected. */
function kindOf(value: unknown): string {
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  return shown(value);
}

/** zod's own wording, which no user should read. */
const ZOD_WORDING = /^(Invalid input|Invalid option|Too big|Too small|Invalid)\b/;

function numberRange(schema: z.ZodType | undefined, issue: { code: 'too_big' | 'too_small'; maximum?: unknown; minimum?: unknown }): string {
  const bounds = schema as unknown as { minValue?: number | null; maxValue?: number | null } | undefined;
  // A whole number's own bounds (±2^53 - 1, from .int()) are no bound anyone set: "at least 1", not "1 to 9007199254740991".
  const set = (v: number | null | undefined) => (v === null || v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
  const min = set(bounds?.minValue) ?? (issue.code === 'too_small' ? Number(issue.minimum) : undefined);
  const max = set(bounds?.maxValue) ?? (issue.code === 'too_big' ? Number(issue.maximum) : undefined);
  if (min !== undefined && min !== null && Number.isFinite(min) && max !== undefined && max !== null && Number.isFinite(max)) return `${min} to ${max}`;
  return issue.code === 'too_big' ? `at most ${max}` : `at least ${min}`;
}

export function issueMessage(issue: z.core.$ZodIssue, root: z.ZodType): string {
  const { message } = issue;
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_value': {
      const values = issue.values.map(String);
      const guess = typeof input === 'string' ? nearest(input, values) : undefined;
      return `expected one of ${values.join(', ')}; got ${shown(input)}${guess ? `; did you mean "${guess}"?` : ''}`;
    }
    case 'too_big':
    case 'too_small': {
      if (issue.origin !== 'number') return ZOD_WORDING.test(message) ? `expected ${issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`} ${issue.origin === 'array' ? 'items' : 'characters'}` : message;
      return `got ${shown(input)}; expected ${numberRange(schemaAt(root, issue.path), issue)}`;
    }
    case 'invalid_type': {
      const expected = ZOD_WORDING.test(message) ? `expected ${issue.expected}` : message;
      if (input === undefined) return `required: ${expected}`;
      return /\bgot\b/.test(expected) ? expected : `${expected}; got ${kindOf(input)}`;
    }
    default:
      return ZOD_WORDING.test(message) ? `not a valid value: got ${shown(input)}` : message;
  }
}
