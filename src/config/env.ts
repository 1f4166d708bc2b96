// ${NAME} in any string value reads environment variable NAME (for secrets kept out of files).
import { nearest } from './suggest.ts';

export interface EnvProblem {
  path: (string | number)[];
  message: string;
}

/** A string that read the environment: as the file wrote it, and as it became. */
export interface EnvUse {
  readonly template: string;
  readonly value: string;
}

const REFERENCE = /\$\{([^}]*)\}/g;
/** A `${` with no `}` after it: a reference cut short, never to be taken as literal text. */
const UNTERMINATED = /\$\{(?![^}]*\})([A-Za-z0-9_]{0,40})/;
/** Keys that would reach an object's prototype instead of being a key of it. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A copy of `value` with references replaced; problems collects unset or malformed references,
 * `used` every string that read a variable.
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: EnvProblem[],
  path: (string | number)[] = [],
  used: EnvUse[] = [],
): unknown {
  if (typeof value === 'string') {
    const open = UNTERMINATED.exec(value);
    if (open) {
      // The value is not shown: it may be a secret that was meant to come from the environment.
      problems.push({ path, message: `"\${${open[1]}" has no closing "}": expected \${NAME} (the value is not used as it is)` });
      return value;
    }
    const replaced = value.replace(REFERENCE, (whole, name: string) => {
      if (!VALID_NAME.test(name)) {
        problems.push({ path, message: `"${whole}" is not a valid environment variable reference (expected \${NAME})` });
        return whole;
      }
      const found = env[name];
      if (found === undefined) {
        const guess = nearest(name, Object.keys(env));
        problems.push({ path, message: `environment variable ${name} is not set${guess ? `; did you mean ${guess}?` : ''}` });
        return whole;
      }
      return found;
    });
    if (replaced !== value) used.push({ template: value, value: replaced });
    return replaced;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, problems, [...path, i], used));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (PROTOTYPE_KEYS.has(key)) {
        problems.push({ path: [...path, key], message: `unknown key "${key}": it is never a config key` });
        continue;
      }
      out[key] = substituteEnv(item, env, problems, [...path, key], used);
    }
    return out;
  }
  return value;
}
