// A key that takes one of several shapes (a monitor or a list of them; false or an object), told
// apart by the raw value. A zod union would report only "Invalid input" when every shape fails;
// here the chosen shape's own messages reach the user, unknown keys with their "did you mean".
import { z } from 'zod';
import { unknownKeyMessage } from './suggest.ts';
import { issueMessage } from './messages.ts';

export function variants<T>(pick: (value: unknown) => z.ZodType<T> | undefined, expected: string) {
  return z.unknown().transform((value, ctx): T => {
    const schema = pick(value);
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: `${expected}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: unknownKeyMessage(schema, issue.path, key) });
      } else {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issueMessage(issue, schema) });
      }
    }
    return z.NEVER;
  });
}
